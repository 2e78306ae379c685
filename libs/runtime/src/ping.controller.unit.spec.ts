import type { ReadinessCheck } from '#common';
import { createPingController } from './ping.controller';

type Ping = { ping(): Promise<{ status: string; reason?: string }> };

const check = (name: string, outcome: 'up' | 'down' | 'hangs'): ReadinessCheck => ({
  name,
  check: () =>
    outcome === 'up'
      ? Promise.resolve()
      : outcome === 'down'
        ? Promise.reject(new Error('connection refused'))
        : new Promise(() => undefined),
});

describe('the ping a service answers to the gateway readiness probe', () => {
  const PingController = createPingController('content-service') as unknown as new (
    name: string,
    checks: ReadinessCheck[],
  ) => Ping;
  const ping = (...checks: ReadinessCheck[]) => new PingController('content-service', checks).ping();

  it('is ok while the database answers', async () => {
    expect(await ping(check('database', 'up'), check('nats', 'up'))).toMatchObject({ status: 'ok' });
  });

  it('is unavailable, naming the database, while it is down or does not answer in time', async () => {
    expect(await ping(check('database', 'down'))).toEqual(
      expect.objectContaining({ status: 'unavailable', reason: 'database unavailable' }),
    );
    expect(await ping(check('database', 'hangs'))).toEqual(
      expect.objectContaining({ status: 'unavailable', reason: 'database unavailable' }),
    );
  });

  it('does not ask NATS: the ping came over it', async () => {
    expect(await ping(check('database', 'up'), check('nats', 'down'))).toMatchObject({ status: 'ok' });
  });
});
