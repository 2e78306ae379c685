import { ContentReadCache, type ContentReadCacheOptions } from './content-read-cache';

const ALICE = 'account-alice';
const BOB = 'account-bob';

function memory(id: string, text = 'a memory'): { id: string; text: string } {
  return { id, text };
}

/** Serialized size of a view, as the cache counts it. */
const sizeOf = (view: object) => JSON.stringify(view).length;

describe('ContentReadCache', () => {
  let clock: number;
  const make = (overrides: Partial<ContentReadCacheOptions> = {}) =>
    new ContentReadCache(() => clock, {
      maxAgeMs: 10_000,
      maxBytes: 10_000,
      maxEntryBytes: 1_000,
      maxReadMs: 6_000,
      ...overrides,
    });

  beforeEach(() => {
    clock = 1_000_000;
  });

  it('serves a stored view to the account it was read for, and to no other account', () => {
    const sut = make();
    const view = memory('m1');
    sut.set('memory', 'm1', ALICE, view, sut.generation);

    expect(sut.get('memory', 'm1', ALICE)).toBe(view);
    expect(sut.get('memory', 'm1', BOB)).toBeUndefined();
  });

  it('keeps kinds apart: a prompt and a memory with the same id are different entries', () => {
    const sut = make();
    sut.set('memory', 'same-id', ALICE, memory('same-id'), sut.generation);

    expect(sut.get('prompt', 'same-id', ALICE)).toBeUndefined();
  });

  it('forgets a view once it is older than the maximum age', () => {
    const sut = make({ maxAgeMs: 10_000 });
    sut.set('memory', 'm1', ALICE, memory('m1'), sut.generation);

    clock += 10_000;
    expect(sut.get('memory', 'm1', ALICE)).toBeDefined();
    clock += 1;
    expect(sut.get('memory', 'm1', ALICE)).toBeUndefined();
    expect(sut.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('evicts a changed resource at once', () => {
    const sut = make();
    sut.set('memory', 'm1', ALICE, memory('m1'), sut.generation);
    sut.set('memory', 'm2', ALICE, memory('m2'), sut.generation);

    sut.evict('memory', 'm1');

    expect(sut.get('memory', 'm1', ALICE)).toBeUndefined();
    expect(sut.get('memory', 'm2', ALICE)).toBeDefined();
  });

  it('does not store a read that was in flight while something was evicted (an older answer never wins)', () => {
    const sut = make();
    const generationAtStart = sut.generation;
    sut.evict('memory', 'm1'); // the change notice arrives before the old read's reply

    sut.set('memory', 'm1', ALICE, memory('m1', 'before the change'), generationAtStart);

    expect(sut.get('memory', 'm1', ALICE)).toBeUndefined();
  });

  it('stores a read that was in flight while another resource was evicted', () => {
    const sut = make();
    const generationAtStart = sut.generation;
    sut.evict('memory', 'm2');
    sut.evict('prompt', 'm1');

    sut.set('memory', 'm1', ALICE, memory('m1'), generationAtStart);

    expect(sut.get('memory', 'm1', ALICE)).toBeDefined();
  });

  it('remembers an eviction only as long as a read can be in flight', () => {
    const sut = make({ maxReadMs: 6_000 });
    const startedBefore = sut.generation;
    sut.evict('memory', 'm1');
    clock += 6_001;
    sut.evict('memory', 'other'); // evictions are pruned as new ones come

    // No read lasts this long (the RPC times out first); were one to, it would now be stored.
    sut.set('memory', 'm1', ALICE, memory('m1'), startedBefore);
    expect(sut.get('memory', 'm1', ALICE)).toBeDefined();
  });

  it('does not store a read that was in flight while the cache was cleared', () => {
    const sut = make();
    const generationAtStart = sut.generation;
    sut.clear();

    sut.set('memory', 'm1', ALICE, memory('m1'), generationAtStart);

    expect(sut.size.entries).toBe(0);
  });

  it('drops the least recently used views to stay within its size, counting a hit as a use', () => {
    const one = memory('m1', 'x'.repeat(100));
    const sut = make({ maxBytes: sizeOf(one) * 2 + 5 });
    sut.set('memory', 'm1', ALICE, one, sut.generation);
    sut.set('memory', 'm2', ALICE, memory('m2', 'x'.repeat(100)), sut.generation);
    expect(sut.get('memory', 'm1', ALICE)).toBeDefined(); // m2 is now the least recently used

    sut.set('memory', 'm3', ALICE, memory('m3', 'x'.repeat(100)), sut.generation);

    expect(sut.get('memory', 'm1', ALICE)).toBeDefined();
    expect(sut.get('memory', 'm2', ALICE)).toBeUndefined();
    expect(sut.get('memory', 'm3', ALICE)).toBeDefined();
    expect(sut.size.bytes).toBeLessThanOrEqual(sizeOf(one) * 2 + 5);
  });

  it('never stores a view larger than one entry may be', () => {
    const sut = make({ maxEntryBytes: 50 });
    sut.set('memory', 'm1', ALICE, memory('m1', 'x'.repeat(100)), sut.generation);

    expect(sut.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('replacing a view keeps the byte count right', () => {
    const sut = make();
    sut.set('memory', 'm1', ALICE, memory('m1', 'short'), sut.generation);
    const longer = memory('m1', 'a longer text');
    sut.set('memory', 'm1', ALICE, longer, sut.generation);

    expect(sut.size).toEqual({ entries: 1, bytes: sizeOf(longer) });
  });

  it('stores nothing when turned off (0 bytes)', () => {
    const sut = make({ maxBytes: 0 });
    sut.set('memory', 'm1', ALICE, memory('m1'), sut.generation);

    expect(sut.enabled).toBe(false);
    expect(sut.get('memory', 'm1', ALICE)).toBeUndefined();
  });
});
