/**
 * Slows down repeated failed logins for one email or one IP (PRODUCT.md §2). After `freeAttempts`
 * failures within the window, each answer is delayed, doubling up to `maxDelayMs`. Successful
 * logins and signups are never delayed. Kept in memory per key-service instance.
 */
export interface LoginThrottleOptions {
  freeAttempts: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  freeAttempts: 5,
  windowMs: 15 * 60_000,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
};
const MAX_TRACKED = 100_000;

export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly now: () => number,
    private readonly options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE,
  ) {}

  /** The delay before answering an attempt for this email / IP. */
  delayFor(email: string, ip: string | undefined): number {
    const count = Math.max(this.count(`email:${email}`), ip ? this.count(`ip:${ip}`) : 0);
    const excess = count - this.options.freeAttempts;
    if (excess < 0) return 0;
    return Math.min(this.options.baseDelayMs * 2 ** excess, this.options.maxDelayMs);
  }

  recordFailure(email: string, ip: string | undefined): void {
    this.bump(`email:${email}`);
    if (ip) this.bump(`ip:${ip}`);
  }

  recordSuccess(email: string): void {
    this.failures.delete(`email:${email}`);
  }

  private count(subject: string): number {
    const entry = this.failures.get(subject);
    if (!entry) return 0;
    if (this.now() - entry.since > this.options.windowMs) {
      this.failures.delete(subject);
      return 0;
    }
    return entry.count;
  }

  private bump(subject: string): void {
    const count = this.count(subject);
    if (count === 0 && this.failures.size >= MAX_TRACKED) {
      // Oldest first: a Map iterates in insertion order.
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    const entry = this.failures.get(subject);
    this.failures.set(subject, { count: count + 1, since: entry?.since ?? this.now() });
  }
}
