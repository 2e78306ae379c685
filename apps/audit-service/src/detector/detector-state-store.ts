import type { DataSource, EntityManager } from 'typeorm';
import { type DetectorChanges, type DetectorState, type KeyState, WINDOW_BUCKETS, emptyState, put } from './detector';

/**
 * Where the detector's state lives between batches and restarts: a row per key (`detector_key_state`)
 * and a row per failure-window entry, an IP or key prefix with its recent failures or an IP after a burst
 * (`detector_windows`). Saving writes what a batch changed, so its cost follows the batch, not the number
 * of keys or of addresses failing.
 */
export class DetectorStateStore {
  constructor(private readonly dataSource: DataSource) {}

  /** The whole state as last committed, every key included (both tables read in one snapshot): for tools and tests. */
  async load(): Promise<DetectorState> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const state = await this.loadWindows(manager);
      const keys = (await manager.query(`SELECT key_id, state FROM detector_key_state`)) as {
        key_id: string;
        state: KeyState;
      }[];
      for (const key of keys) put(state.keys, key.key_id, key.state);
      return state;
    });
  }

  /**
   * The failure windows, without any key: the detector's leader starts from these and reads a key's row
   * when an event first needs it (`loadKeys`), so taking the lead costs the same however many keys exist.
   */
  async loadWindows(manager: EntityManager): Promise<DetectorState> {
    const windows = (await manager.query(`SELECT bucket, name, value FROM detector_windows`)) as {
      bucket: string;
      name: string;
      value: never;
    }[];
    const state = emptyState();
    for (const { bucket, name, value } of windows)
      if ((WINDOW_BUCKETS as readonly string[]).includes(bucket))
        put(state[bucket as keyof DetectorState], name, value);
    return state;
  }

  /** The stored state of these keys (those that have one), in the caller's transaction. */
  async loadKeys(keyIds: readonly string[], manager: EntityManager): Promise<[string, KeyState][]> {
    if (keyIds.length === 0) return [];
    const rows = (await manager.query(`SELECT key_id, state FROM detector_key_state WHERE key_id = ANY($1::text[])`, [
      keyIds,
    ])) as { key_id: string; state: KeyState }[];
    return rows.map((row) => [row.key_id, row.state]);
  }

  /**
   * Deletes the rows of keys retired (revoked or expired) before `before` (event time, ms), as the
   * detector's own sweep does for the keys it holds: the others are not in its memory.
   */
  async sweepRetired(before: number, manager: EntityManager): Promise<void> {
    await manager.query(
      `DELETE FROM detector_key_state WHERE state ? 'retiredAt' AND (state->>'retiredAt')::float8 < $1`,
      [before],
    );
  }

  /** Writes the changes in the caller's transaction. */
  async save(changes: DetectorChanges, manager: EntityManager): Promise<void> {
    if (changes.keys.length > 0) {
      await manager.query(
        `INSERT INTO detector_key_state (key_id, state)
         SELECT entry.key, entry.value FROM jsonb_each($1::jsonb) AS entry
         ON CONFLICT (key_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
        [JSON.stringify(Object.fromEntries(changes.keys))],
      );
    }
    if (changes.removedKeys.length > 0) {
      await manager.query(`DELETE FROM detector_key_state WHERE key_id = ANY($1::text[])`, [changes.removedKeys]);
    }
    const kept = changes.windows.filter((entry) => entry.value !== null);
    const gone = changes.windows.filter((entry) => entry.value === null);
    if (kept.length > 0) {
      await manager.query(
        `INSERT INTO detector_windows (bucket, name, value)
         SELECT bucket, name, value FROM jsonb_to_recordset($1::jsonb) AS w(bucket text, name text, value jsonb)
         ON CONFLICT (bucket, name) DO UPDATE SET value = EXCLUDED.value`,
        [JSON.stringify(kept)],
      );
    }
    if (gone.length > 0) {
      await manager.query(
        `DELETE FROM detector_windows WHERE (bucket, name) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
        [gone.map((entry) => entry.bucket), gone.map((entry) => entry.name)],
      );
    }
  }
}
