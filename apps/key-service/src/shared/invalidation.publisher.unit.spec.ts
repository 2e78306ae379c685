import { DomainError, RpcErrorCode } from '#contracts';
import type { NatsConnectionHolder } from '#messaging';
import { InvalidationPublisher } from './invalidation.publisher';

/** NATS that refuses to confirm the first `failures` notices. */
function natsFailing(failures: number) {
  const confirmed: string[] = [];
  let calls = 0;
  const nats = {
    publishNotice: async (_subject: string, payload: string) => {
      calls += 1;
      if (calls <= failures) throw new Error('TIMEOUT');
      confirmed.push(payload);
    },
  } as unknown as NatsConnectionHolder;
  return { nats, confirmed, calls: () => calls };
}

describe('InvalidationPublisher.publishOrLog', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('answers at once when NATS does not confirm, and sends the notice again in the background until it does', async () => {
    const { nats, confirmed, calls } = natsFailing(3);
    const sut = new InvalidationPublisher(nats);

    await sut.publishOrLog({ key_id: 'key-1' });
    expect(confirmed).toEqual([]);
    await jest.advanceTimersByTimeAsync(3_000);

    expect(confirmed).toEqual([JSON.stringify({ key_id: 'key-1' })]);
    expect(calls()).toBe(4);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(calls()).toBe(4);
  });

  it('gives up after eight more tries, within the caches’ 30 s', async () => {
    const { nats, confirmed, calls } = natsFailing(100);
    const sut = new InvalidationPublisher(nats);

    await sut.publishOrLog({ key_id: 'key-1' });
    await jest.advanceTimersByTimeAsync(60_000);

    expect([confirmed, calls()]).toEqual([[], 9]);
  });

  it('keeps one background retry for a notice announced again while it is pending', async () => {
    const { nats, confirmed, calls } = natsFailing(6);
    const sut = new InvalidationPublisher(nats);

    await sut.publishOrLog({ key_id: 'key-1' });
    await sut.publishOrLog({ key_id: 'key-1' });
    await sut.publishOrLog({ key_id: 'key-2' });
    await jest.advanceTimersByTimeAsync(10_000);

    // 3 first tries, then retries of key-1 and key-2 only (not two of key-1) until both are confirmed.
    expect(confirmed.sort()).toEqual([JSON.stringify({ key_id: 'key-1' }), JSON.stringify({ key_id: 'key-2' })]);
    expect(calls()).toBe(8);
  });
});

describe('InvalidationPublisher.publish', () => {
  it('fails as SERVICE_UNAVAILABLE (503, retried by clients) when NATS does not confirm the notice', async () => {
    const sut = new InvalidationPublisher(natsFailing(1).nats);

    const error = await sut.publish({ key_id: 'key-1' }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(RpcErrorCode.Unavailable);
  });
});
