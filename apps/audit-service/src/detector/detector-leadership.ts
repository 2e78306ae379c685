import { Client } from 'pg';
import { withTimeout } from '#common';
import type { DataSource, EntityManager } from 'typeorm';

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
  /** The lock's own connection (not the pool's: it lives as long as the lead, and is closed to let it go). */
  private client?: Client;

  constructor(private readonly dataSource: DataSource) {}

  /** Takes the lead when no other replica holds it: the new fencing generation, or undefined. */
  async tryAcquire(): Promise<number | undefined> {
    if (this.client) throw new Error('already leading');
    // The services' data sources are configured by URL (createServiceDataSource).
    const { url } = this.dataSource.options as { url?: string };
    const client = new Client({
      connectionString: url,
      application_name: 'audit-service detector lead',
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    // A broken connection shows in the next heartbeat; without a listener the error would crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      // A leader whose machine or network dies sends no FIN: without keepalives PostgreSQL would keep its
      // session, and so the lock, for hours. With these it drops them within about 15 s.
      await client.query(
        `SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3; SET tcp_user_timeout = 10000`,
      );
      const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [
        LOCK_NAME,
      ]);
      if (!rows[0].locked) {
        await client.end();
        return undefined;
      }
      // The raise waits for detector transactions in flight, whose sessions may belong to a dead replica:
      // give up after a while (the next step tries again) rather than hold the lock without leading.
      await client.query(`SET lock_timeout = '10s'`);
      const raised = await client.query<{ generation: string }>(
        `UPDATE detector_leadership SET generation = generation + 1, updated_at = now() WHERE id = 1 RETURNING generation`,
      );
      this.client = client;
      return Number(raised.rows[0].generation);
    } catch (error) {
      // Closing the connection drops the lock if it was taken.
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /** Whether the lock's connection still answers, within HEARTBEAT_TIMEOUT_MS (PostgreSQL holds the lock as long as it lives). */
  async stillHeld(): Promise<boolean> {
    const client = this.client;
    if (!client) return false;
    try {
      await withTimeout(client.query(`SELECT 1`), HEARTBEAT_TIMEOUT_MS, 'heartbeat timed out');
      return true;
    } catch {
      return false;
    }
  }

  /** Lets the lead go: closing the lock's connection releases the lock on the server (if it still has it). */
  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // A hung connection may never answer a goodbye: give it a moment, then leave it to the keepalives.
    await withTimeout(client.end(), 1_000, 'no goodbye').catch(() => undefined);
  }

  /** First statement of every detector transaction: throws FencedError unless `generation` still leads. */
  static async fence(manager: EntityManager, generation: number | undefined): Promise<void> {
    const [{ current }] = (await manager.query(
      `SELECT generation AS current FROM detector_leadership WHERE id = 1 FOR SHARE`,
    )) as { current: string }[];
    if (generation === undefined || Number(current) !== generation) throw new FencedError(generation, Number(current));
  }
}
