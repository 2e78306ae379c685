import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { KeysRpc, type RateLimitTotals } from '#contracts';
import { GatewayEnv } from '../config/gateway.env';
import { RpcClient } from '../rpc/rpc-client';
import { HourlyRateLimiter } from './rate-limiter';

export const RATE_LIMITER = Symbol('RATE_LIMITER');

/** How long an account's first request waits for the ledger: a slow key-service must not hold it for long. */
const PRIME_TIMEOUT_MS = 500;
/**
 * The last sync, on the way out: short, because a key-service stopping at the same moment (all of `npm
 * start` stops at once) may not answer, and the gateway would hold its shutdown for a whole RPC timeout.
 * Counts it cannot hand over are this instance's last second of them.
 */
const SHUTDOWN_SYNC_TIMEOUT_MS = 1_000;
/** Accounts per sync request: an instance that counts many accounts in an hour sends them in several. */
const SYNC_CHUNK = 10_000;

/**
 * Shares rate-limit counts between gateway instances through key-service's ledger, in the background:
 * every RATE_LIMIT_SYNC_MS, this instance's count of each account that changed goes to the ledger (its
 * running total for the hour, so a sync sent again changes nothing) and the totals of every instance come back. No request waits for it, except an account's first in the hour the instance
 * started (`prime`). The overshoot with N instances is at most what
 * the other N−1 admit within one interval (README, "Rate limits").
 */
@Injectable()
export class RateLimitSync implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RateLimitSync.name);
  private readonly instanceId = randomUUID();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** Primings in flight, by account: concurrent first requests wait for the same one. */
  private readonly priming = new Map<string, Promise<void>>();

  constructor(
    @Inject(RATE_LIMITER) private readonly limiter: HourlyRateLimiter,
    private readonly rpc: RpcClient,
    private readonly config: GatewayEnv,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sync().finally(() => (this.running = undefined));
    }, this.config.RATE_LIMIT_SYNC_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.sync(SHUTDOWN_SYNC_TIMEOUT_MS);
  }

  /**
   * Reads the ledger's count of an account this instance has not seen this hour, before its first request
   * here is admitted: after a restart the hour's earlier requests still count (one round trip per account
   * and hour, never per request). If key-service does not answer, the account is counted from what this
   * instance sees, and the background sync catches up.
   */
  prime(accountId: string): Promise<void> {
    let pending = this.priming.get(accountId);
    if (!pending) {
      pending = this.readLedger(accountId).finally(() => this.priming.delete(accountId));
      this.priming.set(accountId, pending);
    }
    return pending;
  }

  private async readLedger(accountId: string): Promise<void> {
    const hour = this.limiter.currentHour();
    try {
      const totals = await this.rpc.request<RateLimitTotals>(
        KeysRpc.rateLimitSync,
        { instance_id: this.instanceId, hour, totals: [], accounts: [accountId] },
        PRIME_TIMEOUT_MS,
      );
      this.limiter.applyTotals(totals.hour, new Map(totals.totals.map((t) => [t.account_id, t.count])), [accountId]);
    } catch (error) {
      this.limiter.applyTotals(hour, new Map(), [accountId]);
      this.logger.warn(`could not read the rate-limit ledger, counting this account from here: ${String(error)}`);
    }
  }

  /** Hands this instance's changed counts to the ledger and takes back every instance's totals, a chunk at a time. */
  async sync(timeoutMs?: number): Promise<void> {
    const { hour, totals, accounts } = this.limiter.takeChanged();
    for (let start = 0; start < accounts.length; start += SYNC_CHUNK) {
      const chunk = accounts.slice(start, start + SYNC_CHUNK);
      const changed = chunk.filter((accountId) => totals.has(accountId));
      try {
        const answer = await this.rpc.request<RateLimitTotals>(
          KeysRpc.rateLimitSync,
          {
            instance_id: this.instanceId,
            hour,
            totals: changed.map((account_id) => ({ account_id, count: totals.get(account_id) as number })),
            accounts: chunk,
          },
          timeoutMs,
        );
        this.limiter.applyTotals(answer.hour, new Map(answer.totals.map((t) => [t.account_id, t.count])));
      } catch (error) {
        // key-service did not take this chunk: the rest would wait out a timeout each (at shutdown too), so they
        // all go again with the next sync.
        this.limiter.restoreChanged(
          hour,
          accounts.slice(start).filter((accountId) => totals.has(accountId)),
        );
        this.logger.warn(`rate-limit sync failed, will retry: ${String(error)}`);
        return;
      }
    }
  }
}
