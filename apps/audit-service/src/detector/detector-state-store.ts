import type { DataSource, EntityManager } from 'typeorm';
import { type DetectorChanges, type DetectorState, type FailureWindows, type KeyState, emptyState } from './detector';

/**
 * Where the detector's state lives between batches and restarts: a row per key (`detector_key_state`)
 * and one row for the failure windows (`detector_state`). Saving writes what a batch changed, so its
 * cost follows the batch, not the number of keys.
 */
export class DetectorStateStore {
  constructor(private readonly dataSource: DataSource) {}

  /** The state as last committed (both tables read in one snapshot). */
  async load(): Promise<DetectorState> {
    const { row, keys } = await this.dataSource.transaction('REPEATABLE READ', async (manager) => ({
      row: (
        (await manager.query(`SELECT state FROM detector_state WHERE id = 1`)) as {
          state: Partial<FailureWindows>;
        }[]
      )[0],
      keys: (await manager.query(`SELECT key_id, state FROM detector_key_state`)) as {
        key_id: string;
        state: KeyState;
      }[],
    }));
    const state = emptyState();
    Object.assign(state.failuresByIp, row?.state.failuresByIp);
    Object.assign(state.failuresByPrefix, row?.state.failuresByPrefix);
    Object.assign(state.burstIps, row?.state.burstIps);
    for (const key of keys) state.keys[key.key_id] = key.state;
    return state;
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
    if (changes.windows) {
      await manager.query(
        `INSERT INTO detector_state (id, state) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
        [JSON.stringify(changes.windows)],
      );
    }
  }
}
