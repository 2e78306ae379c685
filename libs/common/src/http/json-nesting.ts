import { isUtf8 } from 'node:buffer';

/**
 * The deepest a JSON body may nest before it is parsed. No request nests deeper than 32 levels (the validation
 * pipe and the hooks refuse more after parsing); parsing 2 MiB of `[[[[…` costs V8 ten times what a flat body
 * of the same size does, and an anonymous client could send it to any path. A scan of the bytes is far cheaper.
 */
export const MAX_JSON_NESTING = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

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
    // Plain comparisons: this runs over every byte of every JSON body (a Set lookup per byte cost 3 times as much).
    else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      depth += 1;
      if (depth > limit) return true;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) depth -= 1;
  }
  return false;
}

const UTF8 = /^utf-?8$/i;

const notUtf8 = (): Error =>
  Object.assign(new Error('the request body is not UTF-8'), { status: 400, type: 'entity.not.utf8' });

/**
 * body-parser's `verify` for text bodies, before they are decoded: one that is not UTF-8 (when that is its
 * charset, the default) is a 400 rather than text with U+FFFD where its bytes were.
 */
export function refuseNonUtf8(_request: unknown, _response: unknown, body: Buffer, encoding: string): void {
  if (UTF8.test(encoding) && !isUtf8(body)) throw notUtf8();
}

/**
 * body-parser's `verify` for JSON bodies, before `JSON.parse` runs (see toProblemError): JSON is exchanged as UTF-8
 * (RFC 8259 §8.1), so a body declaring another charset is 415 (a UTF-16 body would also slip past the byte scan
 * below), one that is not UTF-8 is 400, and one nested too deep is 400.
 */
export function refuseUnreadableJson(_request: unknown, _response: unknown, body: Buffer, encoding: string): void {
  if (!UTF8.test(encoding))
    throw Object.assign(new Error(`JSON is read as UTF-8, not ${encoding}`), {
      status: 415,
      type: 'charset.unsupported',
    });
  if (!isUtf8(body)) throw notUtf8();
  if (nestsDeeperThan(body, MAX_JSON_NESTING))
    throw Object.assign(new Error(`the body nests more than ${MAX_JSON_NESTING} levels deep`), {
      status: 400,
      type: 'entity.too.deep',
    });
}
