import { useEffect } from 'react';

/**
 * Unsaved work on the page shown (the content editor's typed text): the dashboard asks before another page, a
 * logout or closing the tab would throw it away. One page is shown at a time, so one question is kept.
 */
let question: string | null = null;

/** While `unsaved` is a question (not null), leaving the page asks it; closing the tab asks the browser's own. */
export function useUnsavedChanges(unsaved: string | null): void {
  useEffect(() => {
    if (unsaved === null) return;
    question = unsaved;
    // Browsers show their own text for this; setting `returnValue` is what makes them ask at all.
    const beforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      if (question === unsaved) question = null;
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, [unsaved]);
}

/** True when nothing unsaved would be lost, or the user agrees to lose it. */
export function mayLeave(): boolean {
  return question === null || window.confirm(question);
}
