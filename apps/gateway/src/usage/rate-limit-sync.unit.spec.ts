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
