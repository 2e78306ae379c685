import { isUtf8 } from 'node:buffer';

/**
 * The deepest a JSON body may nest before it is parsed. No request nests deeper than 32 levels (the validation
 * pipe and the hooks refuse more after parsing); parsing 2 MiB of `[[[[…` costs V8 ten times what a flat body
 * of the same size does, and an anonymous client could send it to any path. A scan of the bytes is far cheaper.
 */
export const MAX_JSON_NESTING = 64;

/**
 * The most members one JSON object of a body may have. More than any valid request needs (16 KiB of `metadata`
 * holds at most about 2,340 members of two-letter names; render's `placeholders` are a prompt's), and turning an
 * object into a DTO costs the square of its members: 184,000 unknown fields in a 2 MiB body held the gateway for
 * 28 s before its 400, while 2 MiB of objects of 2,500 members costs it about half a second.
 */
export const MAX_JSON_OBJECT_MEMBERS = 2_500;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * What makes a JSON text too costly to parse and validate, found in one pass over its bytes (brackets and colons
 * inside strings do not count): arrays and objects nested deeper than `maxDepth`, or an object with more than
 * `maxMembers` members (a colon outside strings is one member of the innermost open object).
 */
export function jsonShapeProblem(
  body: Uint8Array,
  maxDepth = MAX_JSON_NESTING,
  maxMembers = MAX_JSON_OBJECT_MEMBERS,
): 'too_deep' | 'too_many_members' | undefined {
  let depth = 0;
  let inString = false;
  // Members of the object open at each depth (arrays' entries stay 0: they hold no colons).
  const members = new Uint32Array(maxDepth + 2);
  for (let index = 0; index < body.length; index += 1) {
    const byte = body[index];
    if (inString) {
      if (byte === BACKSLASH) index += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    // Plain comparisons: this runs over every byte of every JSON body (a Set lookup per byte cost 3 times as much).
    else if (byte === COLON) {
      members[depth] += 1;
      if (members[depth] > maxMembers) return 'too_many_members';
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      depth += 1;
      if (depth > maxDepth) return 'too_deep';
      members[depth] = 0;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) depth -= 1;
  }
  return undefined;
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
 * below), one that is not UTF-8 is 400, and one nested too deep or with an object too wide is 400.
 */
export function refuseUnreadableJson(_request: unknown, _response: unknown, body: Buffer, encoding: string): void {
  if (!UTF8.test(encoding))
    throw Object.assign(new Error(`JSON is read as UTF-8, not ${encoding}`), {
      status: 415,
      type: 'charset.unsupported',
    });
  if (!isUtf8(body)) throw notUtf8();
  const problem = jsonShapeProblem(body);
  if (problem === 'too_deep')
    throw Object.assign(new Error(`the body nests more than ${MAX_JSON_NESTING} levels deep`), {
      status: 400,
      type: 'entity.too.deep',
    });
  if (problem === 'too_many_members')
    throw Object.assign(new Error(`an object in the body has more than ${MAX_JSON_OBJECT_MEMBERS} members`), {
      status: 400,
      type: 'entity.too.wide',
    });
}

/** Charset labels that name UTF-8 or a subset of it, as clients write them (`utf8`, `US-ASCII`), but body-parser does not read. */
const UTF8_ALIASES = /;\s*charset\s*=\s*"?(utf8|us-ascii|ascii)"?\s*(?=;|$)/i;

/**
 * Middleware before body parsing: a body declared `charset=utf8` (a common spelling) or `us-ascii` (a subset of UTF-8)
 * is read as the UTF-8 it is. body-parser knows only `utf-8`, and answered them 415.
 */
export function acceptUtf8CharsetAliases(
  request: { headers: Record<string, string | string[] | undefined> },
  _response: unknown,
  next: () => void,
): void {
  const type = request.headers['content-type'];
  if (typeof type === 'string' && UTF8_ALIASES.test(type))
    request.headers['content-type'] = type.replace(UTF8_ALIASES, '; charset=utf-8');
  next();
}
