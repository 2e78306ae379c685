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
}

export const NO_FILTERS: ContentFilters = { search: '', status: '', labels: '', project: '', type: '' };

/** The filters each list takes (§5.1–5.3): prompts have no project or type, memories no type. */
export const FILTERS_OF: Record<ContentKind, readonly (keyof ContentFilters)[]> = {
  prompts: ['search', 'status', 'labels'],
  artifacts: ['search', 'status', 'labels', 'project', 'type'],
  memories: ['search', 'status', 'labels', 'project'],
};

const PAGE_SIZE = 20;

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
  for (const name of FILTERS_OF[kind])
    sent[name] = name === 'labels' ? labelList(filters.labels).join(',') : filters[name].trim();
  return query({ ...sent, page, limit: PAGE_SIZE, sort_by: 'updated_at' });
}

/** Whether any filter this list takes is set (an empty list then means "nothing matches"). */
export function isFiltered(kind: ContentKind, filters: ContentFilters): boolean {
  return FILTERS_OF[kind].some((name) =>
    name === 'labels' ? labelList(filters.labels).length > 0 : filters[name].trim() !== '',
  );
}

/**
 * The values of a render request: a placeholder left empty is not sent, so it stays `{{name}}` in the
 * preview and is listed as still missing, rather than silently rendered as nothing.
 */
export function filledPlaceholders(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== ''));
}
