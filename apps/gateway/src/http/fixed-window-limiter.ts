import { HttpStatus } from '@nestjs/common';
import { ProblemError } from '#common';

/**
 * At most `limit` events per key (a client IP) in each window; past it, 429 with Retry-After. In
 * memory per gateway instance: a guard against floods of unauthenticated work (argon2, leak reports),
 * not the accounts' hourly limits.
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { count: number; start: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly what: string,
    private readonly now: () => number = Date.now,
  ) {}

  hit(key: string): void {
    const now = this.now();
    const entry = this.windows.get(key);
    if (!entry || now - entry.start >= this.windowMs) {
      if (this.windows.size > 50_000) this.windows.clear();
      this.windows.set(key, { count: 1, start: now });
      return;
    }
    entry.count += 1;
    if (entry.count > this.limit) {
      const retryAfter = Math.max(1, Math.ceil((entry.start + this.windowMs - now) / 1000));
      throw new ProblemError(
        HttpStatus.TOO_MANY_REQUESTS,
        'RATE_LIMIT_EXCEEDED',
        `too many ${this.what} from this address; retry in ${retryAfter} s`,
        {
          headers: { 'Retry-After': String(retryAfter) },
        },
      );
    }
  }
}
