/** The page's main region: where focus goes when the element that held it is gone. */
export const MAIN_ID = 'main';

/** Focus on the page's main region (focusable with tabindex -1), without scrolling the page. */
export function focusMain(): void {
  document.getElementById(MAIN_ID)?.focus({ preventScroll: true });
}

/**
 * Keeps keyboard focus on the page when the element holding it disappears: a revoked key's row, a deleted
 * item's editor, a button a reload replaced. The browser would drop focus to <body>, and the next Tab would
 * start again from the top of the page; it goes to the main region instead. A ref callback for that region
 * (React 19 runs the cleanup it returns when the region goes).
 */
export function rescueFocusIn(region: HTMLElement | null): (() => void) | undefined {
  if (!region) return undefined;
  let held: Element | null = null;
  const focused = (event: FocusEvent) => {
    held = event.target as Element;
  };
  const observer = new MutationObserver(() => {
    const lost = document.activeElement === document.body || document.activeElement === null;
    if (held && !held.isConnected && lost) focusMain();
  });
  region.addEventListener('focusin', focused);
  observer.observe(region, { childList: true, subtree: true });
  return () => {
    region.removeEventListener('focusin', focused);
    observer.disconnect();
  };
}

/**
 * Another page is shown: focus goes to its title (its h1), which a screen reader then reads, as it would a new
 * document's; without one yet, to the main region.
 */
export function focusHeading(): void {
  const heading = document.querySelector<HTMLElement>('main h1');
  if (!heading) return focusMain();
  heading.tabIndex = -1;
  heading.focus();
}
