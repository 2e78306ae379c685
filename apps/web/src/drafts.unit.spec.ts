import { type KeptDraft, dropDraftUnlessOf, keepDraft, takeDraft } from './drafts';

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
  title: '“Deploy notes”',
  fields: { text: 'typed before the session ended' },
};

describe('drafts kept while the user signs in again', () => {
  it('gives a draft back once, to the account that typed it, on the page of its kind', () => {
    const sut = memoryStorage();
    expect(keepDraft(sut, draft)).toBe(true);
    expect(takeDraft(sut, 'bob', 'memories')).toBeNull();
    expect(takeDraft(sut, 'ann', 'prompts')).toBeNull();
    expect(takeDraft(sut, 'ann', 'memories')).toEqual(draft);
    expect(takeDraft(sut, 'ann', 'memories')).toBeNull();
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

  it('says when the storage refuses a draft, and reads nothing from a damaged entry', () => {
    const sut = memoryStorage();
    const full = {
      ...sut,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(keepDraft(full, draft)).toBe(false);
    sut.setItem('vx_draft', '{not json');
    expect(takeDraft(sut, 'ann', 'memories')).toBeNull();
  });
});
