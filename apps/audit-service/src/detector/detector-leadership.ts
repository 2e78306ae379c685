import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

const LOCK_NAME = 'audit-detector';
/** A heartbeat that takes longer than this counts as a lost connection (a half-open one may hang for minutes). */
const HEARTBEAT_TIMEOUT_MS = 5_000;

/** A transaction of a replica that no longer leads the detector: it must not commit. */
export class FencedError extends Error {
  constructor(mine: number | undefined, current: number) {
    super(`detector generation ${mine ?? 'none'} is not the leader's (${current}): another replica leads`);
  }
}

/**
 * Which audit-service replica runs the detector: the one holding a PostgreSQL advisory lock on a
 * connection of its own (the outbox relay's pattern). PostgreSQL drops the lock with the connection,
 * so a replica that dies or loses its database lets another take over. Each new leader raises the
 * fencing generation in `detector_leadership`, and every detector transaction starts with `fence`:
 * a replica that lost the lock but has not noticed yet (its next heartbeat) commits nothing, and the
 * raise waits until its transactions in flight have finished.
 */
export class DetectorLeadership {
  private runner?: QueryRunner;

  constructor(private readonly dataSource: DataSource) {}

  /** Takes the lead when no other replica holds it: the new fencing generation, or undefined. */
  async tryAcquire(): Promise<number | undefined> {
    if (this.runner) throw new Error('already leading');
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [LOCK_NAME])) as {
        locked: boolean;
      }[];
      if (!locked) {
        await runner.release();
        return undefined;
      }
      // As a SELECT: TypeORM answers an UPDATE with [rows, count].
      const [{ generation }] = (await runner.query(
        `WITH raised AS (
           UPDATE detector_leadership SET generation = generation + 1, updated_at = now() WHERE id = 1 RETURNING generation
         ) SELECT generation FROM raised`,
      )) as { generation: string }[];
      this.runner = runner;
      return Number(generation);
    } catch (error) {
      await runner.query(`SELECT pg_advisory_unlock_all()`).catch(() => undefined);
      await runner.release().catch(() => undefined);
      throw error;
    }
  }

  /** Whether the lock's connection still answers, within HEARTBEAT_TIMEOUT_MS (PostgreSQL holds the lock as long as it lives). */
  async stillHeld(): Promise<boolean> {
    const runner = this.runner;
    if (!runner) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        runner.query(`SELECT 1`).then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), HEARTBEAT_TIMEOUT_MS);
        }),
      ]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Lets the lead go. `connectionLost`: the connection is not asked to unlock (it may hang) but
   * destroyed, which drops the lock on the server if it is still there.
   */
  async release(connectionLost = false): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (!runner) return;
    if (connectionLost) {
      // TypeORM's Postgres runner hands the error to pg's pool, which then closes the client instead of reusing it.
      const postgres = runner as unknown as { releasePostgresConnection(error?: Error): Promise<void> };
      await postgres.releasePostgresConnection(new Error('detector lead lost')).catch(() => undefined);
      return;
    }
    await runner.query(`SELECT pg_advisory_unlock_all()`).catch(() => undefined);
    await runner.release().catch(() => undefined);
  }

  /** First statement of every detector transaction: throws FencedError unless `generation` still leads. */
  static async fence(manager: EntityManager, generation: number | undefined): Promise<void> {
    const [{ current }] = (await manager.query(
      `SELECT generation AS current FROM detector_leadership WHERE id = 1 FOR SHARE`,
    )) as { current: string }[];
    if (generation === undefined || Number(current) !== generation) throw new FencedError(generation, Number(current));
  }
}
