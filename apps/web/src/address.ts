/**
 * Shows a list's selection (`/keys?sort_by=name`) in the page's address: a history entry, so that Back returns
 * to the previous selection, and a reload or a shared link shows this one. The same selection again (Search
 * clicked twice) changes no address and so fires no `hashchange`: `reload` loads it then. The page shown for
 * an empty hash (`/keys`) counts as that address.
 */
export function showInAddress(route: string, reload: () => void): void {
  const target = `#${route}`;
  const current = location.hash === '' ? '#/keys' : location.hash;
  if (target === current) reload();
  else location.hash = target;
}

/**
 * Shows `route` in place of the current address, without a new history entry (a page number that no longer
 * exists corrected to the last one). The entry keeps its state (its position in this tab's history).
 */
export function replaceInAddress(route: string): void {
  history.replaceState(history.state, '', `#${route}`);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/**
 * The page to show instead of `page` when a list has fewer pages now (its last items went: resolved, deleted,
 * revoked, or a link to page 9 of 2): the last page, or page 1 of an empty list. Null when `page` exists.
 */
export function lastPageInstead(page: number, totalPages: number): number | null {
  const last = Math.max(totalPages, 1);
  return page > last ? last : null;
}
