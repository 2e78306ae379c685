import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventEnvelope, EventMeta } from '#contracts';
import { createMigratedDataSource } from '../../../test/support/test-database';
import { ConcurrencyError } from './errors';
import { EventStore, START_POSITION } from './event-store';
import type { Projection } from './projection';

const meta: EventMeta = { request_id: 'test', account_id: randomUUID() };
const created = (name: string) => ({ type: 'prompt.created', data: { name } });
const updated = (name: string) => ({ type: 'prompt.updated', data: { name } });

/** A small read model: one row per stream with its latest name and how many changes it saw. */
class PromptNamesProjection implements Projection {
  readonly name = 'prompt-names';
  handles(eventType: string): boolean {
    return eventType.startsWith('prompt.');
  }
  async apply(event: EventEnvelope, manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO prompt_names (stream_id, name, changes, version) VALUES ($1, $2, 1, $3)
       ON CONFLICT (stream_id) DO UPDATE SET name = EXCLUDED.name, changes = prompt_names.changes + 1, version = EXCLUDED.version`,
      [event.stream, event.data.name, event.version],
    );
  }
  async reset(manager: EntityManager): Promise<void> {
    await manager.query(`TRUNCATE prompt_names`);
  }
}

describe('EventStore (PostgreSQL)', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;
  let sut: EventStore;
  const projection = new PromptNamesProjection();

  beforeAll(async () => {
    ({ dataSource, close } = await createMigratedDataSource('event_store'));
    await dataSource.query(
      `CREATE TABLE prompt_names (stream_id text PRIMARY KEY, name text NOT NULL, changes int NOT NULL, version int NOT NULL)`,
    );
    sut = new EventStore(dataSource, { projections: [projection] });
  });
  afterAll(() => close());

  it('appends to a new stream and reads it back in order with versions 1..n', async () => {
    const stream = `prompt-${randomUUID()}`;
    const result = await sut.append(stream, [created('a'), updated('b')], { expectedVersion: 'no_stream', meta });
    expect(result.nextVersion).toBe(2);
    const events = await sut.readStream(stream);
    expect(events.map((e) => [e.type, e.version, e.data.name])).toEqual([
      ['prompt.created', 1, 'a'],
      ['prompt.updated', 2, 'b'],
    ]);
    expect(events[0].meta).toEqual(meta);
  });

  it('gives events appended together one time and ids that sort in their order', async () => {
    const stream = `prompt-${randomUUID()}`;
    const changes = Array.from({ length: 20 }, (_, index) => updated(`v${index}`));
    await sut.append(stream, [created('a'), ...changes], { expectedVersion: 'no_stream', meta });
    const events = await sut.readStream(stream);
    expect(new Set(events.map((e) => e.occurred_at)).size).toBe(1);
    // An audit log ordered by (time, id) lists them as they happened.
    const ids = events.map((e) => e.id);
    expect([...ids].sort()).toEqual(ids);
  });

  it('writes one outbox row per event in the same transaction', async () => {
    const stream = `prompt-${randomUUID()}`;
    const { events } = await sut.append(stream, [created('x')], { expectedVersion: 'no_stream', meta });
    const rows = (await dataSource.query(
      `SELECT o.subject FROM es_outbox o JOIN es_events e USING (global_position) WHERE e.event_id = $1`,
      [events[0].id],
    )) as { subject: string }[];
    expect(rows).toEqual([{ subject: 'content.events.prompt.created' }]);
  });

  it('rolls back events, outbox and projection together when the transaction fails', async () => {
    const stream = `prompt-${randomUUID()}`;
    await expect(
      dataSource.transaction(async (manager) => {
        await sut.append(stream, [created('doomed')], { expectedVersion: 'no_stream', meta, manager });
        throw new Error('the command failed after appending');
      }),
    ).rejects.toThrow('the command failed');
    expect(await sut.readStream(stream)).toEqual([]);
    expect(await dataSource.query(`SELECT 1 FROM prompt_names WHERE stream_id = $1`, [stream])).toEqual([]);
  });

  it('rejects an append whose expected version is stale', async () => {
    const stream = `prompt-${randomUUID()}`;
    await sut.append(stream, [created('a')], { expectedVersion: 'no_stream', meta });
    await expect(sut.append(stream, [updated('b')], { expectedVersion: 0, meta })).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
    await expect(sut.append(stream, [created('b')], { expectedVersion: 'no_stream', meta })).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
    await expect(sut.append(stream, [updated('c')], { expectedVersion: 1, meta })).resolves.toMatchObject({
      nextVersion: 2,
    });
  });

  it('lets exactly one of many concurrent appends with the same expected version win', async () => {
    const stream = `prompt-${randomUUID()}`;
    await sut.append(stream, [created('start')], { expectedVersion: 'no_stream', meta });
    const attempts = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => sut.append(stream, [updated(`writer-${i}`)], { expectedVersion: 1, meta })),
    );
    const won = attempts.filter((a) => a.status === 'fulfilled');
    const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(7);
    for (const failure of lost) expect(failure.reason).toBeInstanceOf(ConcurrencyError);
    expect(await sut.readStream(stream)).toHaveLength(2);
  });

  describe('global position', () => {
    it('never passes over a transaction that began earlier but commits later', async () => {
      const { position: start } = await drain(START_POSITION);
      const late = dataSource.createQueryRunner();
      await late.connect();
      await late.startTransaction();
      const lateStream = `prompt-${randomUUID()}`;
      const earlyStream = `prompt-${randomUUID()}`;
      try {
        // The "late" transaction takes its id and position first, then commits last.
        await sut.append(lateStream, [created('late')], { expectedVersion: 'no_stream', meta, manager: late.manager });
        await sut.append(earlyStream, [created('early')], { expectedVersion: 'no_stream', meta });

        const whileOpen = await sut.readAll(start);
        expect(whileOpen.events.map((e) => e.stream)).not.toContain(earlyStream);
        expect(whileOpen.events.map((e) => e.stream)).not.toContain(lateStream);

        await late.commitTransaction();
      } finally {
        await late.release();
      }
      const after = await drain(start);
      const streams = after.events.map((e) => e.stream);
      expect(streams).toEqual(expect.arrayContaining([lateStream, earlyStream]));
      expect(streams.indexOf(lateStream)).toBeLessThan(streams.indexOf(earlyStream));
    });

    it('follows from a returned position without repeating or skipping', async () => {
      const { position: start } = await drain(START_POSITION);
      const streams = Array.from({ length: 5 }, () => `prompt-${randomUUID()}`);
      for (const stream of streams) await sut.append(stream, [created('n')], { expectedVersion: 'no_stream', meta });
      const seen: string[] = [];
      let position = start;
      for (;;) {
        const page = await sut.readAll(position, 2);
        if (page.events.length === 0) break;
        seen.push(...page.events.map((e) => e.stream));
        position = page.position;
      }
      expect(seen).toEqual(streams);
    });

    async function drain(from: typeof START_POSITION) {
      const events: EventEnvelope[] = [];
      let position = from;
      for (;;) {
        const page = await sut.readAll(position);
        if (page.events.length === 0) return { events, position };
        events.push(...page.events);
        position = page.position;
      }
    }
  });

  describe('projection rebuild', () => {
    it('rebuilds a dropped read model equal to the one maintained inline', async () => {
      for (let i = 0; i < 20; i += 1) {
        const stream = `prompt-${randomUUID()}`;
        await sut.append(stream, [created(`p${i}`)], { expectedVersion: 'no_stream', meta });
        for (let v = 1; v <= i % 4; v += 1)
          await sut.append(stream, [updated(`p${i}-v${v}`)], { expectedVersion: v, meta });
      }
      const snapshot = async () => dataSource.query(`SELECT * FROM prompt_names ORDER BY stream_id`);
      const original = await snapshot();
      expect(original.length).toBeGreaterThanOrEqual(20);

      await dataSource.query(`DELETE FROM prompt_names`);
      expect(await snapshot()).toEqual([]);
      await sut.rebuild(projection);

      expect(await snapshot()).toEqual(original);
    });
  });
});
