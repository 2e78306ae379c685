import { setImmediate as nextTurn } from 'node:timers/promises';
import { DomainError, RpcErrorCode } from '#contracts';
import { createWithSlug, nthFreeSlug } from './content-query';

/** A seeded generator, so that a run's picks are the same every time. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe('nthFreeSlug', () => {
  it('takes the name first, then the first free number, skipping as many free ones as asked', () => {
    const taken = new Set(['standup', 'standup-2', 'standup-4']);
    expect(nthFreeSlug(new Set(), 'standup')).toBe('standup');
    expect(nthFreeSlug(taken, 'standup')).toBe('standup-3');
    expect(nthFreeSlug(taken, 'standup', 1)).toBe('standup-5');
    expect(nthFreeSlug(taken, 'standup', 3)).toBe('standup-7');
  });
});

describe('createWithSlug', () => {
  /** A store whose unique index refuses a slug taken by a create that finished between the pick and the insert. */
  function store() {
    const taken = new Set<string>();
    const pick = async (skip: number) => {
      await nextTurn();
      return nthFreeSlug(taken, 'standup', skip);
    };
    const create = async (slug: string) => {
      await nextTurn();
      if (taken.has(slug)) throw new DomainError(RpcErrorCode.ResourceExists, 'slug taken');
      taken.add(slug);
      return slug;
    };
    return { taken, pick, create };
  }

  it('gives each of 100 concurrent creates of one name its own slug, none refused', async () => {
    const { pick, create } = store();
    const random = seeded(7);

    const slugs = await Promise.all(Array.from({ length: 100 }, () => createWithSlug(undefined, pick, create, random)));

    expect(new Set(slugs).size).toBe(100);
    expect(slugs).toContain('standup');
  });

  it('answers a taken explicit slug with the conflict, without picking another', async () => {
    const { taken, pick, create } = store();
    taken.add('mine');

    await expect(createWithSlug('mine', pick, create)).rejects.toMatchObject({ code: RpcErrorCode.ResourceExists });
  });
});
