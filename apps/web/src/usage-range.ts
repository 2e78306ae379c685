/** The range a usage page shows, kept in its address (`#/keys/<id>/usage?range=30d`). Pure, unit-tested. */
import { query } from './api';

export const USAGE_RANGES = ['24h', '7d', '30d', '90d'] as const;
export type UsageRange = (typeof USAGE_RANGES)[number];

/** The API's default (PRODUCT.md §3.3): left out of the address. */
const DEFAULT_RANGE: UsageRange = '7d';

/** The range an address's query holds; anything else is the default. */
export function parseUsageRange(search: string): UsageRange {
  const range = new URLSearchParams(search).get('range');
  return (USAGE_RANGES as readonly string[]).includes(range ?? '') ? (range as UsageRange) : DEFAULT_RANGE;
}

/** The address of the usage page at `path` showing `range`. */
export function usageLocation(path: string, range: UsageRange): string {
  return `${path}${query({ range: range === DEFAULT_RANGE ? undefined : range })}`;
}
