import { Transform } from 'class-transformer';

/**
 * A whole `vxk_` key (PRODUCT.md §3.1: `vxk_` and 64 hex), or an OAuth access or refresh token (`vxo_`, `vxr_`,
 * the same shape), pasted into text people write, also in capitals (one lower-casing away from a key). A longer hex run is taken as one too: it is a key glued to
 * text that happens to start with hex (`vxk_…abc`), never prose.
 */
const PASTED_KEY = /[vV][xX][korKOR]_[0-9A-Fa-f]{64,}/g;
/** A quick look before the scan: most text holds no `vx` at all, in either case. */
const MAY_HOLD_KEY = /[vV][xX]/;

/** The same, without the global flag's shared position: for a yes/no test. */
const HOLDS_PASTED_KEY = new RegExp(PASTED_KEY.source);

/** Whether a text holds a whole `vxk_` key. */
export function containsPastedKey(text: string): boolean {
  return MAY_HOLD_KEY.test(text) && HOLDS_PASTED_KEY.test(text);
}

/**
 * Text a user stores (a memory, a prompt, a note) with every whole `vxk_` key in it replaced by its display
 * prefix and `…[REDACTED]`: stored as sent, a pasted key would travel in events and NATS messages and sit in
 * the audit log (PRODUCT.md §1). Other text, legacy shapes included (ordinary syllables there), is kept.
 */
export function maskPastedKeys(text: string): string {
  return MAY_HOLD_KEY.test(text) ? text.replace(PASTED_KEY, (key) => `${key.slice(0, 12)}…[REDACTED]`) : text;
}

/**
 * A query parameter people type (a search, a filter) with any whole key masked as stored text is: the query
 * goes to a service over NATS, and the text it could match was masked when it was stored.
 */
export const MaskPastedKeys = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? maskPastedKeys(value) : value));
