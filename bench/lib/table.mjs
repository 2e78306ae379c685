// Formatting of a benchmark run: one header line of machine facts and a markdown table.

/** Right-aligned (numeric) columns. */
const right = (...titles) => titles.map((title) => ({ title, align: 'right' }));
const LABEL = { title: 'benchmark', align: 'left' };

const COLUMNS = [LABEL, ...right('req/s', 'p50 ms', 'p99 ms', 'ratio to /healthz', 'added p99 ms', 'errors')];

const DASH = '–';
const integer = (value) => Math.round(value).toLocaleString('en-US');
const decimal = (value, digits) => (Number.isFinite(value) ? String(Number(value.toFixed(digits))) : DASH);

/** `machine`: { cpus, cpuModel, node, date }; `options`: { connections, duration, warmup }; `target`: URL. */
export function headerLine({ machine, options, target }) {
  return [
    `${machine.cpus} CPUs (${machine.cpuModel})`,
    `Node ${machine.node}`,
    machine.date,
    `${options.connections} connections`,
    `${options.duration} s per benchmark (+${options.warmup} s warm-up)`,
    target,
  ].join(' · ');
}

/** One row per result: { name, reqPerSec, p50, p99, ratio, errors, failure? }. */
export function resultsTable(results) {
  const rows = results.map((r) =>
    r.failure
      ? [r.name, DASH, DASH, DASH, DASH, DASH, 'failed']
      : [
          r.name,
          integer(r.reqPerSec),
          decimal(r.p50, 2),
          decimal(r.p99, 2),
          r.ratio === undefined ? DASH : r.ratio.toFixed(2),
          r.addedP99 === undefined ? DASH : decimal(r.addedP99, 2),
          integer(r.errors),
        ],
  );
  return markdownTable(COLUMNS, rows);
}

/** One row per fixed-rate run: { name, completed, errors, non2xx, p50, p90, p99, max, addedP99 } (ms). */
export function fixedRateTable(rows) {
  return markdownTable(
    [LABEL, ...right('answered', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'added p99 ms', 'errors')],
    rows.map((r) =>
      r.failure
        ? [r.name, DASH, DASH, DASH, DASH, DASH, DASH, 'failed']
        : [
            r.name,
            integer(r.completed),
            decimal(r.p50, 2),
            decimal(r.p90, 2),
            decimal(r.p99, 2),
            decimal(r.max, 1),
            r.addedP99 === undefined ? DASH : decimal(r.addedP99, 2),
            integer(r.errors + r.non2xx),
          ],
    ),
  );
}

/** A markdown table whose columns are padded to line up in a terminal too. */
export function markdownTable(columns, rows) {
  const widths = columns.map((column, i) =>
    Math.max(3, column.title.length, ...rows.map((row) => String(row[i]).length)),
  );
  const pad = (text, i) =>
    columns[i].align === 'right' ? String(text).padStart(widths[i]) : String(text).padEnd(widths[i]);
  const line = (cells) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `|${columns.map((column, i) => (column.align === 'right' ? `${'-'.repeat(widths[i] + 1)}:` : `:${'-'.repeat(widths[i] + 1)}`)).join('|')}|`;
  return [line(columns.map((column) => column.title)), rule, ...rows.map(line)].join('\n');
}

/** { trials, p50, p99, max, failures } in milliseconds. */
export function revocationTable(result) {
  return markdownTable(right('trials', 'p50 ms', 'p99 ms', 'max ms', 'not refused within 5 s'), [
    [result.trials, decimal(result.p50, 2), decimal(result.p99, 2), decimal(result.max, 2), result.failures],
  ]);
}

/** { trials, p50, p99, max } in milliseconds. */
export function delayTable(result) {
  return markdownTable(right('trials', 'p50 ms', 'p99 ms', 'max ms'), [
    [result.trials, decimal(result.p50, 0), decimal(result.p99, 0), decimal(result.max, 0)],
  ]);
}

/** The audit-service figures: ingest rate, detector rate, alert latency, audit-log query latency. */
export function auditTable(audit) {
  const rows = [
    [
      'ingest (events stored per second, sustained)',
      `${integer(audit.ingest.perSecond)} /s`,
      `${integer(audit.ingest.events)} events in ${decimal(audit.ingest.seconds, 1)} s`,
    ],
    [
      'detector (replay command)',
      `${integer(audit.detector.perSecond)} events/s`,
      `${integer(audit.detector.events)} events, ${audit.detector.alerts} alerts`,
    ],
    [
      'alert latency (revoked-key attempt → alert listed)',
      `p99 ${decimal(audit.alertLatency.p99, 0)} ms`,
      `p50 ${decimal(audit.alertLatency.p50, 0)} ms, ${audit.alertLatency.trials} trials`,
    ],
    [
      'audit-log query (key + time range)',
      `p95 ${decimal(audit.query.p95, 1)} ms`,
      `p50 ${decimal(audit.query.p50, 1)} ms, p99 ${decimal(audit.query.p99, 1)} ms over ${integer(audit.query.rows)} events`,
    ],
  ];
  return markdownTable(
    [
      { title: 'measure', align: 'left' },
      { title: 'result', align: 'right' },
      { title: 'details', align: 'left' },
    ],
    rows,
  );
}
