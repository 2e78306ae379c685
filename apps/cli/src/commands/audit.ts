import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type WriteStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { type Check, UsageError, allowOnly, noMoreArguments, option, positional, queryOptions } from '../args';
import { AUDIT_OUTCOMES, MAX_AUDIT_LIMIT } from '../api-values';
import { apiError } from '../client';
import type { Context } from '../context';
import { checkWritableFile, fileProblem } from '../files';
import { table, terminalSafe } from '../output';

const FILTERS = ['type', 'key-id', 'client-id', 'action', 'outcome', 'ip', 'from', 'to', 'sort-order'];
const CHECKS: Record<string, Check> = {
  type: { list: true },
  outcome: { choices: AUDIT_OUTCOMES },
  limit: { min: 1, max: MAX_AUDIT_LIMIT },
};

function filtersOf(context: Context): Record<string, string | undefined> {
  return queryOptions(context.args, FILTERS, CHECKS);
}

async function list(context: Context): Promise<void> {
  allowOnly(context.args, [...FILTERS, 'limit', 'cursor']);
  noMoreArguments(context.args, 2);
  const query = { ...filtersOf(context), ...queryOptions(context.args, ['limit', 'cursor'], CHECKS) };
  const page = await (
    await context.client()
  ).json<{ events: Record<string, unknown>[]; next_cursor: string | null }>('GET', '/api/v1/audit-log', { query });
  context.print(page, () => {
    // Where from, in words (`London, GB`, `local`), and the OAuth app of an MCP request or of a change made through it.
    const shown = page.events.map((event) => {
      const location = event.location as { country: string; city: string | null } | null | undefined;
      const place = location ? [location.city, location.country].filter(Boolean).join(', ') : null;
      const app =
        (event.meta as { client_id?: string } | undefined)?.client_id ??
        (event.data as { client_id?: string } | undefined)?.client_id;
      return { ...event, place, app };
    });
    const rows = table(shown, [
      'occurred_at',
      'type',
      'action',
      'outcome',
      'ip',
      'place',
      'key_prefix',
      'app',
      'tool_type',
    ]);
    return page.next_cursor ? `${rows}more: --cursor ${page.next_cursor}\n` : rows;
  });
}

/** Shows how far an export is, on a terminal only, at most ten times a second. */
class Progress {
  private lastDrawn = 0;
  private drawn = false;
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
    this.drawn = !done;
  }

  /** Ends the progress line, so what follows (an error) starts on a line of its own. */
  stop(): void {
    if (this.drawn) this.context.io.stderr.write('\n');
    this.drawn = false;
  }
}

/** An export that sends nothing for this long has stalled. */
export const EXPORT_IDLE_MS = 60_000;

/**
 * `vibexp audit export [--as ndjson|csv] [--output file] [filters]`: streams the whole selection
 * (GET /api/v1/audit-log/export) to a file or stdout, at the pace the output takes it, with a progress
 * line on the terminal. A file is written under a temporary name and renamed when complete, so a failed
 * export never leaves a partial file that looks whole. The count is of lines (a CSV field with a newline
 * counts twice).
 */
async function exportLog(context: Context): Promise<void> {
  const { args, io } = context;
  allowOnly(args, [...FILTERS, 'as', 'output']);
  noMoreArguments(args, 2);
  const format = option(args, 'as') ?? 'ndjson';
  if (format !== 'ndjson' && format !== 'csv') throw new UsageError('--as must be ndjson or csv');
  const path = option(args, 'output');
  const query = { ...filtersOf(context), format };
  if (path) await checkWritableFile(path);
  const response = await (
    await context.client()
  ).send('GET', '/api/v1/audit-log/export', {
    query,
    headers: { accept: format === 'csv' ? 'text/csv' : 'application/x-ndjson' },
  });
  if (!response.ok || !response.body) throw await apiError(response, '/api/v1/audit-log/export');
  const temporary = path ? `${path}.${randomBytes(6).toString('hex')}.partial` : undefined;
  const progress = new Progress(
    context,
    args.flags.has('progress') || (!args.flags.has('no-progress') && io.stderr.isTTY === true),
  );
  const reader = response.body.getReader();
  // Stored text shown on a terminal has its control characters escaped; a pipe or a file gets the bytes as sent.
  const onTerminal = !path && io.stdout.isTTY === true;
  const decoder = new TextDecoder();
  // A CR at the end of a chunk may be the first half of a CSV line's CRLF: held until the next chunk says.
  let heldCr = '';
  const shown = (text: string, last = false): string => {
    let whole = heldCr + text;
    heldCr = !last && whole.endsWith('\r') ? '\r' : '';
    if (heldCr) whole = whole.slice(0, -1);
    return terminalSafe(whole);
  };
  let file: WriteStream | undefined;
  // A write can fail between two awaits (a full disk): kept here and thrown at the next chunk, never unhandled.
  let writeFailure: Error | undefined;
  let lines = 0;
  let bytes = 0;
  const events = () => (format === 'csv' ? Math.max(0, lines - 1) : lines);
  try {
    if (temporary) {
      file = createWriteStream(temporary, { mode: 0o600, flags: 'wx', highWaterMark: 1024 * 1024 });
      file.on('error', (error) => (writeFailure ??= error));
      // A folder that does not exist or cannot be written fails here, before anything is downloaded.
      await once(file, 'open');
    }
    for (;;) {
      const { done, value } = await withIdleLimit(reader.read(), () => void reader.cancel());
      if (done) break;
      if (writeFailure) throw writeFailure;
      bytes += value.length;
      for (const byte of value) if (byte === 10) lines += 1;
      if (file) {
        if (!file.write(value)) await once(file, 'drain');
      } else if (io.stdout.write(onTerminal ? shown(decoder.decode(value, { stream: true })) : value) === false)
        await io.stdout.drained?.();
      progress.update(events(), bytes);
    }
    // What the decoder and the CR held back: a last CR shown as the escape it is, a cut character as U+FFFD.
    const rest = onTerminal ? shown(decoder.decode(), true) : '';
    if (rest && io.stdout.write(rest) === false) await io.stdout.drained?.();
    if (file && temporary && path) {
      file.end();
      await once(file, 'finish');
      await rename(temporary, path);
    }
  } catch (error) {
    progress.stop();
    await reader.cancel().catch(() => undefined);
    if (file && !file.closed) {
      // Opening is asynchronous: the file may appear after destroy(), so remove it once the stream is closed.
      const closed = once(file, 'close').catch(() => undefined);
      file.destroy();
      await closed;
    }
    if (temporary) await rm(temporary, { force: true });
    // A failure of the temporary file is told as one of the user's file.
    if (path && (error as NodeJS.ErrnoException).path === temporary) (error as NodeJS.ErrnoException).path = path;
    throw new Error(`the export failed: ${fileProblem(error) ?? (error as Error).message}`, { cause: error });
  }
  progress.update(events(), bytes, true);
  if (path) context.note(`Exported ${events()} events to ${path}`);
}

function withIdleLimit<T>(read: Promise<T>, onStall: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onStall();
      reject(new Error(`the export stalled: nothing arrived for ${EXPORT_IDLE_MS / 1000} s`));
    }, EXPORT_IDLE_MS);
  });
  return Promise.race([read, stalled]).finally(() => clearTimeout(timer));
}

export async function audit(context: Context): Promise<void> {
  const action = positional(context.args, 1, 'what to do: list or export');
  if (action === 'list') return list(context);
  if (action === 'export') return exportLog(context);
  throw new UsageError(`unknown command: audit ${action}`);
}
