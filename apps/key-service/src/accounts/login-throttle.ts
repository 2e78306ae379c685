import { createHash } from 'node:crypto';
import type { OnModuleDestroy } from '@nestjs/common';
import type { DataSource } from 'typeorm';

/**
 * Slows down repeated failed logins for one email or one IP (PRODUCT.md §2). After `freeAttempts`
 * failures within the window, each answer is delayed, doubling up to `maxDelayMs`. Successful
 * logins and signups are never delayed. The counts live in PostgreSQL (`login_failures`), so every
 * key-service instance sees the same ones: an attacker gains nothing by landing on another replica.
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

/** How often counts past their window are deleted. */
const SWEEP_EVERY_MS = 5 * 60_000;

export class LoginThrottle implements OnModuleDestroy {
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly now: () => number,
    private readonly options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE,
  ) {
    this.sweeper = setInterval(() => void this.forgetExpired().catch(() => undefined), SWEEP_EVERY_MS).unref();
  }

  /** The delay before answering a wrong attempt for this email / IP, from the failures counted so far. */
  async delayFor(email: string, ip: string | undefined): Promise<number> {
    const [{ count }] = (await this.dataSource.query(
      `SELECT coalesce(max(count), 0)::int AS count FROM login_failures WHERE subject = ANY($1::text[]) AND since >= $2`,
      [subjects(email, ip), this.windowStart()],
    )) as { count: number }[];
    return this.delayAfter(count);
  }

  /**
   * One more failure for the email and the IP (a count past its window starts again at one); answers how long
   * this failure's answer waits, from the failures before it. The count and the delay come from one statement,
   * so failures sent at once each get their own place in the count, as if they had come one after another.
   */
  async recordFailure(email: string, ip: string | undefined): Promise<number> {
    const counts = (await this.dataSource.query(
      `INSERT INTO login_failures (subject, count, since) SELECT subject, 1, $2 FROM unnest($1::text[]) AS subject
       ON CONFLICT (subject) DO UPDATE SET
         count = CASE WHEN login_failures.since < $3 THEN 1 ELSE login_failures.count + 1 END,
         since = CASE WHEN login_failures.since < $3 THEN EXCLUDED.since ELSE login_failures.since END
       RETURNING count`,
      [subjects(email, ip), new Date(this.now()), this.windowStart()],
    )) as { count: number }[];
    return this.delayAfter(Math.max(...counts.map((row) => row.count)) - 1);
  }

  private delayAfter(failures: number): number {
    const excess = failures - this.options.freeAttempts;
    if (excess < 0) return 0;
    return Math.min(this.options.baseDelayMs * 2 ** excess, this.options.maxDelayMs);
  }

  /** A successful login clears its email (the IP keeps counting: one address may try many accounts). */
  async recordSuccess(email: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM login_failures WHERE subject = $1`, [emailSubject(email)]);
  }

  async forgetExpired(): Promise<void> {
    await this.dataSource.query(`DELETE FROM login_failures WHERE since < $1`, [this.windowStart()]);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  private windowStart(): Date {
    return new Date(this.now() - this.options.windowMs);
  }
}

/**
 * The email's row: a hash of what was typed. It is stored, so an API key pasted into the email field must
 * not be; and unlike masking, a hash never makes two addresses share one count.
 */
function emailSubject(email: string): string {
  return `email:${createHash('sha256').update(email).digest('hex')}`;
}

/** What is counted: the email as typed and the IP. */
function subjects(email: string, ip: string | undefined): string[] {
  return ip ? [emailSubject(email), `ip:${ip}`] : [emailSubject(email)];
}
