import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor, ContentKind, EventMeta } from '#contracts';
import { EventStore, type ExpectedVersion } from '#event-store';
import { ARTIFACTS_TABLE } from '../artifacts/artifact.kind';
import { HookSessionsProjection } from '../hooks/hook-sessions.projection';
import { MEMORIES_TABLE } from '../memories/memory.kind';
import { PROMPTS_TABLE } from '../prompts/prompt.kind';
import { ContentChangeNotifier } from './content-change.notifier';
import { ContentProjection } from './content-projection';
import {
  type ContentEvent,
  type ContentState,
  type ContentVersion,
  type Fields,
  type RecordedContentEvent,
  contentStream,
  versionAfter,
} from './content-resource';
import { foldKeepingSnapshots, nearestSnapshot } from './content-snapshots';

export const CLOCK = Symbol('CLOCK');

/** A version's `actor`: the API key, else the OAuth app (MCP), else the dashboard session that made it. */
function actorOf(meta: EventMeta): Actor {
  if (meta.key_id) return { type: 'api_key', key_id: meta.key_id };
  if (meta.client_id) return { type: 'oauth_app', client_id: meta.client_id };
  return { type: 'session' };
}
export type Clock = () => Date;

/** content-service's event store with the read models as inline projections: the three content kinds, and hook sessions. */
@Injectable()
export class ContentStore {
  readonly events: EventStore;
  readonly projections = {
    prompt: new ContentProjection(PROMPTS_TABLE),
    artifact: new ContentProjection(ARTIFACTS_TABLE),
    memory: new ContentProjection(MEMORIES_TABLE),
  } satisfies Record<ContentKind, ContentProjection>;
  readonly hookSessions = new HookSessionsProjection();

  constructor(
    readonly dataSource: DataSource,
    @Inject(CLOCK) readonly clock: Clock,
    /** Absent where no gateway listens (a projection rebuild). */
    @Optional() private readonly changes?: ContentChangeNotifier,
  ) {
    this.events = new EventStore(dataSource, {
      projections: [...Object.values(this.projections), this.hookSessions],
      clock,
    });
  }

  /**
   * The resource's state (null when it never existed), or with `upTo` its state after that event: folded from the
   * nearest snapshot at or before it (content_snapshots), so never more than SNAPSHOT_INTERVAL events.
   */
  async state<F extends Fields>(
    kind: ContentKind,
    id: string,
    options: { upTo?: number; manager?: EntityManager } = {},
  ): Promise<ContentState<F> | null> {
    const manager = options.manager ?? this.dataSource.manager;
    const stream = contentStream(kind, id);
    const start = await nearestSnapshot<F>(manager, stream, options.upTo);
    const events = await this.recorded<F>(manager, stream, start?.version ?? 0, options.upTo);
    return foldKeepingSnapshots(manager, stream, events, start);
  }

  /**
   * A page of the resource's versions (every state but a delete), oldest first or newest first, and how many
   * there are in all. Only the events from the snapshot before the page to its last version are read.
   */
  async versions<F extends Fields>(
    kind: ContentKind,
    id: string,
    page: { offset: number; limit: number; newestFirst: boolean },
  ): Promise<{ versions: ContentVersion<F>[]; total: number }> {
    // One snapshot of the stream for the count, the page and its events: a write landing between them would
    // otherwise make `total_count` disagree with the page.
    return this.dataSource.transaction('REPEATABLE READ', (manager) => this.versionsWithin<F>(manager, kind, id, page));
  }

  private async versionsWithin<F extends Fields>(
    manager: EntityManager,
    kind: ContentKind,
    id: string,
    page: { offset: number; limit: number; newestFirst: boolean },
  ): Promise<{ versions: ContentVersion<F>[]; total: number }> {
    const stream = contentStream(kind, id);
    const deleted = `${kind}.deleted`;
    const [{ total }] = (await manager.query(
      `SELECT count(*)::int AS total FROM es_events WHERE stream_id = $1 AND event_type <> $2`,
      [stream, deleted],
    )) as { total: number }[];
    const listed = (
      (await manager.query(
        `SELECT stream_version FROM es_events WHERE stream_id = $1 AND event_type <> $2
          ORDER BY stream_version ${page.newestFirst ? 'DESC' : 'ASC'} LIMIT $3 OFFSET $4`,
        [stream, deleted, page.limit, page.offset],
      )) as { stream_version: number }[]
    ).map((row) => row.stream_version);
    if (listed.length === 0) return { versions: [], total };
    const first = Math.min(...listed);
    const last = Math.max(...listed);
    const start = await nearestSnapshot<F>(manager, stream, first - 1);
    const events = await this.recorded<F>(manager, stream, start?.version ?? 0, last);
    const versions: ContentVersion<F>[] = [];
    await foldKeepingSnapshots(manager, stream, events, start, (state, recorded) => {
      const version = state.version >= first ? versionAfter(state, recorded) : undefined;
      if (version) versions.push(version);
    });
    return { versions: page.newestFirst ? versions.reverse() : versions, total };
  }

  private async recorded<F extends Fields>(
    manager: EntityManager,
    stream: string,
    after: number,
    upTo: number | undefined,
  ): Promise<RecordedContentEvent<F>[]> {
    const events = await this.events.readStream(stream, manager, { after, upTo });
    return events.map((envelope) => ({
      event: { type: envelope.type, data: envelope.data } as ContentEvent<F>,
      occurredAt: envelope.occurred_at,
      actor: actorOf(envelope.meta),
    }));
  }

  async append<F extends Fields>(
    kind: ContentKind,
    id: string,
    events: ContentEvent<F>[],
    expectedVersion: ExpectedVersion,
    meta: EventMeta,
    manager?: EntityManager,
  ): Promise<void> {
    if (events.length === 0) return;
    await this.events.append(contentStream(kind, id), events, { expectedVersion, meta, manager });
    // Inside a caller's transaction the change is not committed yet: announcing it is then the caller's business.
    if (!manager) await this.announce(kind, id, events, expectedVersion);
  }

  /**
   * Appends, then reads with `read` in the same transaction: what the append left (its projection row), not what
   * a writer that committed right after made of it. The change is announced once committed.
   */
  async appendAndRead<F extends Fields, T>(
    kind: ContentKind,
    id: string,
    events: ContentEvent<F>[],
    expectedVersion: ExpectedVersion,
    meta: EventMeta,
    read: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    const result = await this.dataSource.transaction(async (manager) => {
      await this.append(kind, id, events, expectedVersion, meta, manager);
      return read(manager);
    });
    await this.announce(kind, id, events, expectedVersion);
    return result;
  }

  /** A committed change of a resource that existed before, which gateways may have cached: they drop their copy. */
  private async announce(
    kind: ContentKind,
    id: string,
    events: readonly unknown[],
    expectedVersion: ExpectedVersion,
  ): Promise<void> {
    if (events.length > 0 && expectedVersion !== 'no_stream') await this.changes?.changed({ kind, id });
  }
}
