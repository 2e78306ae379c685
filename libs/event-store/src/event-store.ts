import { MonotonicUuidV7 } from '#common';
import type { DataSource, EntityManager } from 'typeorm';
import { type EventEnvelope, type EventMeta, subjectForEventType } from '#contracts';
import { ConcurrencyError, isUniqueViolation } from './errors';
import type { Projection } from './projection';

export interface NewEvent<TData extends object = Record<string, unknown>> {
  type: string;
  data: TData;
}

/** The stream's current version (number of events), `no_stream` for a new stream, or `any`. */
export type ExpectedVersion = number | 'no_stream' | 'any';

export interface AppendOptions {
  expectedVersion: ExpectedVersion;
  meta: EventMeta;
  /** Join the caller's transaction instead of opening one. */
  manager?: EntityManager;
}

export interface AppendResult {
  nextVersion: number;
  events: EventEnvelope[];
}

/**
 * A point in the commit order. Readers that resume from it never skip an event: see the
 * migration for why the transaction id comes first.
 */
export interface GlobalPosition {
  transactionId: string;
  position: string;
}

export const START_POSITION: GlobalPosition = { transactionId: '0', position: '0' };

export interface EventStoreOptions {
  projections?: Projection[];
  clock?: () => Date;
  newId?: () => string;
}

interface EventRow {
  global_position: string;
  transaction_id: string;
  event_id: string;
  stream_id: string;
  stream_version: number;
  event_type: string;
  data: Record<string, unknown>;
  meta: EventMeta;
  occurred_at: Date;
}

export const OUTBOX_CHANNEL = 'es_outbox';

export function rowToEnvelope(row: EventRow): EventEnvelope {
  return {
    id: row.event_id,
    type: row.event_type,
    stream: row.stream_id,
    version: row.stream_version,
    occurred_at: row.occurred_at.toISOString(),
    data: row.data,
    meta: row.meta,
  };
}

/**
 * A stream's first event (its creation: who made it, and when), or undefined for a stream with none. A function, as
 * a projection needs it within its transaction before any store exists.
 */
export async function readFirstEvent(streamId: string, manager: EntityManager): Promise<EventEnvelope | undefined> {
  const [row] = (await manager.query(`SELECT * FROM es_events WHERE stream_id = $1 AND stream_version = 1`, [
    streamId,
  ])) as EventRow[];
  return row ? rowToEnvelope(row) : undefined;
}

export class EventStore {
  private readonly projections: Projection[];
  private readonly clock: () => Date;
  private readonly newId: () => string;

  constructor(
    private readonly dataSource: DataSource,
    options: EventStoreOptions = {},
  ) {
    this.projections = options.projections ?? [];
    this.clock = options.clock ?? (() => new Date());
    // Time-ordered ids, in append order: events appended together share their time, and the audit log lists
    // by (time, id).
    const ids = new MonotonicUuidV7();
    this.newId = options.newId ?? (() => ids.next());
  }

  /**
   * Appends events to a stream, together with their outbox rows and inline projections, in one
   * transaction. Two writers with the same expected version: one commits, the other gets
   * ConcurrencyError (the unique (stream, version) index decides, even when both read the same
   * version before either wrote).
   */
  async append(streamId: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const run = (manager: EntityManager): Promise<AppendResult> =>
      this.appendWithin(manager, streamId, events, options);
    try {
      return options.manager ? await run(options.manager) : await this.dataSource.transaction(run);
    } catch (error) {
      if (isUniqueViolation(error, 'es_events_stream_version')) {
        throw new ConcurrencyError(streamId, options.expectedVersion, 'unknown');
      }
      throw error;
    }
  }

