/** What the Prompts, Artifacts and Memories pages send (PRODUCT.md §5). Pure, unit-tested. */
import { query } from './api';

export type ContentKind = 'prompts' | 'artifacts' | 'memories';

/** A list's filters as typed: '' is "not filtered by it" (for status: the API's default). */
export interface ContentFilters {
  search: string;
  status: string;
  /** Comma-separated; an item with any of them matches. */
  labels: string;
  project: string;
  type: string;
  /** Memories: `key=value, key=other, env=prod` (values of one key: any; keys: all). */
  metadata: string;
  /** Prompts: '' (either), 'true' (offered to MCP clients) or 'false'. */
  mcp_expose: string;
}

export const NO_FILTERS: ContentFilters = {
  search: '',
  status: '',
  labels: '',
  project: '',
  type: '',
  metadata: '',
  mcp_expose: '',
};

/** The filters each list takes (§5.1–5.3, §14): prompts have no project or type, memories no type. */
export const FILTERS_OF: Record<ContentKind, readonly (keyof ContentFilters)[]> = {
  prompts: ['search', 'status', 'labels', 'mcp_expose'],
  artifacts: ['search', 'status', 'labels', 'project', 'type'],
  memories: ['search', 'status', 'labels', 'project', 'metadata'],
};

const PAGE_SIZE = 20;

type Scalar = string | number | boolean;

/** `2` may be stored as the number or the string, `true` as the boolean or the string: match each. */
function storedForms(value: string): Scalar[] {
  if (value === 'true' || value === 'false') return [value, value === 'true'];
  if (/^-?\d+(\.\d+)?$/.test(value) && Number.isFinite(Number(value))) return [value, Number(value)];
  return [value];
}

/**
 * `team=web, team=api, env=prod` → `{ team: ['web', 'api'], env: ['prod'] }`, the API's metadata filter (§5.3):
 * values of one key any, keys all; a number or true/false also matches the JSON number or boolean.
 * '' → null (no filter). An entry without `key=` is an Error naming it.
 */
export function metadataFilter(text: string): Record<string, Scalar[]> | null {
  const filter: Record<string, Scalar[]> = {};
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue;
    const equals = entry.indexOf('=');
    const key = entry.slice(0, Math.max(equals, 0)).trim();
    if (equals < 0 || key === '') throw new Error(`metadata filter: write key=value, not “${entry.trim()}”`);
    const values = (filter[key] ??= []);
    for (const form of storedForms(entry.slice(equals + 1).trim())) if (!values.includes(form)) values.push(form);
  }
  return Object.keys(filter).length > 0 ? filter : null;
}

/** A filter as sent: labels as the API stores them, metadata as JSON, the rest trimmed ('' is not sent). */
function sentValue(name: keyof ContentFilters, filters: ContentFilters): string {
  if (name === 'labels') return labelList(filters.labels).join(',');
  if (name === 'metadata') {
    const filter = metadataFilter(filters.metadata);
    return filter ? JSON.stringify(filter) : '';
  }
  return filters[name].trim();
}

/** `" a, b,,a "` → `['a', 'b']`: trimmed, empty ones dropped, each once (as the API stores labels). */
export function labelList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((label) => label.trim())
        .filter(Boolean),
    ),
  ];
}

/** The query of `GET /api/v1/{kind}` for these filters and page, newest change first. */
export function listQuery(kind: ContentKind, filters: ContentFilters, page: number): string {
  const sent: Partial<ContentFilters> = {};
  for (const name of FILTERS_OF[kind]) sent[name] = sentValue(name, filters);
  return query({ ...sent, page, limit: PAGE_SIZE, sort_by: 'updated_at' });
}

/** Whether any filter this list takes is set (an empty list then means "nothing matches"). */
export function isFiltered(kind: ContentKind, filters: ContentFilters): boolean {
  return FILTERS_OF[kind].some((name) =>
    name === 'labels' ? labelList(filters.labels).length > 0 : filters[name].trim() !== '',
  );
}

/**
 * The page's address for these filters and page (`/memories?project=shop&page=2`), so that a reload, a link
 * or Back shows the same list. Filters as typed, set ones only; page 1 is left out.
 */
export function contentLocation(kind: ContentKind, filters: ContentFilters, page: number): string {
  const shown: Record<string, string | number> = {};
  for (const name of FILTERS_OF[kind]) if (filters[name].trim() !== '') shown[name] = filters[name];
  return `/${kind}${query({ ...shown, page: page > 1 ? page : undefined })}`;
}

/** The filters and page an address holds (see contentLocation); anything else in it is ignored. */
export function parseContentLocation(kind: ContentKind, search: string): { filters: ContentFilters; page: number } {
  const params = new URLSearchParams(search);
  const filters = { ...NO_FILTERS };
  for (const name of FILTERS_OF[kind]) filters[name] = params.get(name) ?? '';
  const page = Number(params.get('page'));
  return { filters, page: Number.isInteger(page) && page >= 1 ? page : 1 };
}

/**
 * The values of a render request: a placeholder left empty is not sent, so it stays `{{name}}` in the
 * preview and is listed as still missing, rather than silently rendered as nothing.
 */
export function filledPlaceholders(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== ''));
}
