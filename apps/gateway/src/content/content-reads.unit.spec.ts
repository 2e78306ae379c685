import type { ContentActor } from '#contracts';
import { Metrics } from '#common';
import type { NatsConnectionHolder } from '#messaging';
import type { GatewayEnv } from '../config/gateway.env';
import type { RpcClient } from '../rpc/rpc-client';
import { ContentReads } from './content-reads';

const ID = '0b7e4d2a-6f1c-4c3e-9a55-2f8d1e6b9c10';
const actor = (accountId: string): ContentActor => ({ account_id: accountId, meta: { request_id: 'r1' } });

/** ContentReads over a scripted RPC: each call takes the next answer (a value, or a function run at the call). */
function setup(cacheMb = 1) {
  const answers: (() => Promise<unknown>)[] = [];
  const request = jest.fn((..._args: unknown[]) => answers.shift()!());
  const rpc = { request } as unknown as RpcClient;
  const config = { CONTENT_CACHE_MB: cacheMb, CONTENT_CACHE_MAX_AGE_MS: 10_000, RPC_TIMEOUT_MS: 5_000 } as GatewayEnv;
  const sut = new ContentReads(rpc, {} as NatsConnectionHolder, config, new Metrics(`test_${Math.random()}`));
  return { sut, request, answer: (next: () => Promise<unknown>) => answers.push(next) };
}

describe('ContentReads', () => {
  it('asks content-service once, then answers the same account from the cache', async () => {
    const { sut, request, answer } = setup();
    answer(async () => ({ id: ID, text: 'one' }));

    expect(await sut.get('memory', { id: ID }, actor('a'))).toEqual({ id: ID, text: 'one' });
    expect(await sut.get('memory', { id: ID }, actor('a'))).toEqual({ id: ID, text: 'one' });
    expect(request).toHaveBeenCalledTimes(1);
  });

  it('does not store an answer whose resource changed while it was in flight', async () => {
    const { sut, request, answer } = setup();
    // The change notice arrives between the request and its (older) reply.
    answer(async () => {
      sut.cache.evict('memory', ID);
      return { id: ID, text: 'before the change' };
    });
    answer(async () => ({ id: ID, text: 'after the change' }));

    await sut.get('memory', { id: ID }, actor('a'));
    expect(await sut.get('memory', { id: ID }, actor('a'))).toEqual({ id: ID, text: 'after the change' });
    expect(request).toHaveBeenCalledTimes(2);
  });

  it('never caches reads by slug, or with the cache turned off', async () => {
    for (const [locator, mb] of [[{ slug: 'daily' }, 1] as const, [{ id: ID }, 0] as const]) {
      const { sut, request, answer } = setup(mb);
      answer(async () => ({ id: ID }));
      answer(async () => ({ id: ID }));
      await sut.get('prompt', locator, actor('a'));
      await sut.get('prompt', locator, actor('a'));
      expect(request).toHaveBeenCalledTimes(2);
    }
  });

  it('a write evicts by the id it was addressed with and by the id it answers with, even when it fails', async () => {
    const { sut, answer } = setup();
    answer(async () => ({ id: ID, body: 'v1' }));
    await sut.get('prompt', { id: ID }, actor('a'));

    await sut.change('prompt', { slug: 'daily' }, async () => ({ id: ID, body: 'v2' }));
    expect(sut.cache.get('prompt', ID, 'a')).toBeUndefined();

    answer(async () => ({ id: ID, body: 'v2' }));
    await sut.get('prompt', { id: ID }, actor('a'));
    await expect(
      sut.change('prompt', { id: ID.toUpperCase() }, async () => {
        throw new Error('timed out, maybe written');
      }),
    ).rejects.toThrow('timed out');
    expect(sut.cache.get('prompt', ID, 'a')).toBeUndefined();
  });
});
