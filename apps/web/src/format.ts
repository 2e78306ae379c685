/** How values are shown in the dashboard. Pure, unit-tested. */
import type { ApiKey, Integration } from './types';

/** The badges of PRODUCT.md §3.2: label and colour per integration. */
export const INTEGRATION_BADGES: Record<
  Integration,
  { label: string; colour: 'blue' | 'green' | 'purple'; legacy?: true }
> = {
  ai_tools: { label: 'AI Tools', colour: 'blue' },
  cli: { label: 'CLI', colour: 'green' },
  mcp_server: { label: 'MCP Server', colour: 'purple', legacy: true },
};

/** A key's integrations in one fixed order (the table's badges line up), whatever order they were stored in. */
export function integrationsInOrder(integrations: readonly Integration[]): Integration[] {
  const order = Object.keys(INTEGRATION_BADGES) as Integration[];
  return [...integrations].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/** `vxk_1a2b3c4d…`: the stored prefix and an ellipsis for the rest, which the platform never has. */
export function displayPrefix(prefix: string): string {
  return `${prefix}…`;
}

/**
 * Each listed key as its row's buttons name it for screen readers (`Revoke Laptop CLI`), by id: its name, and
 * where another listed key has the same name (a rotation leaves two: the new key and the old one in its grace
 * period), its prefix too (`Laptop CLI (vxk_1a2b3c4d…)`), so that no two rows' buttons sound alike.
 */
export function keyLabels(keys: readonly { id: string; name: string; key_prefix: string }[]): Map<string, string> {
  const named = new Map<string, number>();
  for (const key of keys) named.set(key.name, (named.get(key.name) ?? 0) + 1);
  return new Map(
    keys.map((key) => [key.id, named.get(key.name)! > 1 ? `${key.name} (${displayPrefix(key.key_prefix)})` : key.name]),
  );
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/**
 * "3 hours ago", "just now"; "Never" for a key that was never used. Whole units, rounded down (22 months is
 * "1 year ago", not "2 years ago"), as most products say it; a time to come likewise ("in 2 days"). Always in
 * numbers: "yesterday", "last month" or "last year" name a calendar day, month or year, which a count of
 * elapsed time rounded down is not (23 hours ago may be today, 59 days ago the month before last).
 */
export function lastUsed(at: string | null, now = Date.now()): string {
  if (!at) return 'Never';
  const elapsed = now - Date.parse(at);
  const format = new Intl.RelativeTimeFormat('en', { numeric: 'always' });
  for (const [unit, size] of UNITS) {
    const whole = Math.floor(Math.abs(elapsed) / size);
    if (whole >= 1) return format.format(elapsed >= 0 ? -whole : whole, unit);
  }
  return 'just now';
}

export function dateTime(at: string | null): string {
  return at
    ? new Date(at).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC'
    : '—';
}

/** To the second, for rows read side by side (the audit log, an address's first and last request). */
export function preciseTime(at: string | null): string {
  return at
    ? new Date(at).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }) + ' UTC'
    : '—';
}

/** The hint under a key's name: why it was revoked, a close expiry, a rotation under way or due, or its expiry. */
export function keyHint(key: ApiKey, now = Date.now()): string | null {
  if (key.status === 'revoked') return key.revoked_reason ? `revoked (${key.revoked_reason})` : 'revoked';
  const expiry = key.expires_at ? `expires ${lastUsed(key.expires_at, now)}` : null;
  if (expiry && Date.parse(key.expires_at!) - now < 7 * 86_400_000) return expiry;
  if (key.replaced_by)
    return key.revokes_at
      ? `rotated: stops working ${lastUsed(key.revokes_at, now)} (${dateTime(key.revokes_at)})`
      : 'rotated: stops working when its grace period ends';
  if (key.rotation_due) return 'rotation due: older than 90 days';
  return expiry;
}

/** Bars of a chart, each as a share (0–1) of the largest. */
export function shares<T extends { count: number }>(items: readonly T[]): (T & { share: number })[] {
  const max = Math.max(0, ...items.map((item) => item.count));
  return items.map((item) => ({ ...item, share: max === 0 ? 0 : item.count / max }));
}

/** `{a: 3, b: 5}` → `[{label: 'b', count: 5}, {label: 'a', count: 3}]`. */
export function ranked(counts: Record<string, number>): { label: string; count: number }[] {
  return Object.entries(counts)
    .map(([label, count]) => ({ label, count }))
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}
