import type { GatewayEnv } from '../config/gateway.env';
import type { RpcClient } from '../rpc/rpc-client';
import { RateLimitSync } from './rate-limit-sync';
import { HourlyRateLimiter } from './rate-limiter';

describe('RateLimitSync on shutdown', () => {
  it('hands over the last counts with a short deadline, not a whole RPC timeout', async () => {
    const limiter = new HourlyRateLimiter(Date.now);
    limiter.consume('account-1', 1_000);
    const deadlines: (number | undefined)[] = [];
    // A key-service stopping at the same moment never answers: the RPC client gives up at the deadline.
    const rpc = {
      request: (_subject: string, _payload: unknown, timeoutMs?: number) => {
        deadlines.push(timeoutMs);
        return Promise.reject(new Error(`no reply within ${timeoutMs} ms`));
      },
    };
    const sync = new RateLimitSync(
      limiter,
      rpc as unknown as RpcClient,
      {
        RATE_LIMIT_SYNC_MS: 1_000,
      } as GatewayEnv,
    );

    await sync.onApplicationShutdown();

    expect(deadlines).toEqual([1_000]);
  });
});

describe('RateLimitSync.sync', () => {
  type Sent = { totals: { account_id: string; count: number }[]; accounts: string[] };

  function syncOver(limiter: HourlyRateLimiter, answer: (sent: Sent, call: number) => Promise<unknown>) {
    const sent: Sent[] = [];
    const rpc = {
      request: (_subject: string, payload: Sent) => {
        sent.push(payload);
        return answer(payload, sent.length);
      },
    };
    return {
      sent,
      sut: new RateLimitSync(limiter, rpc as unknown as RpcClient, { RATE_LIMIT_SYNC_MS: 1_000 } as GatewayEnv),
    };
  }

  it('sends many accounts in requests of at most 10,000, each with the counts of its own accounts', async () => {
    const limiter = new HourlyRateLimiter(Date.now);
    const accounts = Array.from({ length: 25_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    for (const account of accounts) limiter.consume(account, 1_000);
    const { sut, sent } = syncOver(limiter, async () => ({ hour: limiter.currentHour(), totals: [] }));

    await sut.sync();

    expect(sent.map((payload) => [payload.accounts.length, payload.totals.length])).toEqual([
      [10_000, 10_000],
      [10_000, 10_000],
      [5_000, 5_000],
    ]);
    expect(sent.flatMap((payload) => payload.totals.map((total) => total.account_id))).toEqual(accounts);
  });

  it('sends the accounts of a failed request again next time, with their count by then', async () => {
    const limiter = new HourlyRateLimiter(Date.now);
    limiter.consume('account-1', 1_000);
    const { sut, sent } = syncOver(limiter, async (_, call) => {
      if (call === 1) throw new Error('no reply within 5000 ms');
      return { hour: limiter.currentHour(), totals: [] };
    });

    await sut.sync();
    limiter.consume('account-1', 1_000);
    await sut.sync();
    await sut.sync();

    expect(sent.map((payload) => payload.totals)).toEqual([
      [{ account_id: 'account-1', count: 1 }],
      [{ account_id: 'account-1', count: 2 }],
      [],
    ]);
  });

  it('stops at the first request that fails and sends every account not yet taken again next time', async () => {
    const limiter = new HourlyRateLimiter(Date.now);
    const accounts = Array.from({ length: 25_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    for (const account of accounts) limiter.consume(account, 1_000);
    const { sut, sent } = syncOver(limiter, async (_, call) => {
      if (call === 2) throw new Error('no reply within 5000 ms');
      return { hour: limiter.currentHour(), totals: [] };
    });

    await sut.sync();
    expect(sent.map((payload) => payload.totals.length)).toEqual([10_000, 10_000]);
    await sut.sync();

    // The second sync carries what the failed request and the one never sent held.
    expect(sent.slice(2).flatMap((payload) => payload.totals.map((total) => total.account_id))).toEqual(
      accounts.slice(10_000),
    );
  });
});
