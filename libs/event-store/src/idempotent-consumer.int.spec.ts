import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventEnvelope } from '#contracts';
import { JsonLogger } from '#common';
import { NatsConnectionHolder, provisionStreams } from '#messaging';
import { createMigratedDataSource } from '../../../test/support/test-database';
import { type TestNatsServer, startNatsServer } from '../../../test/support/nats-server';
import { IdempotentConsumer } from './idempotent-consumer';

const logger = new JsonLogger('test', 'silent');

function envelope(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    id: randomUUID(),
    type: 'key.created',
    stream: `api_key-${randomUUID()}`,
    version: 1,
    occurred_at: new Date().toISOString(),
    data: { name: 'k' },
    meta: { request_id: 'r', account_id: randomUUID() },
    ...overrides,
  };
}

describe('IdempotentConsumer (JetStream + PostgreSQL)', () => {
  let nats: TestNatsServer;
  let connection: NatsConnectionHolder;
  let dataSource: DataSource;
  let closeDb: () => Promise<void>;
  const running: IdempotentConsumer[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    connection = await NatsConnectionHolder.connect({ servers: nats.url, name: 'consumer-test' });
    await provisionStreams(await connection.manager());
    ({ dataSource, close: closeDb } = await createMigratedDataSource('consumer'));
    await dataSource.query(`CREATE TABLE seen (event_id uuid NOT NULL, consumer text NOT NULL)`);
  });
  beforeEach(async () => {
    await (await connection.manager()).streams.purge('KEYS');
  });
  afterEach(async () => {
    for (const consumer of running.splice(0)) await consumer.stop();
  });
  afterAll(async () => {
    await connection.close();
    await nats.stop();
    await closeDb();
  });

  /** Publishes without de-duplication, as JetStream does when a redelivery or a late duplicate arrives. */
  async function publishRaw(event: EventEnvelope | string, msgID = randomUUID()): Promise<void> {
    const body = typeof event === 'string' ? event : JSON.stringify(event);
    await connection.jetstream.publish(`keys.events.${typeof event === 'string' ? 'key.created' : event.type}`, body, {
      msgID,
    });
  }

  function start(
    durable: string,
    handleOne: (event: EventEnvelope, manager: EntityManager) => Promise<void>,
    extra = {},
  ): IdempotentConsumer {
    const consumer = new IdempotentConsumer(connection, dataSource, logger, {
      durable,
      stream: 'KEYS',
      filterSubject: 'keys.events.>',
      ...extra,
      handle: async (events, manager) => {
        for (const event of events) await handleOne(event, manager);
      },
    });
    running.push(consumer);
    return consumer;
  }

  const record = (durable: string) => async (event: EventEnvelope, manager: EntityManager) => {
    await manager.query(`INSERT INTO seen (event_id, consumer) VALUES ($1, $2)`, [event.id, durable]);
  };

  async function seenCount(durable: string, eventId?: string): Promise<number> {
    const [{ count }] = (await dataSource.query(
      `SELECT count(*)::int AS count FROM seen WHERE consumer = $1 AND ($2::uuid IS NULL OR event_id = $2)`,
      [durable, eventId ?? null],
    )) as { count: number }[];
    return count;
  }

  it('applies a message delivered twice exactly once', async () => {
    const durable = `dup-${randomUUID().slice(0, 8)}`;
    const event = envelope();
    await publishRaw(event);
    await publishRaw(event);
    await publishRaw(envelope());
    await start(durable, record(durable)).start();
    await waitUntil(async () => (await seenCount(durable)) === 2);
    await sleep(300);
    expect(await seenCount(durable, event.id)).toBe(1);
    expect(await seenCount(durable)).toBe(2);
  });

  it('leaves nothing behind when the handler fails, and applies the redelivery once', async () => {
    const durable = `retry-${randomUUID().slice(0, 8)}`;
    const event = envelope();
    let attempts = 0;
    const handle = async (e: EventEnvelope, manager: EntityManager) => {
      await record(durable)(e, manager);
      attempts += 1;
      // Fails in the batch and in the one-by-one retry, so only a JetStream redelivery can succeed.
      if (attempts <= 2) throw new Error('crash after writing the read model (injected)');
    };
    let rollbacks = 0;
    await publishRaw(event);
    await start(durable, handle, { backoffMs: [100], onRollback: () => (rollbacks += 1) }).start();
    await waitUntil(async () => (await seenCount(durable)) === 1);
    expect(attempts).toBe(3);
    expect(rollbacks).toBe(2);
    const [{ count }] = (await dataSource.query(
      `SELECT count(*)::int AS count FROM es_consumer_inbox WHERE consumer = $1`,
      [durable],
    )) as { count: number }[];
    expect(count).toBe(1);
  });

  it('tells the handler when a transaction fails at commit, after the handler returned', async () => {
    const durable = `commit-${randomUUID().slice(0, 8)}`;
    const table = `deferred_${durable.replace(/-/g, '_')}`;
    // A deferred constraint is checked at COMMIT: the first two attempts fail there, not in the handler.
    await dataSource.query(`CREATE TABLE ${table} (n int, UNIQUE (n) DEFERRABLE INITIALLY DEFERRED)`);
    let attempts = 0;
    let rollbacks = 0;
    const handle = async (e: EventEnvelope, manager: EntityManager) => {
      attempts += 1;
      await manager.query(`INSERT INTO ${table} (n) VALUES (0), ($1)`, [attempts <= 2 ? 0 : attempts]);
      await record(durable)(e, manager);
    };
    await publishRaw(envelope());
    await start(durable, handle, { backoffMs: [100], onRollback: () => (rollbacks += 1) }).start();
    await waitUntil(async () => (await seenCount(durable)) === 1);
    expect(rollbacks).toBe(2);
  });

  it('resumes after a restart from where it stopped', async () => {
    const durable = `restart-${randomUUID().slice(0, 8)}`;
    // Without the inbox every delivered event reaches the handler, so a replay from the start would show as 7.
    const first = start(durable, record(durable), { deduplicate: 'handler' });
    await first.start();
    const before = [envelope(), envelope()];
    for (const e of before) await publishRaw(e);
    await waitUntil(async () => (await seenCount(durable)) === 2);
    await first.stop();
    for (let i = 0; i < 3; i += 1) await publishRaw(envelope());
    await start(durable, record(durable), { deduplicate: 'handler' }).start();
    await waitUntil(async () => (await seenCount(durable)) === 5);
    await sleep(300);
    expect(await seenCount(durable)).toBe(5);
    for (const e of before) expect(await seenCount(durable, e.id)).toBe(1);
  });

  it('applies a batch message once, in order, even when it is delivered twice', async () => {
    const durable = `batch-${randomUUID().slice(0, 8)}`;
    const order: string[] = [];
    const events = [envelope(), envelope(), envelope()];
    const batch = JSON.stringify({ batch_id: randomUUID(), events });
    await publishRaw(batch);
    await publishRaw(batch);
    const single = envelope();
    await publishRaw(single);
    const handle = async (event: EventEnvelope, manager: EntityManager) => {
      order.push(event.id);
      await record(durable)(event, manager);
    };
    // A transaction of at most 2 events: the batch of 3 is still handled whole, never split.
    await start(durable, handle, { batchSize: 2 }).start();
    await waitUntil(async () => (await seenCount(durable)) === 4);
    await sleep(300);
    expect(await seenCount(durable)).toBe(4);
    expect(order).toEqual([...events.map((event) => event.id), single.id]);
    const [{ count }] = (await dataSource.query(
      `SELECT count(*)::int AS count FROM es_consumer_inbox WHERE consumer = $1`,
      [durable],
    )) as { count: number }[];
    expect(count).toBe(2); // one inbox row per message, not per event
  });

  it('works through a backlog of batch messages far larger than its batch size, each event once', async () => {
    const durable = `backlog-${randomUUID().slice(0, 8)}`;
    for (let message = 0; message < 100; message += 1) {
      await publishRaw(
        JSON.stringify({ batch_id: randomUUID(), events: Array.from({ length: 50 }, () => envelope()) }),
      );
    }
    await start(durable, record(durable), { batchSize: 20 }).start();
    await waitUntil(async () => (await seenCount(durable)) === 5_000, 60_000);
    const [{ distinct }] = (await dataSource.query(
      `SELECT count(DISTINCT event_id)::int AS distinct FROM seen WHERE consumer = $1`,
      [durable],
    )) as { distinct: number }[];
    expect(distinct).toBe(5_000);
  });

  it('splits a batch that keeps failing: the good events are handled, only the poison one is dead-lettered', async () => {
    const durable = `split-${randomUUID().slice(0, 8)}`;
    const deadLetters: { reason: string; body: string }[] = [];
    const subscription = connection.connection.subscribe(`deadletter.${durable}`, {
      callback: (_, message) => {
        deadLetters.push({ reason: message.headers?.get('VibeXP-Dead-Letter-Reason') ?? '', body: message.string() });
      },
    });
    const events = [envelope(), envelope(), envelope(), envelope()];
    const poisoned = events[2];
    const batchId = randomUUID();
    await publishRaw(JSON.stringify({ batch_id: batchId, events }));
    const handle = async (event: EventEnvelope, manager: EntityManager) => {
      await record(durable)(event, manager);
      if (event.id === poisoned.id) throw new Error('cannot handle this one');
    };
    await start(durable, handle, { maxDeliver: 2, backoffMs: [50] }).start();
    await waitUntil(async () => deadLetters.length === 1 && (await seenCount(durable)) === 3);
    await sleep(300);
    subscription.unsubscribe();

    expect(await seenCount(durable)).toBe(3);
    expect(await seenCount(durable, poisoned.id)).toBe(0);
    expect(JSON.parse(deadLetters[0].body)).toEqual(poisoned);
    expect(deadLetters[0].reason).toMatch(new RegExp(`of its batch ${batchId}, then alone: cannot handle this one`));
    const inbox = (await dataSource.query(`SELECT event_id FROM es_consumer_inbox WHERE consumer = $1`, [durable])) as {
      event_id: string;
    }[];
    // Every event is settled (handled, or dead-lettered: the poison one), and then the batch.
    expect(inbox.map((row) => row.event_id).sort()).toEqual([batchId, ...events.map((event) => event.id)].sort());
  });

  it('skips, in a redelivered batch, the events a split already handled before the consumer stopped', async () => {
    const durable = `resplit-${randomUUID().slice(0, 8)}`;
    const events = [envelope(), envelope(), envelope()];
    // As a split leaves it when the process dies half-way: the first event done, the batch id not yet recorded.
    await dataSource.query(`INSERT INTO es_consumer_inbox (consumer, event_id) VALUES ($1, $2)`, [
      durable,
      events[0].id,
    ]);
    await publishRaw(JSON.stringify({ batch_id: randomUUID(), events }));
    let attempts = 0;
    const handle = async (event: EventEnvelope, manager: EntityManager) => {
      attempts += 1;
      // The first delivery fails (in the batch and alone), so the one that succeeds is a redelivery.
      if (attempts <= 2) throw new Error('transient (injected)');
      await record(durable)(event, manager);
    };
    await start(durable, handle, { backoffMs: [50] }).start();
    await waitUntil(async () => (await seenCount(durable)) === 2);
    await sleep(300);
    expect(await seenCount(durable, events[0].id)).toBe(0);
    expect(await seenCount(durable)).toBe(2);
  });

  it('handles an event that appears twice in one batch once', async () => {
    const durable = `twice-${randomUUID().slice(0, 8)}`;
    const event = envelope();
    await publishRaw(JSON.stringify({ batch_id: randomUUID(), events: [event, envelope(), event] }));
    await start(durable, record(durable)).start();
    await waitUntil(async () => (await seenCount(durable)) === 2);
    await sleep(300);
    expect(await seenCount(durable, event.id)).toBe(1);
  });

  it('starts a new durable at new messages with startAt new; an existing durable keeps its start', async () => {
    const fresh = `new-${randomUUID().slice(0, 8)}`;
    const old = envelope();
    await publishRaw(old);
    const first = start(fresh, record(fresh), { startAt: 'new' });
    await first.start();
    const later = envelope();
    await publishRaw(later);
    await waitUntil(async () => (await seenCount(fresh)) === 1);
    expect(await seenCount(fresh, old.id)).toBe(0);
    await first.stop();

    // A durable created from the first message keeps that start (and starts) when configured `new` later.
    const existing = `all-${randomUUID().slice(0, 8)}`;
    const before = start(existing, record(existing));
    await before.start();
    await waitUntil(async () => (await seenCount(existing)) === 2);
    await before.stop();
    await publishRaw(envelope());
    await start(existing, record(existing), { startAt: 'new' }).start();
    await waitUntil(async () => (await seenCount(existing)) === 3);
  });

  it('retries a transient failure past maxDeliver without splitting or dead-lettering, then handles it once', async () => {
    const durable = `transient-${randomUUID().slice(0, 8)}`;
    const deadLetters: string[] = [];
    const subscription = connection.connection.subscribe(`deadletter.${durable}`, {
      callback: (_, message) => {
        deadLetters.push(message.headers?.get('VibeXP-Dead-Letter-Reason') ?? '');
      },
    });
    class NotNow extends Error {}
    const events = [envelope(), envelope()];
    await publishRaw(JSON.stringify({ batch_id: randomUUID(), events }));
    let attempts = 0;
    const handle = async (event: EventEnvelope, manager: EntityManager) => {
      attempts += 1;
      if (attempts <= 5) throw new NotNow('another replica leads (injected)');
      await record(durable)(event, manager);
    };
    await start(durable, handle, {
      maxDeliver: 2,
      backoffMs: [50],
      isTransient: (error: unknown) => error instanceof NotNow,
    }).start();
    await waitUntil(async () => (await seenCount(durable)) === 2);
    await sleep(300);
    subscription.unsubscribe();
    expect(deadLetters).toEqual([]);
    for (const event of events) expect(await seenCount(durable, event.id)).toBe(1);
  });

  it('sends malformed and persistently failing messages to the dead-letter subject and carries on', async () => {
    const durable = `poison-${randomUUID().slice(0, 8)}`;
    const deadLetters: string[] = [];
    const subscription = connection.connection.subscribe(`deadletter.${durable}`, {
      callback: (_, message) => {
        deadLetters.push(message.headers?.get('VibeXP-Dead-Letter-Reason') ?? '');
      },
    });
    const poisoned = envelope();
    const good = envelope();
    await publishRaw('{not json');
    await publishRaw(JSON.stringify({ id: 'x', type: 'key.created' }));
    await publishRaw(JSON.stringify({ batch_id: randomUUID(), events: [envelope(), { ...envelope(), id: 'x' }] }));
    await publishRaw(poisoned);
    await publishRaw(good);
    const handle = async (event: EventEnvelope, manager: EntityManager) => {
      if (event.id === poisoned.id) throw new Error('cannot handle this one');
      await record(durable)(event, manager);
    };
    await start(durable, handle, { maxDeliver: 2, backoffMs: [50] }).start();
    await waitUntil(async () => deadLetters.length === 4);
    subscription.unsubscribe();
    expect(deadLetters.filter((reason) => reason.startsWith('malformed'))).toHaveLength(3);
    expect(deadLetters.some((reason) => reason.startsWith('gave up after 2 deliveries'))).toBe(true);
    expect(await seenCount(durable, good.id)).toBe(1);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}
