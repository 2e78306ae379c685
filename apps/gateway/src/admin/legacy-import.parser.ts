import { redactText } from '#common';
import { type LegacyImportLine, RESERVED_KEYS, isCalendarDate, isDisplayName, maskPastedKeys } from '#contracts';
import { VXK_PATTERN, isPresentableKey, sha256Hex } from '../auth/api-key-format';
import { forbiddenInput } from '../http/validation.pipe';

export type ParsedImportLine = { ok: true; value: LegacyImportLine } | { ok: false; line: number; error: string };

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const FIELDS = new Set(['email', 'key_sha256', 'key', 'name', 'created_at', 'last_used_at', 'notes']);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** How far ahead of this machine's clock an old system's timestamp may be (its clock may run a little fast). */
const CLOCK_SKEW_MS = 5 * 60_000;

function optionalTimestamp(value: unknown, field: string, now: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  const match = typeof value === 'string' ? RFC3339.exec(value) : null;
  if (!match || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    throw new Error(`${field} must be an RFC 3339 timestamp`);
  }
  const time = new Date(value as string);
  // A key the old system made or used: never later than now (a 2099 date would sort it first for good).
  if (time.getTime() > now + CLOCK_SKEW_MS) throw new Error(`${field} must not be in the future`);
  return time.toISOString();
}

/**
 * One NDJSON line of a legacy import (PRODUCT.md §11). A plaintext `key` is hashed here, on arrival:
 * only its SHA-256 and display prefix go further.
 */
export function parseImportLine(text: string, line: number, now = Date.now()): ParsedImportLine | undefined {
  if (text.trim() === '') return undefined;
  try {
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      throw new Error('not valid JSON');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('must be a JSON object');
    const record = input as Record<string, unknown>;
    const unknown = Object.keys(record).filter((field) => !FIELDS.has(field));
    if (unknown.length > 0)
      throw new Error(`unknown field(s): ${unknown.map((field) => redactText(field)).join(', ')}`);
    // PostgreSQL's text cannot hold a NUL: refused on its line instead of failing the whole import.
    const forbidden = forbiddenInput(record, '', RESERVED_KEYS);
    if (forbidden) throw new Error(`${forbidden.field} ${forbidden.message}`);
    if (typeof record.email !== 'string' || !record.email.includes('@')) throw new Error('email is required');
    if (typeof record.name !== 'string' || record.name.trim() === '' || record.name.length > 255)
      throw new Error('name is required (1–255 characters)');
    if (!isDisplayName(record.name))
      throw new Error('name must not contain control characters or bidirectional controls (such as U+202E)');
    let keySha256: string;
    let keyPrefix: string;
    /** The line's own plaintext key, where its name or notes repeat it (a migration's notes often do). */
    let plaintext: string | undefined;
    if (record.key !== undefined && record.key_sha256 !== undefined)
      throw new Error('send key or key_sha256, not both');
    if (typeof record.key === 'string') {
      const key = record.key.trim();
      if (!isPresentableKey(key))
        throw new Error(
          'key must be at most 512 printable ASCII characters without whitespace or quotes (a client could not send it otherwise)',
        );
      // Such a key authenticates if its hash is imported, but it is not taken in plaintext: it should be replaced.
      if (key.length < 16)
        throw new Error(
          `key is ${key.length} characters: a key under 16 characters is too easy to guess to import (give its owner a new key)`,
        );
      // The gateway reads a token starting vxk_ as this platform's key shape and refuses any other length or case
      // before looking it up (AUTH_MALFORMED): imported so, it could never authenticate.
      if (key.toLowerCase().startsWith('vxk_') && !VXK_PATTERN.test(key))
        throw new Error(
          'key starts with vxk_ but is not vxk_ and 64 lower-case hex characters: no client could use it',
        );
      keySha256 = sha256Hex(key);
      keyPrefix = key.slice(0, 12);
      plaintext = key;
    } else if (typeof record.key_sha256 === 'string' && SHA256_HEX.test(record.key_sha256)) {
      keySha256 = record.key_sha256.toLowerCase();
      keyPrefix = `legacy:${keySha256.slice(0, 6)}`;
    } else {
      throw new Error('key_sha256 (64 hex characters) or key is required');
    }
    // Free text, masked as in every other body (a key pasted into a name would travel in its events), and the
    // line's own key wherever it is repeated, whatever its shape: only its display prefix stays.
    const masked = (text: string): string =>
      maskPastedKeys(plaintext ? text.replaceAll(plaintext, `${keyPrefix}…[REDACTED]`) : text);
    const value: LegacyImportLine = {
      line,
      email: record.email.trim(),
      key_sha256: keySha256,
      key_prefix: keyPrefix,
      name: masked(record.name.trim()),
    };
    const createdAt = optionalTimestamp(record.created_at, 'created_at', now);
    const lastUsedAt = optionalTimestamp(record.last_used_at, 'last_used_at', now);
    if (createdAt) value.created_at = createdAt;
    if (lastUsedAt) value.last_used_at = lastUsedAt;
    if (record.notes !== undefined && record.notes !== null) {
      if (typeof record.notes !== 'string' || record.notes.length > 2000)
        throw new Error('notes must be a string of at most 2000 characters');
      value.notes = masked(record.notes);
    }
    return { ok: true, value };
  } catch (error) {
    return { ok: false, line, error: (error as Error).message };
  }
}
