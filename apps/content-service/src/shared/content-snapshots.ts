import type { EntityManager } from 'typeorm';
import { type ContentState, type Fields, type RecordedContentEvent, evolve } from './content-resource';

/**
 * A resource's state is kept at every SNAPSHOT_INTERVAL-th version (content_snapshots), so that a read folds at
 * most this many events. Snapshots are a cache of the events' fold: any may be deleted, and the next read that
 * folds past its version writes it again.
 */
export const SNAPSHOT_INTERVAL = 25;

/** The latest snapshot of the stream, or the latest at or before version `upTo`; null when there is none. */
export async function nearestSnapshot<F extends Fields>(
  manager: EntityManager,
  stream: string,
  upTo?: number,
): Promise<ContentState<F> | null> {
  if (upTo !== undefined && upTo < SNAPSHOT_INTERVAL) return null;
  const [row] = (await manager.query(
    `SELECT state FROM content_snapshots
      WHERE stream_id = $1 AND ($2::int IS NULL OR stream_version <= $2)
      ORDER BY stream_version DESC LIMIT 1`,
    [stream, upTo ?? null],
  )) as { state: ContentState<F> }[];
  return row?.state ?? null;
}

/**
 * Folds the events onto `start` and keeps the state at each SNAPSHOT_INTERVAL-th version passed on the way (a
 * history written before snapshots, or by writers that never read it whole, gets them on its first read). Events
 * never change, so a snapshot written twice is the same row: the second is skipped.
 */
export async function foldKeepingSnapshots<F extends Fields>(
  manager: EntityManager,
  stream: string,
  events: RecordedContentEvent<F>[],
  start: ContentState<F> | null,
  /** Sees the state after each event, on the same pass (a page of versions is read from it). */
  visit?: (state: ContentState<F>, recorded: RecordedContentEvent<F>) => void,
): Promise<ContentState<F> | null> {
  let state = start;
  for (const recorded of events) {
    state = evolve(state, recorded);
    visit?.(state, recorded);
    if (state.version % SNAPSHOT_INTERVAL === 0)
      await manager.query(
        `INSERT INTO content_snapshots (stream_id, stream_version, state) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING`,
        [stream, state.version, state],
      );
  }
  return state;
}
