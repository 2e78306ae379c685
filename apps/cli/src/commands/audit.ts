import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { UsageError, allowOnly, option, positional } from '../args';
import { apiError } from '../client';
import type { Context } from '../context';
import { table } from '../output';

const FILTERS = ['type', 'key-id', 'action', 'outcome', 'ip', 'from', 'to'];

function filtersOf(context: Context): Record<string, string | undefined> {
  return Object.fromEntries(FILTERS.map((name) => [name.replace(/-/g, '_'), option(context.args, name)]));
}

async function list(context: Context): Promise<void> {
  allowOnly(context.args, [...FILTERS, 'limit', 'cursor']);
  const page = await (
    await context.client()
  ).json<{ events: Record<string, unknown>[]; next_cursor: string | null }>('GET', '/api/v1/audit-log', {
    query: { ...filtersOf(context), limit: option(context.args, 'limit'), cursor: option(context.args, 'cursor') },
  });
  context.print(page, () => {
    const rows = table(page.events, ['occurred_at', 'type', 'action', 'outcome', 'ip', 'key_prefix', 'tool_type']);
    return page.next_cursor ? `${rows}more: --cursor ${page.next_cursor}\n` : rows;
  });
}

/** Shows how far an export is, on a terminal only, at most ten times a second. */
class Progress {
  private lastDrawn = 0;
  constructor(
    private readonly context: Context,
    private readonly enabled: boolean,
  ) {}

  update(events: number, bytes: number, done = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!done && now - this.lastDrawn < 100) return;
    this.lastDrawn = now;
    const width = 20;
    const filled = done ? width : Math.floor(now / 100) % (width + 1);
    const bar = done
      ? '='.repeat(width)
      : `${' '.repeat(Math.max(0, filled - 3))}${'='.repeat(Math.min(3, filled))}`.padEnd(width);
    const size = bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
    this.context.io.stderr.write(`\r[${bar}] ${events.toLocaleString('en-US')} events, ${size}${done ? '\n' : ''}`);
  }
}

/**
 * `vibexp audit export [--as ndjson|csv] [--output file] [filters]`: streams the whole selection
 * (GET /api/v1/audit-log/export), to a file or stdout, with a progress bar on the terminal.
 */
async function exportLog(context: Context): Promise<void> {
  const { args, io } = context;
  allowOnly(args, [...FILTERS, 'as', 'output']);
  const format = option(args, 'as') ?? 'ndjson';
  if (format !== 'ndjson' && format !== 'csv') throw new UsageError('--as must be ndjson or csv');
  const response = await (
    await context.client()
  ).send('GET', '/api/v1/audit-log/export', {
    query: { ...filtersOf(context), format },
    headers: { accept: format === 'csv' ? 'text/csv' : 'application/x-ndjson' },
  });
  if (!response.ok || !response.body) throw await apiError(response);
  const path = option(args, 'output');
  const file = path ? createWriteStream(path, { mode: 0o600 }) : undefined;
  const progress = new Progress(
    context,
    args.flags.has('progress') || (!args.flags.has('no-progress') && io.stderr.isTTY === true),
  );
  // Chunks can end inside a multi-byte character: the decoder carries it over.
  const decoder = new TextDecoder();
  let lines = 0;
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (const byte of chunk) if (byte === 10) lines += 1;
    if (file) {
      if (!file.write(chunk)) await once(file, 'drain');
    } else io.stdout.write(decoder.decode(chunk, { stream: true }));
    progress.update(format === 'csv' ? Math.max(0, lines - 1) : lines, bytes);
  }
  const events = format === 'csv' ? Math.max(0, lines - 1) : lines;
  progress.update(events, bytes, true);
  if (file) {
    file.end();
    await once(file, 'finish');
    context.note(`Exported ${events} events to ${path}`);
  }
}

export async function audit(context: Context): Promise<void> {
  const action = positional(context.args, 1, 'what to do: list or export');
  if (action === 'list') return list(context);
  if (action === 'export') return exportLog(context);
  throw new UsageError(`unknown command: audit ${action}`);
}
