import {
  type KeptDraft,
  draftOnto,
  dropDraftUnlessOf,
  forgetDraft,
  keepDraft,
  keptDraftTitle,
  peekDraft,
} from './drafts';

/** sessionStorage's three methods over a Map. */
function memoryStorage() {
  const values = new Map<string, string>();
  return {
    values,
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => void values.set(key, value),
    removeItem: (key: string) => void values.delete(key),
  };
}

const draft: KeptDraft = {
  account: 'ann',
  kind: 'memories',
  item: 'm-1',
  version: 3,
  title: '“Deploy notes”',
  fields: { text: 'typed before the session ended', status: 'draft' },
  original: { text: 'as version 3 had it', status: 'active' },
};

describe('drafts kept while the user signs in again', () => {
  it('gives a draft to the account that typed it, on the page of its kind, until it has been shown', () => {
    const sut = memoryStorage();
    expect(keepDraft(sut, draft)).toBe(true);
    expect(peekDraft(sut, 'bob', 'memories')).toBeNull();
    expect(peekDraft(sut, 'ann', 'prompts')).toBeNull();
    expect(peekDraft(sut, 'ann', 'memories')).toEqual(draft);
    // Read again (its item's request failed, or the page was left before it came): still there.
    expect(peekDraft(sut, 'ann', 'memories')).toEqual(draft);
    expect(keptDraftTitle(sut)).toBe('“Deploy notes”');
    forgetDraft(sut);
    expect(peekDraft(sut, 'ann', 'memories')).toBeNull();
    expect(keptDraftTitle(sut)).toBeNull();
  });

  it("forgets another account's draft when someone signs in, and every draft on logout", () => {
    const sut = memoryStorage();
    keepDraft(sut, draft);
    dropDraftUnlessOf(sut, 'ann');
    expect(sut.values.size).toBe(1);
    dropDraftUnlessOf(sut, 'bob');
    expect(sut.values.size).toBe(0);
    keepDraft(sut, draft);
    dropDraftUnlessOf(sut, null);
    expect(sut.values.size).toBe(0);
  });

  it('says when the storage refuses a draft, and reads nothing from a damaged or incomplete entry', () => {
    const sut = memoryStorage();
    const full = {
      ...sut,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(keepDraft(full, draft)).toBe(false);
    sut.setItem('vx_draft', '{not json');
    expect(peekDraft(sut, 'ann', 'memories')).toBeNull();
    // Without the version it was typed on, a newer one could not be told apart: it would be saved over unseen.
    const { version: _version, ...unversioned } = draft;
    sut.setItem('vx_draft', JSON.stringify(unversioned));
    expect(peekDraft(sut, 'ann', 'memories')).toBeNull();
  });

  it('lays a draft on the version it was typed on without a conflict, and on a newer one as a conflict', () => {
    const now = { title: 'Deploys', text: 'as version 3 had it', status: 'active' };
    expect(draftOnto(draft, 3, now)).toEqual({ conflict: false, both: {} });
    // Version 4 changed the status too: both changed it, and the user's value is the one marked.
    expect(draftOnto(draft, 4, { ...now, status: 'archived' })).toEqual({
      conflict: true,
      both: { status: 'draft' },
    });
    // Version 4 changed only the title, which the user did not touch: a conflict, with no field changed by both.
    expect(draftOnto(draft, 4, { ...now, title: 'Renamed' })).toEqual({ conflict: true, both: {} });
    // A new item has no other version.
    expect(draftOnto({ ...draft, item: null, version: null }, 1, now)).toEqual({ conflict: false, both: {} });
  });
});
