import { type AccountStatus, DomainError, type Tier } from '#contracts';

/** The account aggregate: events, state, `evolve` and decisions. Pure. */

export type AccountEvent =
  | { type: 'account.created'; data: { account_id: string; email: string; name: string; tier: Tier } }
  | { type: 'account.tier_changed'; data: { tier: Tier; rate_limit_per_hour: number | null } }
  | { type: 'account.suspended'; data: Record<string, never> }
  | { type: 'account.reactivated'; data: Record<string, never> };

export interface AccountState {
  id: string;
  tier: Tier;
  rateLimitPerHour: number | null;
  status: AccountStatus;
  version: number;
}

export function accountStream(accountId: string): string {
  return `account-${accountId}`;
}

export function evolve(state: AccountState | null, event: AccountEvent): AccountState {
  if (event.type === 'account.created') {
    return { id: event.data.account_id, tier: event.data.tier, rateLimitPerHour: null, status: 'active', version: 1 };
  }
  if (!state) throw new Error(`${event.type} before the account was created`);
  const next = { ...state, version: state.version + 1 };
  switch (event.type) {
    case 'account.tier_changed':
      return { ...next, tier: event.data.tier, rateLimitPerHour: event.data.rate_limit_per_hour };
    case 'account.suspended':
      return { ...next, status: 'suspended' };
    case 'account.reactivated':
      return { ...next, status: 'active' };
  }
}

export function fold(events: AccountEvent[]): AccountState | null {
  return events.reduce<AccountState | null>(evolve, null);
}

export interface AccountChange {
  tier?: Tier;
  rate_limit_per_hour?: number | null;
  status?: AccountStatus;
}

/**
 * An admin change: only what differs becomes an event. A custom limit belongs to enterprise accounts:
 * one sent for an account that is not (or does not become) enterprise is refused rather than dropped,
 * and moving an enterprise account to another tier drops its limit.
 */
export function decideAdminChange(state: AccountState, change: AccountChange): AccountEvent[] {
  const events: AccountEvent[] = [];
  const tier = change.tier ?? state.tier;
  if (tier !== 'enterprise' && typeof change.rate_limit_per_hour === 'number') {
    throw DomainError.invalidField(
      'rate_limit_per_hour',
      `applies to enterprise accounts only; this account would be ${tier}: send tier "enterprise" with it`,
    );
  }
  const limit =
    tier === 'enterprise'
      ? change.rate_limit_per_hour !== undefined
        ? change.rate_limit_per_hour
        : state.rateLimitPerHour
      : null;
  if (tier !== state.tier || limit !== state.rateLimitPerHour) {
    events.push({ type: 'account.tier_changed', data: { tier, rate_limit_per_hour: limit } });
  }
  if (change.status && change.status !== state.status) {
    events.push(
      change.status === 'suspended'
        ? { type: 'account.suspended', data: {} }
        : { type: 'account.reactivated', data: {} },
    );
  }
  return events;
}
