import { randomUUID } from 'node:crypto';
import { type JetStreamManager, DeliverPolicy } from '@nats-io/jetstream';
import type { DataSource } from 'typeorm';
import type { EventEnvelope, EventMeta } from '#contracts';
import { JsonLogger } from '#common';
import { NatsConnectionHolder, provisionStreams } from '#messaging';
import { createMigratedDataSource } from '../../../test/support/test-database';
import { type TestNatsServer, startNatsServer } from '../../../test/support/nats-server';
import { EventStore } from './event-store';
import { type EventPublisher, JetStreamEventPublisher, OutboxRelay } from './outbox-relay';

const meta: EventMeta = { request_id: 'relay-test', account_id: randomUUID() };
const logger = new JsonLogger('test', 'silent');

/** The real JetStream publisher, failing on the n-th publish: a relay that dies mid-batch. */
class FailingAfter implements EventPublisher {
  private calls = 0;
  constructor(
    private readonly inner: EventPublisher,
    private readonly failAt: number,
  ) {}
  async publish(subject: string, event: EventEnvelope): Promise<void> {
    this.calls += 1;
    if (this.calls >= this.failAt) throw new Error('connection lost (injected)');
    await this.inner.publish(subject, event);
  }
}

/** The real JetStream publisher, running `during` inside its first publish: work that lands mid-batch. */
class CallingDuringFirst implements EventPublisher {
  private called = false;
  constructor(
    private readonly inner: EventPublisher,
    private readonly during: () => Promise<unknown>,
  ) {}
  async publish(subject: string, event: EventEnvelope): Promise<void> {
    if (!this.called) {
      this.called = true;
      await this.during();
    }
    await this.inner.publish(subject, event);
  }
}

