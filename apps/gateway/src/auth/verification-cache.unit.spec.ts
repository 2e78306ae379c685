import type { VerifiedKey } from '#contracts';
import { VerificationCache, type VerificationCacheOptions } from './verification-cache';

const options: VerificationCacheOptions = { positiveMaxAgeMs: 30_000, negativeMaxAgeMs: 5_000, maxEntries: 3 };

function verified(keyId: string, accountId: string): VerifiedKey {
  return {
    key: {
      id: keyId,
      name: `key ${keyId}`,
      key_prefix: 'vxk_01234567',
      integrations: ['cli'],
      status: 'active',
      revoked_reason: null,
      expires_at: null,
      revoke_at: null,
      is_legacy: false,
    },
    account: {
      id: accountId,
      email: `${accountId}@example.com`,
      name: accountId,
      tier: 'free',
      rate_limit_per_hour: null,
      status: 'active',
      created_at: '2025-01-01T00:00:00.000Z',
      hourly_limit: 1_000,
    },
  };
}

describe('VerificationCache', () => {
  let clock: number;
  let sut: VerificationCache;

  beforeEach(() => {
    clock = 1_000_000;
    sut = new VerificationCache(() => clock, options);
  });

  it('has nothing for a hash it never stored', () => {
    expect(sut.get('h1')).toBeUndefined();
  });

  it('answers a positive entry within its max age', () => {
    const value = verified('k1', 'a1');
    sut.set('h1', value, sut.generation);
    clock += options.positiveMaxAgeMs - 1;
    expect(sut.get('h1')?.value).toEqual(value);
  });

  it('answers a negative entry within its max age', () => {
    sut.set('h1', null, sut.generation);
    clock += options.negativeMaxAgeMs - 1;
    expect(sut.get('h1')).toBeDefined();
    expect(sut.get('h1')?.value).toBeNull();
  });

  it.each([
    ['a positive', verified('k1', 'a1'), options.positiveMaxAgeMs],
    ['a negative', null, options.negativeMaxAgeMs],
  ])('forgets %s entry once its max age has passed', (_, value, maxAgeMs) => {
    sut.set('h1', value, sut.generation);
    clock += maxAgeMs + 1;
    expect(sut.get('h1')).toBeUndefined();
    expect(sut.size).toBe(0);
  });

  it('keeps a positive entry longer than a negative one', () => {
    sut.set('known', verified('k1', 'a1'), sut.generation);
    sut.set('unknown', null, sut.generation);
    clock += options.negativeMaxAgeMs + 1;
    expect(sut.get('known')).toBeDefined();
    expect(sut.get('unknown')).toBeUndefined();
  });

  it('evicts only the invalidated key', () => {
    sut.set('h1', verified('k1', 'a1'), sut.generation);
    sut.set('h2', verified('k2', 'a1'), sut.generation);
    sut.set('h3', null, sut.generation);

    sut.invalidate({ key_id: 'k1' });

    expect(sut.get('h1')).toBeUndefined();
    expect(sut.get('h2')?.value?.key.id).toBe('k2');
    expect(sut.get('h3')).toBeDefined();
  });

  it('evicts every key of an invalidated account and nothing else', () => {
    sut.set('h1', verified('k1', 'a1'), sut.generation);
    sut.set('h2', verified('k2', 'a1'), sut.generation);
    sut.set('h3', verified('k3', 'a2'), sut.generation);

    sut.invalidate({ account_id: 'a1' });

    expect(sut.get('h1')).toBeUndefined();
    expect(sut.get('h2')).toBeUndefined();
    expect(sut.get('h3')?.value?.account.id).toBe('a2');
  });

  it('drops only the negative entries when a new key becomes known', () => {
    sut.set('known', verified('k1', 'a1'), sut.generation);
    sut.set('unknown-1', null, sut.generation);
    sut.set('unknown-2', null, sut.generation);

    sut.invalidate({ new_key: true });

    expect(sut.get('known')).toBeDefined();
    expect(sut.get('unknown-1')).toBeUndefined();
    expect(sut.get('unknown-2')).toBeUndefined();
    expect(sut.size).toBe(1);
  });

  it('does not store an answer fetched before an invalidation arrived', () => {
    const generationAtStart = sut.generation;
    sut.invalidate({ key_id: 'k1' });

    sut.set('h1', verified('k1', 'a1'), generationAtStart);

    expect(sut.get('h1')).toBeUndefined();
    expect(sut.size).toBe(0);
  });

  it('stores an answer fetched after the last invalidation', () => {
    sut.invalidate({ key_id: 'k1' });
    sut.set('h1', verified('k1', 'a1'), sut.generation);
    expect(sut.get('h1')).toBeDefined();
  });

  it('evicts the oldest entry when full', () => {
    sut.set('h1', verified('k1', 'a1'), sut.generation);
    clock += 1;
    sut.set('h2', null, sut.generation);
    clock += 1;
    sut.set('h3', verified('k3', 'a1'), sut.generation);
    clock += 1;

    sut.set('h4', verified('k4', 'a2'), sut.generation);

    expect(sut.size).toBe(options.maxEntries);
    expect(sut.get('h1')).toBeUndefined();
    expect(sut.get('h2')).toBeDefined();
    expect(sut.get('h3')).toBeDefined();
    expect(sut.get('h4')).toBeDefined();
  });

  it('replaces an entry for the same hash without evicting another when full', () => {
    sut.set('h1', verified('k1', 'a1'), sut.generation);
    sut.set('h2', verified('k2', 'a1'), sut.generation);
    sut.set('h3', verified('k3', 'a1'), sut.generation);

    sut.set('h2', null, sut.generation);

    expect(sut.size).toBe(3);
    expect(sut.get('h1')).toBeDefined();
    expect(sut.get('h2')?.value).toBeNull();
    sut.invalidate({ key_id: 'k2' });
    expect(sut.get('h2')).toBeDefined();
  });

  it('empties itself on clear() and refuses answers fetched before it', () => {
    const generationAtStart = sut.generation;
    sut.set('h1', verified('k1', 'a1'), generationAtStart);
    sut.set('h2', null, generationAtStart);

    sut.clear();
    sut.set('h3', verified('k3', 'a1'), generationAtStart);

    expect(sut.size).toBe(0);
    expect(sut.get('h1')).toBeUndefined();
    expect(sut.get('h2')).toBeUndefined();
    expect(sut.get('h3')).toBeUndefined();
  });
});
