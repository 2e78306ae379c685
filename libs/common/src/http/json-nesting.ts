/**
 * The deepest a JSON body may nest before it is parsed. No request nests deeper than 32 levels (the validation
 * pipe and the hooks refuse more after parsing); parsing 2 MiB of `[[[[…` costs V8 ten times what a flat body
 * of the same size does, and an anonymous client could send it to any path. A scan of the bytes is far cheaper.
 */
export const MAX_JSON_NESTING = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]);
const CLOSERS = new Set([0x5d, 0x7d]);

/** Whether a JSON text's arrays and objects nest deeper than `limit` (brackets inside strings do not count). */
export function nestsDeeperThan(body: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < body.length; index += 1) {
    const byte = body[index];
    if (inString) {
      if (byte === BACKSLASH) index += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (OPENERS.has(byte)) {
      depth += 1;
      if (depth > limit) return true;
    } else if (CLOSERS.has(byte)) depth -= 1;
  }
  return false;
}

/** body-parser's `verify` for JSON bodies: too deep is a 400 before `JSON.parse` runs (see toProblemError). */
export function refuseDeepJson(_request: unknown, _response: unknown, body: Buffer): void {
  if (nestsDeeperThan(body, MAX_JSON_NESTING))
    throw Object.assign(new Error(`the body nests more than ${MAX_JSON_NESTING} levels deep`), {
      status: 400,
      type: 'entity.too.deep',
    });
}