describe('OutboxRelay (PostgreSQL + JetStream)', () => {
  let nats: TestNatsServer;
  let connection: NatsConnectionHolder;
  let manager: JetStreamManager;
  let dataSource: DataSource;
  let closeDb: () => Promise<void>;
  let store: EventStore;
  let publisher: JetStreamEventPublisher;

  beforeAll(async () => {
    nats = await startNatsServer();
    connection = await NatsConnectionHolder.connect({ servers: nats.url, name: 'relay-test' });
    manager = await connection.manager();
    await provisionStreams(manager);
    ({ dataSource, close: closeDb } = await createMigratedDataSource('relay'));
    store = new EventStore(dataSource);
    publisher = new JetStreamEventPublisher(connection.jetstream);
  });
  afterAll(async () => {
    await connection.close();
    await nats.stop();
    await closeDb();
  });
  beforeEach(async () => {
    await manager.streams.purge('CONTENT');
    await dataSource.query('DELETE FROM es_outbox');
  });

  async function appendMany(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const { events } = await store.append(`memory-${randomUUID()}`, [{ type: 'memory.created', data: { i } }], {
        expectedVersion: 'no_stream',
        meta,
      });
      ids.push(events[0].id);
    }
    return ids;
  }

  async function storedEventIds(): Promise<string[]> {
    const info = await manager.streams.info('CONTENT');
    const ids: string[] = [];
    const consumer = await connection.jetstream.consumers.get('CONTENT', { deliver_policy: DeliverPolicy.All });
    for (let seq = 0; seq < info.state.messages; seq += 1) {
      const message = await consumer.next({ expires: 2_000 });
      if (!message) break;
      ids.push((message.json() as EventEnvelope).id);
      expect(message.headers?.get('Nats-Msg-Id')).toBe(ids[ids.length - 1]);
    }
    await consumer.delete();
    return ids;
  }

  async function outboxSize(): Promise<number> {
    const [{ count }] = (await dataSource.query('SELECT count(*)::int AS count FROM es_outbox')) as { count: number }[];
    return count;
  }

  it('publishes every appended event in order, with Nats-Msg-Id = event id, and empties the outbox', async () => {
    const ids = await appendMany(30);
    const sut = new OutboxRelay(dataSource, publisher, logger, { lockName: 'test', batchSize: 7 });
    while ((await sut.publishBatch()) > 0);
    expect(await storedEventIds()).toEqual(ids);
    expect(await outboxSize()).toBe(0);
  });

  it('publishes what was committed while no relay ran (crash between append and publish)', async () => {
    const ids = await appendMany(10);
    expect(await outboxSize()).toBe(10);
    const sut = new OutboxRelay(dataSource, publisher, logger, { lockName: 'test', pollIntervalMs: 50 });
    sut.start();
    try {
      await waitUntil(async () => (await outboxSize()) === 0);
    } finally {
      await sut.stop();
    }
    expect(await storedEventIds()).toEqual(ids);
  });

  it('resumes after dying mid-batch without losing or doubling an event', async () => {
    const ids = await appendMany(20);
    const dying = new OutboxRelay(dataSource, new FailingAfter(publisher, 8), logger, {
      lockName: 'test',
      batchSize: 20,
    });
    await expect(dying.publishBatch()).rejects.toThrow('injected');
    expect(await outboxSize()).toBe(13);

    const successor = new OutboxRelay(dataSource, publisher, logger, { lockName: 'test' });
    while ((await successor.publishBatch()) > 0);
    expect(await storedEventIds()).toEqual(ids);
  });

  it('stores a re-published event once (acknowledged, but the outbox delete was lost)', async () => {
    const ids = await appendMany(5);
    const rows = await dataSource.query('SELECT global_position, transaction_id, subject FROM es_outbox');
    const sut = new OutboxRelay(dataSource, publisher, logger, { lockName: 'test' });
    await sut.publishBatch();
    for (const row of rows as { global_position: string; transaction_id: string; subject: string }[]) {
      await dataSource.query('INSERT INTO es_outbox (global_position, transaction_id, subject) VALUES ($1, $2, $3)', [
        row.global_position,
        row.transaction_id,
        row.subject,
      ]);
    }
    await sut.publishBatch();
    expect(await outboxSize()).toBe(0);
    expect(await storedEventIds()).toEqual(ids);
  });

  it('publishes an event committed while a batch was being published at once, not after the poll interval', async () => {
    const [first] = await appendMany(1);
    let second: string[] = [];
    // The second event's NOTIFY arrives while the relay publishes the first, when no sleep is waiting for it.
    const midBatch = new CallingDuringFirst(publisher, async () => {
      second = await appendMany(1);
      await new Promise((resolve) => setTimeout(resolve, 100)); // the notification reaches the relay meanwhile
    });
    const sut = new OutboxRelay(dataSource, midBatch, logger, { lockName: 'notified', pollIntervalMs: 60_000 });
    sut.start();
    try {
      await waitUntil(async () => (await outboxSize()) === 0, 5_000);
    } finally {
      await sut.stop();
    }
    expect(await storedEventIds()).toEqual([first, ...second]);
  });

  it('lets only one of two relays on the same database publish', async () => {
    const first = new OutboxRelay(dataSource, publisher, logger, { lockName: 'single', pollIntervalMs: 50 });
    const second = new OutboxRelay(dataSource, publisher, logger, { lockName: 'single', pollIntervalMs: 50 });
    first.start();
    second.start();
    try {
      const ids = await appendMany(15);
      await waitUntil(async () => (await outboxSize()) === 0);
      const [{ holders }] = (await dataSource.query(
        `SELECT count(*)::int AS holders FROM pg_locks WHERE locktype = 'advisory' AND objid = hashtext('outbox-relay:single')::oid`,
      )) as { holders: number }[];
      expect(holders).toBe(1);
      expect(await storedEventIds()).toEqual(ids);
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  it('leaves no listener behind on the pooled connection it gives back after each failed publish', async () => {
    await appendMany(1);
    const failing = new FailingAfter(publisher, 1);
    const sut = new OutboxRelay(dataSource, failing, logger, { lockName: 'failing', pollIntervalMs: 10 });
    const pool = (dataSource.driver as unknown as { master: { _clients: NotificationSource[] } }).master;
    sut.start();
    try {
      // Leadership is given up and taken again after every failure, usually on the same pooled client.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(Math.max(...pool._clients.map((client) => client.listenerCount('notification')))).toBeLessThanOrEqual(1);
    } finally {
      await sut.stop();
    }
    expect(pool._clients.map((client) => client.listenerCount('notification'))).toEqual(pool._clients.map(() => 0));
    while ((await new OutboxRelay(dataSource, publisher, logger, { lockName: 'test' }).publishBatch()) > 0);
  });
});

interface NotificationSource {
  listenerCount(event: 'notification'): number;
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
