/**
 * Per-account hourly request counting (PRODUCT.md §4), in memory, exact on one instance. The window
 * is the clock hour in UTC. Other instances' admissions arrive through `applyTotals` (see
 * RateLimitSync); until then this instance may admit what they already used: the documented
 * overshoot. Time is injected.
 *
 * In the hour an instance starts, an account it has not seen yet is primed first (`needsPriming`,
 * `applyTotals` with `primed`): the ledger's count for the hour is read before its first request here is
 * admitted, so a restarted gateway (or one that just joined) does not start the account from zero. In
 * later hours every instance has counted from the hour's start, so nothing is read on the request path.
 */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds of the next top of the hour. */
  resetAt: number;
  /** Whole seconds until then, at least 1. */
  secondsToReset: number;
}

const HOUR_MS = 3_600_000;

export class HourlyRateLimiter {
  private hour: number;
  private readonly local = new Map<string, number>();
  private readonly remote = new Map<string, number>();
  /** Accounts whose count here changed since it was last handed to the ledger. */
  private readonly changed = new Set<string>();
  /** What the ledger was last sent for each account: this instance's count then. */
  private readonly reported = new Map<string, number>();
  /** Accounts whose ledger count this instance has read this hour. */
  private readonly primed = new Set<string>();

  private readonly startHour: number;

  constructor(private readonly now: () => number) {
    this.hour = Math.floor(now() / HOUR_MS);
    this.startHour = this.hour;
  }

  /** Admits the request if the account is under its limit, and counts it; a refusal is not counted. */
  consume(accountId: string, limit: number): RateDecision {
    this.roll();
    const used = this.used(accountId);
    if (used >= limit) return this.decision(false, limit, used);
    this.count(accountId);
    return this.decision(true, limit, used + 1);
  }

  /** Counts a request refused for another reason than the limit (a missing integration still counts). */
  countRefused(accountId: string, limit: number): RateDecision {
    this.roll();
    this.count(accountId);
    return this.decision(true, limit, this.used(accountId));
  }

  /** Where the account stands, without counting: the headers of a request that does not count (a suspended account's). */
  peek(accountId: string, limit: number): RateDecision {
    this.roll();
    return this.decision(true, limit, this.used(accountId));
  }

  /** Whether the ledger's count of this account for the current hour is still to be read. */
  needsPriming(accountId: string): boolean {
    this.roll();
    return this.hour === this.startHour && !this.primed.has(accountId) && !this.local.has(accountId);
  }

  /** The current hour, as the ledger names it. */
  currentHour(): number {
    this.roll();
    return this.hour;
  }

  /**
   * This instance's count of each account that changed since the last call (running totals for the hour, which
   * the ledger keeps as the highest it was sent: a sync that is sent twice, after a timeout that hid its
   * success, counts once), every account it counts this hour (whose totals it wants back), and the hour.
   */
  takeChanged(): { hour: number; totals: Map<string, number>; accounts: string[] } {
    this.roll();
    const totals = new Map<string, number>();
    for (const accountId of this.changed) {
      const count = this.local.get(accountId) ?? 0;
      totals.set(accountId, count);
      this.reported.set(accountId, count);
    }
    this.changed.clear();
    return { hour: this.hour, totals, accounts: [...this.local.keys()] };
  }

  /** The ledger's totals across every instance for `hour`: what is not ours is the others'. */
  applyTotals(hour: number, totals: Map<string, number>, primed: readonly string[] = []): void {
    this.roll();
    if (hour !== this.hour) return;
    for (const accountId of primed) this.primed.add(accountId);
    for (const [accountId, total] of totals) {
      // The ledger has our count as last reported, not what we admitted since (counted in `local` already).
      this.remote.set(accountId, Math.max(0, total - (this.reported.get(accountId) ?? 0)));
    }
  }

  /** A failed sync: these accounts' counts are sent again by the next one. */
  restoreChanged(hour: number, accounts: Iterable<string>): void {
    if (hour !== this.hour) return;
    for (const accountId of accounts) this.changed.add(accountId);
  }

  private used(accountId: string): number {
    return (this.local.get(accountId) ?? 0) + (this.remote.get(accountId) ?? 0);
  }

  private count(accountId: string): void {
    this.local.set(accountId, (this.local.get(accountId) ?? 0) + 1);
    this.changed.add(accountId);
  }

  private roll(): void {
    const hour = Math.floor(this.now() / HOUR_MS);
    if (hour === this.hour) return;
    this.hour = hour;
    this.local.clear();
    this.remote.clear();
    this.changed.clear();
    this.reported.clear();
    this.primed.clear();
  }

  private decision(allowed: boolean, limit: number, used: number): RateDecision {
    const resetAtMs = (this.hour + 1) * HOUR_MS;
    return {
      allowed,
      limit,
      remaining: Math.max(0, limit - used),
      resetAt: resetAtMs / 1000,
      secondsToReset: Math.max(1, Math.ceil((resetAtMs - this.now()) / 1000)),
    };
  }
}

/** The headers of every API-key response (PRODUCT.md §4), IETF draft fields included. */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': String(decision.remaining),
    'X-RateLimit-Reset': String(decision.resetAt),
    'RateLimit-Policy': `"hourly";q=${decision.limit};w=3600`,
    RateLimit: `"hourly";r=${decision.remaining};t=${decision.secondsToReset}`,
  };
}
