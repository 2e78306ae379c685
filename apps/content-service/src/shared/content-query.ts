import type { DataSource } from 'typeorm';
import { DomainError, type Page, RpcErrorCode, toPage } from '#contracts';

/**
 * A prefix full-text query from what a user typed: every word must match, each as a prefix
 * ("deplo" finds "deployment"). `undefined` when nothing searchable remains.
 */
export function prefixTsQuery(text: string): string | undefined {
  const words = text
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu)
    ?.slice(0, 16);
  return words?.length ? words.map((word) => `${word}:*`).join(' & ') : undefined;
}

/** Filters of a list, as SQL conditions with their parameters; `$1` is always the account id. */
export class Conditions {
  readonly clauses: string[] = ['account_id = $1'];
  readonly params: unknown[];

  constructor(accountId: string) {
    this.params = [accountId];
  }

  /** Adds a condition; `?` in the SQL stands for the next parameter. */
  add(sql: string, ...values: unknown[]): this {
    let text = sql;
    for (const value of values) {
      this.params.push(value);
      text = text.replace('?', `$${this.params.length}`);
    }
    this.clauses.push(text);
    return this;
  }
}

export interface PageRequest {
  page: number;
  limit: number;
  sort_order: 'asc' | 'desc';
}

/**
 * One page of a table, ordered, with the total from the same scan (a window count): a filtered
 * search is evaluated once, not once for the page and again for the count. `orderBy` and `columns`
 * are trusted expressions, never user text; the search vector is not read back.
 */
export async function pageOf<T>(
  dataSource: DataSource,
  table: string,
  columns: readonly string[],
  conditions: Conditions,
  orderBy: string,
  request: PageRequest,
  toView: (row: Record<string, unknown>) => T,
  /** A table that is not a content kind's: its whole column list, and the unique column that breaks ties. */
  shape: { select: string; tieBreak: string } = {
    select: `id, ${columns.join(', ')}, version, created_at, updated_at`,
    tieBreak: 'id',
  },
): Promise<Page<T>> {
  const where = conditions.clauses.join(' AND ');
  const direction = request.sort_order === 'asc' ? 'ASC' : 'DESC';
  const params = [...conditions.params, request.limit, (request.page - 1) * request.limit];
  const rows = (await dataSource.query(
    `SELECT ${shape.select}, count(*) OVER () AS total_count
       FROM ${table} WHERE ${where}
      ORDER BY ${orderBy} ${direction}, ${shape.tieBreak} ${direction} LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  )) as (Record<string, unknown> & { total_count: string })[];
  let count = rows.length > 0 ? Number(rows[0].total_count) : 0;
  if (rows.length === 0 && request.page > 1) {
    // Past the last page the window has no row to report the total on.
    const [row] = (await dataSource.query(
      `SELECT count(*)::int AS count FROM ${table} WHERE ${where}`,
      conditions.params,
    )) as { count: number }[];
    count = row.count;
  }
  return toPage(rows.map(toView), count, request);
}

/** The filters every list has: labels (any of them) and full-text search (every word as a prefix). */
export function addLabelAndSearchFilters(conditions: Conditions, query: { labels?: string[]; search?: string }): void {
  if (query.labels?.length) conditions.add('labels && ?::text[]', query.labels);
  if (query.search !== undefined) {
    const tsquery = prefixTsQuery(query.search);
    if (!tsquery) conditions.add('false');
    else conditions.add(`search @@ to_tsquery('english', ?)`, tsquery);
  }
}

/**
 * `base`, or `base-2`, `base-3`… when taken among the slugs `scope` selects (only for slugs derived
 * from a name or title; an explicit slug that is taken is 409). With `skip`, the free one after `skip` others
 * (see createWithSlug). `scope` is trusted SQL with $1….
 */
export async function freeSlug(
  dataSource: DataSource,
  table: string,
  scope: Conditions,
  base: string,
  skip = 0,
): Promise<string> {
  const params = [...scope.params, base, `${base}-%`];
  const rows = (await dataSource.query(
    `SELECT slug FROM ${table} WHERE ${scope.clauses.join(' AND ')} AND (slug = $${params.length - 1} OR slug LIKE $${params.length})`,
    params,
  )) as { slug: string }[];
  return nthFreeSlug(new Set(rows.map((row) => row.slug)), base, skip);
}

/** The first slug of `base`, `base-2`, `base-3`… not in `taken`, after `skip` others that are not either. */
export function nthFreeSlug(taken: ReadonlySet<string>, base: string, skip = 0): string {
  let free = 0;
  for (let n = 1; ; n += 1) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!taken.has(candidate) && free++ === skip) return candidate;
  }
}

const MAX_SLUG_PICKS = 20;

/**
 * Creates with the explicit slug, or with one derived from a name through `pick` (freeSlug). Concurrent
 * creates of one name pick the same free slug; the ones that lose the unique index pick again rather than
 * answering 409 to a client that sent no slug at all. Each retry takes a free slug at random among the next
 * few (more with each attempt), so that a burst of creates of one name spreads out instead of racing for
 * one slug a round: 100 at once finish within a few picks.
 */
export async function createWithSlug<T>(
  explicit: string | undefined,
  pick: (skip: number) => Promise<string>,
  create: (slug: string) => Promise<T>,
  random: () => number = Math.random,
): Promise<T> {
  if (explicit !== undefined) return create(explicit);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const skip = attempt === 1 ? 0 : Math.floor(random() * 4 * attempt);
      return await create(await pick(skip));
    } catch (error) {
      const slugTaken = error instanceof DomainError && error.code === RpcErrorCode.ResourceExists;
      if (!slugTaken || attempt >= MAX_SLUG_PICKS) throw error;
    }
  }
}
