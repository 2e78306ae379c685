import { UsageError, allowOnly, noMoreArguments, option, positional } from '../args';
import { apiErrorOf } from '../client';
import type { Context } from '../context';
import { readNamedFile } from '../files';
import { jsonText, terminalSafe } from '../output';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** What the server answers outside /api/v1; any other path is taken within /api/v1, with or without its `/`. */
const OUTSIDE_API = /^\/(api|admin|oauth|mcp|\.well-known)(\/|\?|$)|^\/(healthz|readyz|metrics)(\?|$)/;

/**
 * `vibexp api <METHOD> <path> [--data JSON|@file|-]`: any request with the CLI's key, printing the answer's
 * body (JSON pretty-printed). The exit code follows the status: 0, 4 for 401/403, else 1.
 */
export async function api(context: Context): Promise<void> {
  const { args, io } = context;
  allowOnly(args, ['data']);
  const method = positional(args, 1, 'the HTTP method').toUpperCase();
  if (!METHODS.has(method)) throw new UsageError(`unknown HTTP method ${method}`);
  let path = positional(args, 2, 'the path, e.g. /api/v1/prompts');
  if (/^[a-z][a-z0-9+.-]*:/i.test(path))
    throw new UsageError('give a path, not a URL: the base URL is VIBEXP_BASE_URL');
  // `prompts` and `/prompts` alike are /api/v1/prompts (as `gh api` takes both); `//host` stays refused.
  if (!path.startsWith('/')) path = `/api/v1/${path}`;
  else if (/^\/[^/\\]/.test(path) && !OUTSIDE_API.test(path)) path = `/api/v1${path}`;
  noMoreArguments(args, 3);
  const data = option(args, 'data');
  if (data !== undefined && (method === 'GET' || method === 'HEAD'))
    throw new UsageError(`a ${method} request has no body: drop --data`);
  let body: string | undefined;
  if (data !== undefined)
    body =
      data === '-'
        ? await context.readInput('the request body (JSON)')
        : data.startsWith('@')
          ? await readNamedFile(data.slice(1))
          : data;
  if (body !== undefined) {
    try {
      JSON.parse(body);
    } catch {
      throw new UsageError('--data must be JSON');
    }
  }
  const response = await (await context.client()).send(method, path, { body });
  const text = await response.text();
  let shown = text;
  try {
    shown = jsonText(JSON.parse(text));
  } catch {
    // Not JSON: shown as it came, but never with control characters a terminal would act on.
    if (io.stdout.isTTY) shown = terminalSafe(text);
  }
  if (shown) io.stdout.write(shown.endsWith('\n') ? shown : `${shown}\n`);
  if (!response.ok) throw apiErrorOf(response, text, { path });
}
