/** What the Audit log page sends and keeps in its address (PRODUCT.md §9.1). Pure, unit-tested. */
import { query } from './api';
import type { AuditEvent } from './types';

export const AUDIT_FILTERS = ['type', 'key_id', 'client_id', 'action', 'outcome', 'ip', 'from', 'to'] as const;
export type AuditFilters = Partial<Record<(typeof AUDIT_FILTERS)[number], string>>;

/** The filters an address holds (`type=key.*&from=2026-11-27T08:00:00.000Z`); anything else is ignored. */
export function parseAuditLocation(search: string): AuditFilters {
  const params = new URLSearchParams(search);
  const filters: AuditFilters = {};
  for (const name of AUDIT_FILTERS) {
    const value = params.get(name)?.trim();
    if (value) filters[name] = value;
  }
  return filters;
}

/** The page's address for these filters, so that a reload, a link or Back shows the same selection. */
export function auditLocation(filters: AuditFilters): string {
  return `/audit${query(filters)}`;
}

/**
 * A `datetime-local` input's value (no zone) read as UTC, the zone the table shows: `2026-11-27T08:00` →
 * `2026-11-27T08:00:00.000Z`; '' or nonsense → undefined.
 */
export function utcFromInput(value: string): string | undefined {
  // Checked first: Date.parse makes a time of almost anything (`tomorrow:00Z` is 1 January 2000).
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return undefined;
  const at = Date.parse(`${value}:00Z`);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

/** The other way, for showing a filter in the input: an RFC 3339 time → `YYYY-MM-DDTHH:MM` in UTC. */
export function inputFromUtc(value: string | undefined): string {
  const at = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? '' : new Date(at).toISOString().slice(0, 16);
}

/** Fields of `meta` the table's columns already show, or that say nothing to a reader (PRODUCT.md §8). */
const SHOWN_META = new Set(['account_id', 'key_id', 'ip']);
/** Request events carry the address's coordinates for the detector's travel check: not for reading. */
const HIDDEN_DATA = new Set(['coordinates']);

/** `London, GB` of a `{ country, city }`, or nothing for anything else. */
function placeOf(location: unknown): string {
  if (typeof location !== 'object' || location === null) return '';
  const { city, country } = location as { city?: unknown; country?: unknown };
  return [city, country].filter((part) => typeof part === 'string' && part).join(', ');
}

/**
 * What a row's details list: the event's `data` (why a request failed, what changed, who approved a key), then
 * who asked (`meta`: request id, User-Agent), the place and where the event lives, as label and text. A nested
 * value is shown as compact JSON.
 */
export function eventDetails(event: AuditEvent): [label: string, text: string][] {
  const text = (value: unknown): string =>
    typeof value === 'string' ? value : value === null || value === undefined ? '—' : JSON.stringify(value);
  const details: [string, string][] = [];
  for (const [field, value] of Object.entries(event.data ?? {})) {
    // A request's own location (key.used, auth.failed) reads as the place below.
    if (HIDDEN_DATA.has(field) || field === 'location') continue;
    // One level of an object reads field by field (a CLI key's `approved_by.ip`); deeper ones as JSON.
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      for (const [inner, innerValue] of Object.entries(value)) details.push([`${field}.${inner}`, text(innerValue)]);
    else details.push([field, text(value)]);
  }
  // The request's place (meta.location on some events) reads as the place below, not as JSON.
  const place = placeOf(event.location) || placeOf(event.data?.location) || placeOf(event.meta?.location);
  for (const [field, value] of Object.entries(event.meta ?? {})) {
    if (SHOWN_META.has(field) || (field === 'location' && placeOf(value))) continue;
    details.push([`meta.${field}`, text(value)]);
  }
  if (place) details.push(['location', place]);
  details.push(['event id', event.id]);
  if (event.stream) details.push(['stream', `${event.stream}${event.version ? ` (version ${event.version})` : ''}`]);
  return details;
}
