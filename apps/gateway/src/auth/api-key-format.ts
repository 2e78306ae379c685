import { hash, randomBytes } from 'node:crypto';

/**
 * What an `Authorization` header holds, decided before any lookup (PRODUCT.md §3.4). Pure: every
 * rule of the malformed row is here, with the message the user sees.
 */
export type ParsedAuthorization =
  | { kind: 'missing' }
  | { kind: 'malformed'; detail: string; keyPrefix?: string }
  | { kind: 'token'; token: string; keyPrefix: string };

export const VXK_PATTERN = /^vxk_[0-9a-f]{64}$/;
const LEGACY_PREFIX = /^(ak|aait|acli|amcp|amkt|vib)[_-]/;
const MAX_TOKEN_LENGTH = 512;
const QUOTE = /["'`]/;
/** Whitespace, control characters and anything beyond ASCII: no key holds them. */
const NOT_PRINTABLE = /[^\x21-\x7e]/;

/**
 * Whether a key could ever pass the checks below in `Authorization: Bearer <key>`: printable ASCII
 * without whitespace or quotes, at most 512 characters. A legacy key imported in plaintext must pass,
 * or it would be imported and never usable.
 */
export function isPresentableKey(key: string): boolean {
  return key.length > 0 && key.length <= MAX_TOKEN_LENGTH && !NOT_PRINTABLE.test(key) && !QUOTE.test(key);
}

/** The display prefix when one can be read safely: `vxk_` + 8 hex, or a legacy key's first 12 characters. */
export function readableKeyPrefix(token: string): string | undefined {
  if (/^vxk_[0-9a-f]{8}/.test(token)) return token.slice(0, 12);
  if (LEGACY_PREFIX.test(token) && /^[A-Za-z0-9_-]{12}/.test(token)) return token.slice(0, 12);
  return undefined;
}

/** What well-behaved clients send; recognized without the checks below (every request takes this path). */
const CANONICAL_BEARER = /^Bearer (vxk_[0-9a-f]{64})$/;

export function parseAuthorization(header: string | undefined): ParsedAuthorization {
  if (header === undefined) return { kind: 'missing' };
  const canonical = CANONICAL_BEARER.exec(header);
  if (canonical) return { kind: 'token', token: canonical[1], keyPrefix: canonical[1].slice(0, 12) };
  const value = header.trim();
  if (value === '')
    return { kind: 'malformed', detail: 'the Authorization header is empty: send `Authorization: Bearer vxk_…`' };
  const separator = value.search(/\s/);
  const scheme = separator === -1 ? value : value.slice(0, separator);
  const rest = separator === -1 ? [] : [value.slice(separator + 1)];
  if (scheme.toLowerCase() !== 'bearer') {
    // Echo the scheme only when it looks like one: a header without it may be the key itself.
    const named = /^[A-Za-z-]{1,20}$/.test(scheme) ? `the ${scheme} scheme` : 'no scheme word';
    const keyPrefix = readableKeyPrefix(value);
    return {
      kind: 'malformed',
      detail: `the Authorization header uses ${named}: send \`Authorization: Bearer vxk_…\``,
      ...(keyPrefix ? { keyPrefix } : {}),
    };
  }
  if (!/^bearer /i.test(value) && rest.length > 0) {
    return {
      kind: 'malformed',
      detail: 'separate Bearer and the key with one space: send `Authorization: Bearer vxk_…`',
    };
  }
  const token = rest.join(' ').replace(/^ +/, '');
  if (token === '')
    return { kind: 'malformed', detail: 'the Bearer token is empty: send `Authorization: Bearer vxk_…`' };
  const keyPrefix = readableKeyPrefix(token);
  const malformed = (detail: string): ParsedAuthorization => ({
    kind: 'malformed',
    detail,
    ...(keyPrefix ? { keyPrefix } : {}),
  });
  if (QUOTE.test(token)) return malformed('the key contains a quote character: check for copy-paste errors');
  if (/\s/.test(token)) return malformed('the key contains whitespace: check for copy-paste errors');

  if (NOT_PRINTABLE.test(token))
    return malformed('the key contains characters that are not printable ASCII: check for copy-paste errors');
  if (token.length > MAX_TOKEN_LENGTH)
    return malformed(`the key is ${token.length} characters long; API keys are much shorter`);
  if (token.toLowerCase().startsWith('vxk_')) {
    if (!VXK_PATTERN.test(token)) {
      const body = token.slice(4);
      const upper = /[A-Z]/.test(body) || token.startsWith('VXK_');
      const notHex = /[^0-9a-f]/i.test(body);
      const wrong = upper ? ', some of them upper-case' : notHex ? ', some of them not hex (0-9, a-f)' : '';
      return malformed(
        `a vxk_ key is vxk_ followed by 64 lowercase hex characters (68 in all); this one has ${body.length} characters after the prefix${wrong}`,
      );
    }
    return { kind: 'token', token, keyPrefix: token.slice(0, 12) };
  }
  // Any other shape may be a legacy key, whose old system's alphabet and length we do not know (PRODUCT.md
  // §3.1: legacy keys verify like new keys, by the hash of what is presented): only the lookup can tell.
  return { kind: 'token', token, keyPrefix: keyPrefix ?? '' };
}

export function sha256Hex(value: string): string {
  // One-shot hash: no Hash object per call (this runs on every API-key request).
  return hash('sha256', value, 'hex');
}

export interface GeneratedApiKey {
  fullKey: string;
  hash: string;
  prefix: string;
}

/** A new key: 32 bytes from the CSPRNG as lowercase hex behind `vxk_` (PRODUCT.md §3.1). */
export function generateApiKey(random: (size: number) => Buffer = randomBytes): GeneratedApiKey {
  const fullKey = `vxk_${random(32).toString('hex')}`;
  return { fullKey, hash: sha256Hex(fullKey), prefix: fullKey.slice(0, 12) };
}

/** A secret for sessions and CSRF tokens (never stored in plain). */
export function generateToken(random: (size: number) => Buffer = randomBytes): string {
  return random(32).toString('hex');
}