  private async appendWithin(
    manager: EntityManager,
    streamId: string,
    events: NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const current = await this.currentVersion(manager, streamId);
    const expected = options.expectedVersion === 'no_stream' ? 0 : options.expectedVersion;
    if (expected !== 'any' && expected !== current) {
      throw new ConcurrencyError(streamId, options.expectedVersion as number | 'no_stream', current);
    }
    const occurredAt = this.clock();
    const envelopes: EventEnvelope[] = [];
    for (const [index, event] of events.entries()) {
      const envelope: EventEnvelope = {
        id: this.newId(),
        type: event.type,
        stream: streamId,
        version: current + index + 1,
        occurred_at: occurredAt.toISOString(),
        data: event.data as Record<string, unknown>,
        meta: options.meta,
      };
      const [{ global_position }] = (await manager.query(
        `INSERT INTO es_events (event_id, stream_id, stream_version, event_type, data, meta, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING global_position`,
        [envelope.id, streamId, envelope.version, envelope.type, envelope.data, envelope.meta, occurredAt],
      )) as { global_position: string }[];
      await manager.query(`INSERT INTO es_outbox (global_position, subject) VALUES ($1, $2)`, [
        global_position,
        subjectForEventType(envelope.type),
      ]);
      for (const projection of this.projections) {
        if (projection.handles(envelope.type)) await projection.apply(envelope, manager);
      }
      envelopes.push(envelope);
    }
    await manager.query(`SELECT pg_notify($1, '')`, [OUTBOX_CHANNEL]);
    return { nextVersion: current + events.length, events: envelopes };
  }

  private async currentVersion(manager: EntityManager, streamId: string): Promise<number> {
    const [row] = (await manager.query(
      `SELECT coalesce(max(stream_version), 0)::int AS version FROM es_events WHERE stream_id = $1`,
      [streamId],
    )) as { version: number }[];
    return row.version;
  }

  /** A stream's events in order; with a range, only those after version `after` and up to version `upTo`. */
  async readStream(
    streamId: string,
    manager: EntityManager = this.dataSource.manager,
    range: { after?: number; upTo?: number } = {},
  ): Promise<EventEnvelope[]> {
    const rows = (await manager.query(
      `SELECT * FROM es_events
        WHERE stream_id = $1 AND stream_version > $2 AND ($3::int IS NULL OR stream_version <= $3)
        ORDER BY stream_version`,
      [streamId, range.after ?? 0, range.upTo ?? null],
    )) as EventRow[];
    return rows.map(rowToEnvelope);
  }

  /**
   * Events after `after` in commit order, stopping before any transaction that may still commit
   * below the returned position. Follow it with the returned position.
   */
  async readAll(
    after: GlobalPosition,
    limit = 500,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<{ events: EventEnvelope[]; position: GlobalPosition }> {
    const rows = (await manager.query(
      `SELECT * FROM es_events
        WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          AND (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
        ORDER BY transaction_id, global_position
        LIMIT $3`,
      [after.transactionId, after.position, limit],
    )) as EventRow[];
    const last = rows[rows.length - 1];
    return {
      events: rows.map(rowToEnvelope),
      position: last ? { transactionId: String(last.transaction_id), position: String(last.global_position) } : after,
    };
  }

  /**
   * Drops a read model and rebuilds it from every event. Appends wait while it runs (SHARE lock),
   * so the rebuilt model is exactly the fold of the events.
   */
  async rebuild(projection: Projection, batchSize = 1_000): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`LOCK TABLE es_events IN SHARE MODE`);
      await projection.reset(manager);
      let applied = 0;
      let lastPosition = '0';
      for (;;) {
        const rows = (await manager.query(
          `SELECT * FROM es_events WHERE global_position > $1 ORDER BY global_position LIMIT $2`,
          [lastPosition, batchSize],
        )) as EventRow[];
        if (rows.length === 0) return applied;
        for (const row of rows) {
          if (projection.handles(row.event_type)) {
            await projection.apply(rowToEnvelope(row), manager);
            applied += 1;
          }
        }
        lastPosition = rows[rows.length - 1].global_position;
      }
    });
  }
}
