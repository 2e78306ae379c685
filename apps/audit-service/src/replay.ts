// `node dist/apps/audit-service/src/replay.js events.ndjson` (or on stdin): runs the anomaly detector
// over NDJSON events, in file order, and prints the alerts it would raise as NDJSON, then a summary
// on stderr. Deterministic: the same input gives the same alerts, ids included. For tests, tuning
// thresholds, and as the detector benchmark. Failures showing only a key prefix are tied to the account
// whose key.created (or key.legacy_imported) in the input has that prefix, as the live detector does.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ContractViolation, parseEventMessage } from '#contracts';
import { AlertBook } from './detector/alert-book';
import { Detector, detectorConfig } from './detector/detector';
import { PrefixOwners, attributeByPrefix } from './detector/prefix-attribution';

const USAGE = `Usage: node dist/apps/audit-service/src/replay.js [--config '{"burstPerIp":20}'] [events.ndjson | -]
Runs the anomaly detector over NDJSON events (one event, or a batch message, per line; - or no file: stdin) and
prints the alerts it would raise as NDJSON on stdout, then a summary on stderr.
`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const configAt = args.indexOf('--config');
  const config = detectorConfig(configAt === -1 ? '' : (args.splice(configAt, 2)[1] ?? ''));
  const path = args[0];
  if (path?.startsWith('-') && path !== '-') throw new Error(`unknown option ${path}\n${USAGE}`);
  // Without a file, the events come on stdin: a terminal there means nothing was piped in.
  if ((!path || path === '-') && process.stdin.isTTY)
    throw new Error(`no events: give a file or pipe them in\n${USAGE}`);
  const input = path && path !== '-' ? createReadStream(path) : process.stdin;
  const detector = new Detector(config);
  const book = new AlertBook();
  // Key births in the input tie later failures that show only a key prefix to their account, as live.
  const owners = new PrefixOwners();
  let events = 0;
  let malformed = 0;
  const started = process.hrtime.bigint();
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    try {
      // A line is an event, or a batch of them as the gateway publishes key.used / auth.failed.
      for (const event of parseEventMessage(JSON.parse(line)).events) {
        events += 1;
        owners.learn(event);
        const [attributed] = attributeByPrefix([event], (prefix) => owners.ownerOf(prefix));
        for (const finding of detector.observe(attributed)) book.record(finding);
      }
    } catch (error) {
      if (!(error instanceof ContractViolation) && !(error instanceof SyntaxError)) throw error;
      malformed += 1;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const alert of book.alerts) process.stdout.write(`${JSON.stringify(alert)}\n`);
  process.stderr.write(
    `${events} events, ${malformed} malformed lines, ${book.alerts.length} alerts, ${seconds.toFixed(2)} s, ${Math.round(events / Math.max(seconds, 1e-9))} events/s\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`replay: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
