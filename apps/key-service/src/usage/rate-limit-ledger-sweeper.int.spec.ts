import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createMigratedDataSource } from '../../../../test/support/test-database';
import { KeyServiceMigrations } from '../migrations';
import { sweepRateLimitLedger } from './rate-limit-ledger-sweeper';

describe('sweepRateLimitLedger (PostgreSQL)', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ dataSource, close } = await createMigratedDataSource('ledger_sweep', KeyServiceMigrations));
  });
  afterAll(() => close?.());

  it('deletes the hours more than two days before the current one and keeps the rest', async () => {
    const now = new Date('2026-11-27T12:30:00Z');
    const hour = Math.floor(now.getTime() / 3_600_000);
    const account = randomUUID();
    for (const [age, instance] of [
      [49, 'a'],
      [48, 'a'],
      [47, 'b'],
      [1, 'a'],
      [0, 'a'],
      [0, 'b'],
    ] as const)
      await dataSource.query(
        `INSERT INTO rate_limit_ledger (account_id, hour, instance_id, count) VALUES ($1, $2, $3, 1)`,
        [account, hour - age, instance],
      );

    expect(await sweepRateLimitLedger(dataSource.manager, now)).toBe(1);

    const kept = (await dataSource.query(`SELECT hour FROM rate_limit_ledger ORDER BY hour, instance_id`)) as {
      hour: string;
    }[];
    expect(kept.map((row) => hour - Number(row.hour))).toEqual([48, 47, 1, 0, 0]);
  });
});
