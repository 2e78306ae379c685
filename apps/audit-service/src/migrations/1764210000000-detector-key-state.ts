import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The detector's per-key state gets a row per key: a batch of events writes the keys it touched
 * instead of one document holding every key's state (which grew with the number of keys and was
 * rewritten after every batch). `detector_state` keeps the short failure windows.
 */
export class DetectorKeyState1764210000000 implements MigrationInterface {
  name = 'DetectorKeyState1764210000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE detector_key_state (
        key_id text PRIMARY KEY,
        state jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      INSERT INTO detector_key_state (key_id, state)
      SELECT entry.key, entry.value FROM detector_state, jsonb_each(coalesce(detector_state.state->'keys', '{}')) AS entry`);
    await queryRunner.query(`UPDATE detector_state SET state = state - 'keys'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Since this migration, detector_state has a row only once failures were seen: make one if need be.
    await queryRunner.query(`
      INSERT INTO detector_state (id, state)
      VALUES (1, jsonb_build_object('keys', coalesce((SELECT jsonb_object_agg(key_id, state) FROM detector_key_state), '{}'::jsonb)))
      ON CONFLICT (id) DO UPDATE SET state = detector_state.state || EXCLUDED.state`);
    await queryRunner.query(`DROP TABLE detector_key_state`);
  }
}
