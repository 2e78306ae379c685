import type { Page } from '#contracts';

/** The list envelope of PRODUCT.md §1: `{ <plural>: [...], total_count, page, per_page, total_pages }`. */
export function listEnvelope<T, K extends string>(plural: K, page: Page<T>): Record<K, T[]> & Omit<Page<T>, 'items'> {
  return {
    [plural]: page.items,
    total_count: page.total_count,
    page: page.page,
    per_page: page.per_page,
    total_pages: page.total_pages,
  } as Record<K, T[]> & Omit<Page<T>, 'items'>;
}
