import { useEffect, useRef } from 'react';

/**
 * Unsaved work on the page shown (the content editor's typed text): the dashboard asks before another page, a
 * logout or closing the tab would throw it away. One page is shown at a time, so one question is kept, with the
 * page's way of keeping that work when the session ends under it (to give it back after signing in).
 */
let question: string | null = null;
let keeper: (() => boolean) | null = null;

/**
 * While `unsaved` is a question (not null), leaving the page asks it; closing the tab asks the browser's own.
 * `keep` stores the work when the session ends: true when it is safe (kept, or nothing was changed after all).
 */
export function useUnsavedChanges(unsaved: string | null, keep?: () => boolean): void {
  const latestKeep = useRef(keep);
  latestKeep.current = keep;
  useEffect(() => {
    if (unsaved === null) return;
    question = unsaved;
    const ownKeeper = () => latestKeep.current?.() ?? false;
    keeper = ownKeeper;
    // Browsers show their own text for this; setting `returnValue` is what makes them ask at all.
    const beforeUnload = (event: BeforeUnloadEvent) => {
      // Kept already (the tab reloads for another session): nothing is lost.
      if (question !== unsaved) return;
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      if (question === unsaved) question = null;
      if (keeper === ownKeeper) keeper = null;
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, [unsaved]);
}

/** True when nothing unsaved would be lost, or the user agrees to lose it. */
export function mayLeave(): boolean {
  return question === null || window.confirm(question);
}

/**
 * The session ended under the page, or the tab reloads for another: keeps its unsaved work for after sign-in.
 * Once it is safe, leaving the page no longer asks. False when some could not be kept (the storage is full).
 */
export function keepUnsavedWork(): boolean {
  if (question === null) return true;
  if (!keeper?.()) return false;
  question = null;
  return true;
}
