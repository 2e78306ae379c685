import { randomUUID } from 'node:crypto';
import { parseEventMessage } from '#contracts';
import { Metrics } from '#common';
import type { NatsConnectionHolder } from '#messaging';
import { AuthEventsPublisher, type KeyUse, type RequestUsage } from './auth-events.publisher';

interface Published {
  subject: string;
  body: string;
  msgID?: string;
}

/**
 * A publisher whose JetStream records every send; `refuse(n)` says whether the n-th send (from 0) is left
 * unconfirmed (a JetStream client stands in: this is a unit test of the batching and its retries).
 */
function publisherWith(published: Published[], refuse: (n: number) => boolean = () => false, metrics?: Metrics) {
  let sends = 0;
  const nats = {
    jetstream: {
      publish: (subject: string, body: string, options: { msgID: string }) => {
        published.push({ subject, body, msgID: options.msgID });
        return refuse(sends++) ? Promise.reject(new Error('TimeoutError: timeout')) : Promise.resolve({ seq: sends });
      },
    },
  } as unknown as NatsConnectionHolder;
  return new AuthEventsPublisher(nats, metrics ?? new Metrics(`test_${randomUUID().slice(0, 8)}`));
}

const countOf = async (metrics: Metrics, outcome: string) =>
  (await metrics.registry.getSingleMetric('gateway_auth_events_total')?.get())?.values.find(
    (value) => value.labels.outcome === outcome,
  )?.value ?? 0;

const usage = (userAgent = 'curl/8.5.0'): RequestUsage => ({
  meta: { request_id: randomUUID(), ip: '192.0.2.1', user_agent: userAgent },
  ip: '192.0.2.1',
  location: { country: 'GB', city: 'London' },
  coordinates: null,
  tool_type: 'api',
  client: 'curl',
  action: 'auth.me',
});

const use = (keyId = randomUUID()): KeyUse => ({
  keyId,
  keyPrefix: 'vxk_0123abcd',
  accountId: randomUUID(),
  status: 200,
  method: 'GET',
  route: '/api/v1/auth/me',
  latencyMs: 1.2,
  integration: null,
});

const eventsOf = (message: Published) => parseEventMessage(JSON.parse(message.body)).events;

describe('AuthEventsPublisher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends what occurred within 25 ms as one batch message per type, failures and uses in the order they began', () => {
    const published: Published[] = [];
    const sut = publisherWith(published);
    sut.failed({ reason: 'unknown', status: 401, keyPrefix: 'vxk_deadbeef' }, usage());
    sut.used(use(), usage());
    sut.used(use(), usage());

    jest.advanceTimersByTime(24);
    expect(published).toEqual([]);
    jest.advanceTimersByTime(1);

    expect(published.map((message) => message.subject)).toEqual(['auth.events.auth.failed', 'auth.events.key.used']);
    expect(eventsOf(published[0]).map((event) => event.type)).toEqual(['auth.failed']);
    expect(eventsOf(published[1]).map((event) => event.type)).toEqual(['key.used', 'key.used']);
    expect(new Set(published.map((message) => JSON.parse(message.body).batch_id)).size).toBe(2);
  });

  it('gives each event a time-ordered id (UUID version 7) carrying its occurred_at', () => {
    const published: Published[] = [];
    const sut = publisherWith(published);
    jest.setSystemTime(Date.parse('2026-11-26T12:00:00.000Z'));
    sut.used(use(), usage());
    jest.setSystemTime(Date.parse('2026-11-26T12:00:00.007Z'));
    sut.used(use(), usage());
    jest.advanceTimersByTime(25);

    const events = eventsOf(published[0]);
    for (const event of events) {
      expect(event.id[14]).toBe('7');
      expect(parseInt(event.id.slice(0, 8) + event.id.slice(9, 13), 16)).toBe(Date.parse(event.occurred_at));
    }
    expect(events[0].id < events[1].id).toBe(true);
  });

  it('closes every pending batch, oldest first, as soon as one is full', () => {
    const published: Published[] = [];
    const sut = publisherWith(published);
    sut.failed({ reason: 'revoked', status: 401, keyPrefix: 'vxk_deadbeef' }, usage());
    for (let i = 0; i < 1_001; i += 1) sut.used(use(), usage());
    jest.advanceTimersByTime(25);

    expect(published[0].subject).toBe('auth.events.auth.failed');
    expect(published.slice(1).every((message) => message.subject === 'auth.events.key.used')).toBe(true);
    const sizes = published.slice(1).map((message) => eventsOf(message).length);
    expect(sizes.length).toBeGreaterThan(2);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(500);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(1_001);
  });

  it('keeps every message under 256 KiB, however large the events', () => {
    const published: Published[] = [];
    const sut = publisherWith(published);
    for (let i = 0; i < 450; i += 1) sut.used(use(), usage(`agent ${'é'.repeat(500)}`));
    jest.advanceTimersByTime(25);

    expect(published.length).toBeGreaterThan(1);
    for (const message of published) expect(Buffer.byteLength(message.body)).toBeLessThanOrEqual(256 * 1024 + 64);
    expect(published.flatMap(eventsOf)).toHaveLength(450);
  });

  it('sends what is pending when the application stops', async () => {
    const published: Published[] = [];
    const sut = publisherWith(published);
    sut.used(use(), usage());
    await sut.onApplicationShutdown();

    expect(published.flatMap(eventsOf)).toHaveLength(1);
  });

  it('sends a batch JetStream did not confirm again, under the same message id, and counts it once', async () => {
    const published: Published[] = [];
    const metrics = new Metrics(`test_${randomUUID().slice(0, 8)}`);
    const sut = publisherWith(published, (n) => n < 2, metrics);
    sut.used(use(), usage());
    sut.used(use(), usage());
    await jest.advanceTimersByTimeAsync(25);
    expect(published).toHaveLength(1);

    await jest.advanceTimersByTimeAsync(500 + 1_000);

    expect(published).toHaveLength(3);
    expect(new Set(published.map((message) => message.body)).size).toBe(1);
    expect(new Set(published.map((message) => message.msgID))).toEqual(
      new Set([JSON.parse(published[0].body).batch_id]),
    );
    expect(await countOf(metrics, 'published')).toBe(2);
    expect(await countOf(metrics, 'dropped')).toBe(0);
  });

  it('drops a batch after its last retry (about 31 s) and counts its events as dropped', async () => {
    const published: Published[] = [];
    const metrics = new Metrics(`test_${randomUUID().slice(0, 8)}`);
    const sut = publisherWith(published, () => true, metrics);
    sut.used(use(), usage());
    await jest.advanceTimersByTimeAsync(25);

    await jest.advanceTimersByTimeAsync(31_499);
    expect(published).toHaveLength(6);
    expect(await countOf(metrics, 'dropped')).toBe(0);
    await jest.advanceTimersByTimeAsync(1);

    expect(published).toHaveLength(7);
    expect(await countOf(metrics, 'dropped')).toBe(1);
    expect(await countOf(metrics, 'published')).toBe(0);
  });

  it('tries a batch waiting for its retry once more when the application stops, and waits for the answer', async () => {
    const published: Published[] = [];
    const metrics = new Metrics(`test_${randomUUID().slice(0, 8)}`);
    const sut = publisherWith(published, (n) => n === 0, metrics);
    sut.used(use(), usage());
    await jest.advanceTimersByTimeAsync(25);
    expect(published).toHaveLength(1);

    await sut.onApplicationShutdown();

    expect(published).toHaveLength(2);
    expect(await countOf(metrics, 'published')).toBe(1);
  });
});
