/**
 * The content editor's unsaved text, kept in this tab's sessionStorage when the session ends under it, and given
 * back once the same account has signed in again (PRODUCT.md §13). Only what the user typed into the form: no
 * token or other secret of the session. Pure over the storage it is given, unit-tested.
 */
import type { ContentKind } from './content';

const STORAGE_KEY = 'vx_draft';

export interface KeptDraft {
  /** The account that typed it: another one signing in on this tab never sees it. */
  account: string;
  kind: ContentKind;
  /** The item edited, or null for a new one. */
  item: string | null;
  /** How the editor named it (`“Deploy notes”`, `the new memory`). */
  title: string;
  /** The fields the user changed (for a new item: every field), as typed. */
  fields: Record<string, string | boolean>;
}

type DraftStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** Keeps `draft` (one at a time: the editor holds one item); false when the storage refuses it (full). */
export function keepDraft(storage: DraftStorage, draft: KeptDraft): boolean {
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify(draft));
    return true;
  } catch {
    return false;
  }
}

function readDraft(storage: DraftStorage): KeptDraft | null {
  try {
    const draft = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null') as KeptDraft | null;
    return draft && typeof draft.account === 'string' && typeof draft.fields === 'object' ? draft : null;
  } catch {
    return null;
  }
}

/** The draft `account` left on the page of `kind`, once: it is removed as it is given back. */
export function takeDraft(storage: DraftStorage, account: string, kind: ContentKind): KeptDraft | null {
  const draft = readDraft(storage);
  if (!draft || draft.account !== account || draft.kind !== kind) return null;
  storage.removeItem(STORAGE_KEY);
  return draft;
}

/** Forgets a kept draft unless it is `account`'s (null: whoever's, as on logout). */
export function dropDraftUnlessOf(storage: DraftStorage, account: string | null): void {
  if (readDraft(storage)?.account !== account) storage.removeItem(STORAGE_KEY);
}
