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
 * `keep` stores the work when the session ends (true when it did).
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

/** The session ended under the page: keeps its unsaved work for after sign-in. True when there was some, kept. */
export function keepUnsavedWork(): boolean {
  return question !== null && keeper !== null && keeper();
}
