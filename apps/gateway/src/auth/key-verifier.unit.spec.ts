import type { VerifiedKey } from '#contracts';
import { Metrics } from '#common';
import type { NatsConnectionHolder } from '#messaging';
import type { RpcClient } from '../rpc/rpc-client';
import { KeyVerifier } from './key-verifier';

describe('KeyVerifier', () => {
  it('still hears invalidations while the HTTP server drains, after Nest destroyed the modules', async () => {
    let deliver: ((error: Error | null, message: { json: () => unknown }) => void) | undefined;
    const nats = {
      connection: {
        subscribe: (_subject: string, options: { callback: typeof deliver }) => {
          deliver = options.callback;
          return { unsubscribe: () => (deliver = undefined) };
        },
        status: () => (async function* () {})(),
      },
    } as unknown as NatsConnectionHolder;
    const answer = {
      key: { id: 'key-1', status: 'active' },
      account: { id: 'account-1' },
    } as unknown as VerifiedKey;
    const request = jest.fn().mockResolvedValue(answer);
    const verifier = new KeyVerifier({ request } as unknown as RpcClient, nats, new Metrics('gateway'));
    verifier.onModuleInit();
    await verifier.verify('hash-1');
    expect(request).toHaveBeenCalledTimes(1);

    // Nest's close(): module-destroy hooks, then the HTTP server closes (answering the requests under way, from
    // this cache), then the shutdown hooks. A key revoked on another instance meanwhile must be evicted here.
    const hooks = verifier as unknown as { onModuleDestroy?: () => void; onApplicationShutdown?: () => void };
    hooks.onModuleDestroy?.();
    deliver?.(null, { json: () => ({ key_id: 'key-1' }) });
    await verifier.verify('hash-1');
    expect(request).toHaveBeenCalledTimes(2);

    hooks.onApplicationShutdown?.();
    expect(deliver).toBeUndefined();
  });
});
