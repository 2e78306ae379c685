import type { DataSource, QueryRunner } from 'typeorm';
import { createMigratedDataSource } from '../../../test/support/test-database';
import { DatabaseReadiness } from './database';

describe('DatabaseReadiness (PostgreSQL)', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;
  let readiness: DatabaseReadiness;

  beforeAll(async () => {
    ({ dataSource, close } = await createMigratedDataSource('db_ready'));
    readiness = new DatabaseReadiness(dataSource);
  });
  afterAll(async () => {
    await readiness.close();
    await close();
  });

  /** The readiness check's own connection, by its application name. */
  const READINESS_CONNECTION = 'test-db_ready-readiness';
  const open = async (): Promise<number> =>
    (
      (await dataSource.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`, [
        READINESS_CONNECTION,
      ])) as { n: number }[]
    )[0].n;
  /** Ends it from the server's side; answers how many connections were ended (1, or the test proves nothing). */
  const terminateReadinessConnection = async (): Promise<number> =>
    (
      (await dataSource.query(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1`,
        [READINESS_CONNECTION],
      )) as { n: number }[]
    )[0].n;

  it('answers while every connection of the pool is taken by work (a busy service is not a down one)', async () => {
    const busy: QueryRunner[] = [];
    try {
      // The service pool's 10 connections, each inside a transaction.
      for (let i = 0; i < 10; i += 1) {
        const runner = dataSource.createQueryRunner();
        await runner.connect();
        await runner.startTransaction();
        busy.push(runner);
      }
      const poolQuery = dataSource.query('SELECT 1').then(() => 'answered');
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        readiness.check().then(() => 'ready'),
        new Promise((resolve) => (timer = setTimeout(() => resolve('still waiting'), 2_000))),
      ]);
      clearTimeout(timer);
      expect(outcome).toBe('ready');
      for (const runner of busy.splice(0)) {
        await runner.rollbackTransaction();
        await runner.release();
      }
      expect(await poolQuery).toBe('answered');
    } finally {
      for (const runner of busy) await runner.release();
    }
  });

  it('notices a connection the server ended while idle: the next check is answered on a new one', async () => {
    await readiness.check();
    expect(await terminateReadinessConnection()).toBe(1);
    // Until the server has closed it, and a moment for the client to hear of it.
    while ((await open()) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 200));

    await expect(readiness.check()).resolves.toBeUndefined();
  });

  it('opens a new connection when its own was ended by the server', async () => {
    await readiness.check();
    expect(await terminateReadinessConnection()).toBe(1);
    // The first check after may fail (the connection is gone); the next one is answered on a new one.
    await readiness.check().catch(() => undefined);
    await expect(readiness.check()).resolves.toBeUndefined();
  });
});
