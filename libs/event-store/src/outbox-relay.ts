import type { LoggerService } from '@nestjs/common';
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { DataSource, QueryRunner } from 'typeorm';
import type { EventEnvelope } from '#contracts';
import { OUTBOX_CHANNEL, rowToEnvelope } from './event-store';

/** Sends one event to the bus. The JetStream one is the real thing; tests wrap it to inject faults. */
export interface EventPublisher {
  publish(subject: string, event: EventEnvelope): Promise<void>;
}

/** Publishes with `Nats-Msg-Id` = event id, so a re-publish after a crash is stored once. */
export class JetStreamEventPublisher implements EventPublisher {
  constructor(private readonly js: JetStreamClient) {}

  async publish(subject: string, event: EventEnvelope): Promise<void> {
    const headers = natsHeaders();
    headers.set('Nats-Msg-Id', event.id);
    await this.js.publish(subject, JSON.stringify(event), { msgID: event.id, headers, timeout: 5_000 });
  }
}

export interface OutboxRelayOptions {
  /** Identifies the relay's advisory lock; one relay per database publishes at a time. */
  lockName: string;
  batchSize?: number;
  /** Safety net when a NOTIFY is missed (connection blip). */
  pollIntervalMs?: number;
}

interface OutboxRow {
  global_position: string;
  subject: string;
}

/** The part of pg's client that delivers NOTIFY. */
interface NotifyingClient {
  on(event: 'notification', listener: () => void): void;
  removeListener(event: 'notification', listener: () => void): void;
}

/**
 * Moves committed events from the outbox to JetStream, in commit order, at least once.
 *
 * A row is deleted only after JetStream acknowledged it; a crash in between re-publishes it on the
 * next start, and JetStream's de-duplication (Nats-Msg-Id) plus idempotent consumers absorb the
 * repeat. Several replicas may run: a session advisory lock lets exactly one publish.
 */
export class OutboxRelay {
  private runner?: QueryRunner;
  /** The pooled client the leader LISTENs on, and its listener (one, however often leadership is taken again). */
  private listeningOn?: NotifyingClient;
  private readonly onNotification = (): void => this.notify();
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** A NOTIFY came while no sleep was waiting for it (a batch was being published): don't sleep next. */
  private notified = false;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: EventPublisher,
    private readonly logger: LoggerService,
    private readonly options: OutboxRelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 256;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Publishes one batch; returns how many events left the outbox. */
  async publishBatch(): Promise<number> {
    // On the leader's own connection: if it was lost (and the lock with it), this fails and the loop
    // gives up leadership instead of publishing beside a new leader.
    const db = this.runner ?? this.dataSource;
    const rows = (await db.query(
      `SELECT o.global_position, o.subject, e.*
         FROM es_outbox o JOIN es_events e USING (global_position)
        WHERE o.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY o.transaction_id, o.global_position
        LIMIT $1`,
      [this.batchSize],
    )) as (OutboxRow & Parameters<typeof rowToEnvelope>[0])[];
    if (rows.length === 0) return 0;
    // One at a time, each acknowledged before the next: a failure stops the batch there, so nothing
    // after it reaches a consumer before it does (commit order is kept).
    const done: string[] = [];
    let failure: unknown;
    for (const row of rows) {
      try {
        await this.publisher.publish(row.subject, rowToEnvelope(row));
        done.push(row.global_position);
      } catch (error) {
        failure = error;
        break;
      }
    }
    if (done.length > 0) await db.query(`DELETE FROM es_outbox WHERE global_position = ANY($1::bigint[])`, [done]);
    if (failure !== undefined) throw failure;
    return rows.length;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!(await this.acquireLeadership())) {
          await this.sleep(this.pollIntervalMs * 5);
          continue;
        }
        const published = await this.publishBatch();
        if (published < this.batchSize) await this.sleep(this.pollIntervalMs);
      } catch (error) {
        this.logger.warn({ msg: 'outbox relay: publish failed, retrying', error: String(error) }, 'OutboxRelay');
        await this.releaseConnection();
        this.notified = false; // after a failure, wait out the interval whatever was committed meanwhile
        await this.sleep(this.pollIntervalMs);
      }
    }
    await this.releaseConnection();
  }

  /** Holds a dedicated connection with the advisory lock and LISTEN for new outbox rows. */
  private async acquireLeadership(): Promise<boolean> {
    if (this.runner) return true;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const [{ locked }] = (await runner.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [
      `outbox-relay:${this.options.lockName}`,
    ])) as { locked: boolean }[];
    if (!locked) {
      await runner.release();
      return false;
    }
    const client = (await runner.connect()) as NotifyingClient;
    client.on('notification', this.onNotification);
    this.runner = runner;
    this.listeningOn = client;
    await runner.query(`LISTEN ${OUTBOX_CHANNEL}`);
    return true;
  }

  private async releaseConnection(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    // The connection goes back to the pool, to be lent again (often to this relay): it keeps no listener of ours.
    this.listeningOn?.removeListener('notification', this.onNotification);
    this.listeningOn = undefined;
    if (!runner) return;
    try {
      await runner.query(`UNLISTEN *`);
      await runner.query(`SELECT pg_advisory_unlock_all()`);
    } catch {
      // The connection is already broken: the server dropped the lock with it.
    }
    await runner.release().catch(() => undefined);
  }

  private notify(): void {
    this.notified = true;
    this.wake?.();
  }

  /** Waits `ms`, or less when new outbox rows are announced, including while the last batch was published. */
  private sleep(ms: number): Promise<void> {
    if (this.notified) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        this.notified = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
