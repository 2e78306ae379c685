import type { Tier } from '#contracts';
import { type AccountChange, type AccountEvent, type AccountState, decideAdminChange, evolve, fold } from './account';

const accountId = '5c1d7f0e-1f7b-4d0a-8e8e-2d7a4b9c3e22';

function account(tier: Tier, rateLimitPerHour: number | null = null, suspended = false): AccountState {
  const events: AccountEvent[] = [
    { type: 'account.created', data: { account_id: accountId, email: 'a@example.com', name: 'A', tier: 'free' } },
  ];
  if (tier !== 'free' || rateLimitPerHour !== null)
    events.push({ type: 'account.tier_changed', data: { tier, rate_limit_per_hour: rateLimitPerHour } });
  if (suspended) events.push({ type: 'account.suspended', data: {} });
  const state = fold(events);
  if (!state) throw new Error('no state');
  return state;
}

describe('account evolve / fold', () => {
  it('creates an active account without a custom limit', () => {
    expect(account('free')).toEqual({
      id: accountId,
      tier: 'free',
      rateLimitPerHour: null,
      status: 'active',
      version: 1,
    });
  });

  it('applies tier changes, suspensions and reactivations with a growing version', () => {
    const sut = fold([
      { type: 'account.created', data: { account_id: accountId, email: 'a@example.com', name: 'A', tier: 'free' } },
      { type: 'account.tier_changed', data: { tier: 'enterprise', rate_limit_per_hour: 50_000 } },
      { type: 'account.suspended', data: {} },
    ]);
    expect(sut).toEqual({
      id: accountId,
      tier: 'enterprise',
      rateLimitPerHour: 50_000,
      status: 'suspended',
      version: 3,
    });
    expect(evolve(sut, { type: 'account.reactivated', data: {} })).toMatchObject({ status: 'active', version: 4 });
  });

  it('refuses an event before the account was created', () => {
    expect(() => evolve(null, { type: 'account.suspended', data: {} })).toThrow(/before the account was created/);
  });
});

describe('decideAdminChange', () => {
  it.each<[string, AccountState, AccountChange]>([
    ['a custom limit for a pro account', account('pro'), { rate_limit_per_hour: 70_000 }],
    [
      'a custom limit sent with a move to free',
      account('enterprise', 50_000),
      { tier: 'free', rate_limit_per_hour: 70_000 },
    ],
    ['a custom limit sent with a move to pro', account('free'), { tier: 'pro', rate_limit_per_hour: 9 }],
  ])('refuses %s (VALIDATION_FAILED), rather than dropping it', (_, state, change) => {
    expect(() => decideAdminChange(state, change)).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('enterprise accounts only'),
        validation_errors: [
          { field: 'rate_limit_per_hour', message: expect.stringContaining('enterprise accounts only') },
        ],
      }),
    );
  });

  it.each<[string, AccountState, AccountChange, AccountEvent[]]>([
    [
      'free → pro',
      account('free'),
      { tier: 'pro' },
      [{ type: 'account.tier_changed', data: { tier: 'pro', rate_limit_per_hour: null } }],
    ],
    [
      'free → enterprise with a custom limit',
      account('free'),
      { tier: 'enterprise', rate_limit_per_hour: 50_000 },
      [{ type: 'account.tier_changed', data: { tier: 'enterprise', rate_limit_per_hour: 50_000 } }],
    ],
    [
      'free → enterprise without a custom limit',
      account('free'),
      { tier: 'enterprise' },
      [{ type: 'account.tier_changed', data: { tier: 'enterprise', rate_limit_per_hour: null } }],
    ],
    [
      'a new custom limit on an enterprise account',
      account('enterprise', 50_000),
      { rate_limit_per_hour: 80_000 },
      [{ type: 'account.tier_changed', data: { tier: 'enterprise', rate_limit_per_hour: 80_000 } }],
    ],
    [
      'removing the custom limit of an enterprise account',
      account('enterprise', 50_000),
      { rate_limit_per_hour: null },
      [{ type: 'account.tier_changed', data: { tier: 'enterprise', rate_limit_per_hour: null } }],
    ],
    [
      'enterprise → pro, which drops the custom limit',
      account('enterprise', 50_000),
      { tier: 'pro' },
      [{ type: 'account.tier_changed', data: { tier: 'pro', rate_limit_per_hour: null } }],
    ],
    [
      'enterprise → free with the limit removed explicitly',
      account('enterprise', 50_000),
      { tier: 'free', rate_limit_per_hour: null },
      [{ type: 'account.tier_changed', data: { tier: 'free', rate_limit_per_hour: null } }],
    ],
    [
      'suspending an active account',
      account('pro'),
      { status: 'suspended' },
      [{ type: 'account.suspended', data: {} }],
    ],
    [
      'reactivating a suspended account',
      account('pro', null, true),
      { status: 'active' },
      [{ type: 'account.reactivated', data: {} }],
    ],
    [
      'a tier change and a suspension together',
      account('free'),
      { tier: 'pro', status: 'suspended' },
      [
        { type: 'account.tier_changed', data: { tier: 'pro', rate_limit_per_hour: null } },
        { type: 'account.suspended', data: {} },
      ],
    ],
    ['an empty change', account('enterprise', 50_000), {}, []],
    ['the same tier', account('pro'), { tier: 'pro' }, []],
    ['the same tier and limit', account('enterprise', 50_000), { tier: 'enterprise', rate_limit_per_hour: 50_000 }, []],
    ['the same enterprise tier keeps its limit', account('enterprise', 50_000), { tier: 'enterprise' }, []],
    ['suspending a suspended account', account('pro', null, true), { status: 'suspended' }, []],
    ['reactivating an active account', account('pro'), { status: 'active' }, []],
  ])('%s', (_, state, change, events) => {
    expect(decideAdminChange(state, change)).toEqual(events);
  });

  it('leads, once applied, to the state the admin asked for', () => {
    const state = account('enterprise', 50_000);
    const sut = decideAdminChange(state, { tier: 'pro', status: 'suspended' }).reduce(evolve, state);
    expect(sut).toMatchObject({ tier: 'pro', rateLimitPerHour: null, status: 'suspended' });
    expect(decideAdminChange(sut, { tier: 'pro', status: 'suspended' })).toEqual([]);
  });
});
