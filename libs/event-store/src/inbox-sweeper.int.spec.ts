import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createMigratedDataSource } from '../../../test/support/test-database';
import { sweepInbox } from './inbox-sweeper';

describe('sweepInbox (PostgreSQL)', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ dataSource, close } = await createMigratedDataSource('inbox_sweep'));
  });
  afterAll(() => close?.());

  const remember = (consumer: string, age: string, count: number) =>
    dataSource.query(
      `INSERT INTO es_consumer_inbox (consumer, event_id, processed_at)
       SELECT $1, gen_random_uuid(), now() - $2::interval FROM generate_series(1, $3)`,
      [consumer, age, count],
    );
  const left = async () =>
    (await dataSource.query(
      `SELECT consumer, count(*)::int AS count FROM es_consumer_inbox GROUP BY consumer ORDER BY consumer`,
    )) as { consumer: string; count: number }[];

  it('forgets what every consumer handled more than 7 days ago, in batches, and keeps the rest', async () => {
    const a = `a-${randomUUID()}`;
    const b = `b-${randomUUID()}`;
    await remember(a, '8 days', 12);
    await remember(a, '6 days 23 hours', 3);
    await remember(b, '30 days', 5);
    await remember(b, '1 minute', 2);

    expect(await sweepInbox(dataSource.manager, 7, 4)).toBe(17);

    expect(await left()).toEqual([
      { consumer: a, count: 3 },
      { consumer: b, count: 2 },
    ]);
    expect(await sweepInbox(dataSource.manager)).toBe(0);
  });
});
