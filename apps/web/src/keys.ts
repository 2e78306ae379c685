/** What the API Keys page lists, kept in its address (`#/keys?status=all&sort_by=name`). Pure, unit-tested. */
import { keySearchText } from '../../../libs/contracts/src/keys';
import { query } from './api';

export type KeyStatus = 'active' | 'revoked' | 'all';
export type KeySort = 'created_at' | 'last_used_at' | 'name';

export interface KeysView {
  status: KeyStatus;
  /** Name contains it, or the display prefix starts with it ('' lists every key). */
  search: string;
  sort_by: KeySort;
  sort_order: 'asc' | 'desc';
  page: number;
}

/** The API's defaults (PRODUCT.md §3.3): active keys, newest first. */
export const DEFAULT_KEYS_VIEW: KeysView = {
  status: 'active',
  search: '',
  sort_by: 'created_at',
  sort_order: 'desc',
  page: 1,
};

const STATUSES: readonly KeyStatus[] = ['active', 'revoked', 'all'];
const SORTS: readonly KeySort[] = ['created_at', 'last_used_at', 'name'];

/** The order a column starts in when first chosen: names A to Z, times newest first. */
export const FIRST_ORDER: Record<KeySort, 'asc' | 'desc'> = { name: 'asc', created_at: 'desc', last_used_at: 'desc' };

/** The address of a view: only what differs from the defaults, so the plain page stays `#/keys`. */
export function keysLocation(view: KeysView): string {
  // As searched: trimmed (blank is the default, no search), a pasted whole key as its prefix.
  view = { ...view, search: keySearchText(view.search) };
  const shown: Record<string, string | number | undefined> = {};
  for (const name of ['status', 'search', 'sort_by', 'sort_order', 'page'] as const)
    if (view[name] !== DEFAULT_KEYS_VIEW[name]) shown[name] = view[name];
  return `/keys${query(shown)}`;
}

/** The view an address holds; a value the API would refuse falls back to its default. */
export function parseKeysLocation(search: string): KeysView {
  const params = new URLSearchParams(search);
  const pick = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = params.get(name) as T | null;
    return value !== null && allowed.includes(value) ? value : fallback;
  };
  const page = params.get('page') ?? '';
  return {
    status: pick('status', STATUSES, DEFAULT_KEYS_VIEW.status),
    search: keySearchText(params.get('search') ?? '').slice(0, 255),
    sort_by: pick('sort_by', SORTS, DEFAULT_KEYS_VIEW.sort_by),
    sort_order: pick('sort_order', ['asc', 'desc'] as const, DEFAULT_KEYS_VIEW.sort_order),
    // Digits only, as the API takes them (`0x10` is no page 16), and never past the last page it serves.
    page: /^\d{1,7}$/.test(page) && Number(page) >= 1 && Number(page) <= 1_000_000 ? Number(page) : 1,
  };
}

/** The list request of a view (20 keys a page). */
export function keysQuery(view: KeysView): string {
  return query({
    status: view.status,
    search: view.search.trim() || undefined,
    sort_by: view.sort_by,
    sort_order: view.sort_order,
    page: view.page,
    limit: 20,
  });
}

/** A click on a column's heading: that column in its first order, or the other order when already sorted by it. */
export function sortedBy(view: KeysView, column: KeySort): KeysView {
  const sort_order = view.sort_by === column ? (view.sort_order === 'asc' ? 'desc' : 'asc') : FIRST_ORDER[column];
  return { ...view, sort_by: column, sort_order, page: 1 };
}
