/**
 * The content editor's unsaved text, kept in this tab's sessionStorage when the session ends under it, and given
 * back once the same account has signed in again. A decision of this dashboard (README.md, "The dashboard"), not
 * of PRODUCT.md, whose §13 only lists the editing pages. Only what the user typed into the form: no token or
 * other secret of the session. Pure over the storage it is given, unit-tested.
 */
import type { ContentKind } from './content';

const STORAGE_KEY = 'vx_draft';

/** A form's fields by name, as the editor shows them (a checkbox: whether it is ticked). */
export type DraftFields = Record<string, string | boolean>;

export interface KeptDraft {
  /** The account that typed it: another one signing in on this tab never sees it. */
  account: string;
  kind: ContentKind;
  /** The item edited, or null for a new one. */
  item: string | null;
  /** The version of the item the editor had open (null for a new one): the base of the user's changes. */
  version: number | null;
  /** How the editor named it (`“Deploy notes”`, `the new memory`). */
  title: string;
  /** The fields the user changed, as typed. */
  fields: DraftFields;
  /** The same fields as that version had them, to tell which were changed elsewhere too. */
  original: DraftFields;
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

const isFields = (value: unknown): value is DraftFields => typeof value === 'object' && value !== null;

function readDraft(storage: DraftStorage): KeptDraft | null {
  try {
    const draft = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null') as Partial<KeptDraft> | null;
    const valid =
      draft !== null &&
      typeof draft.account === 'string' &&
      (typeof draft.version === 'number' || draft.version === null) &&
      isFields(draft.fields) &&
      isFields(draft.original);
    return valid ? (draft as KeptDraft) : null;
  } catch {
    return null;
  }
}

/**
 * The draft `account` left on the page of `kind`. It stays kept until it has been shown (`forgetDraft`): a
 * request for its item that fails, or a page left before, does not lose it.
 */
export function peekDraft(storage: DraftStorage, account: string, kind: ContentKind): KeptDraft | null {
  const draft = readDraft(storage);
  return draft && draft.account === account && draft.kind === kind ? draft : null;
}

/** How the kept draft's item is named, whoever's it is: the sign-in page says that its text is kept. */
export function keptDraftTitle(storage: DraftStorage): string | null {
  return readDraft(storage)?.title ?? null;
}

/** Forgets the kept draft: it has been shown (in the editor, or where it can be copied). */
export function forgetDraft(storage: DraftStorage): void {
  storage.removeItem(STORAGE_KEY);
}

/** Forgets a kept draft unless it is `account`'s (null: whoever's, as on logout). */
export function dropDraftUnlessOf(storage: DraftStorage, account: string | null): void {
  if (readDraft(storage)?.account !== account) storage.removeItem(STORAGE_KEY);
}

/**
 * A kept draft laid on its item as saved now (`version`, and `now`: its fields as the editor shows them). Another
 * version saved since the editor opened is a conflict, as a 409 on Save would be: `both` holds the fields the user
 * changed that were changed elsewhere too (with the user's values).
 */
export function draftOnto(
  draft: KeptDraft,
  version: number,
  now: DraftFields,
): { conflict: boolean; both: DraftFields } {
  if (draft.version === null || draft.version === version) return { conflict: false, both: {} };
  return {
    conflict: true,
    both: Object.fromEntries(
      Object.entries(draft.fields).filter(([name]) => name in now && now[name] !== draft.original[name]),
    ),
  };
}
