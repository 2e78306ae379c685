import type { MigrationInterface, QueryRunner } from 'typeorm';

const BUCKETS = `ARRAY['failuresByIp', 'failuresByPrefix', 'burstIps']`;

/**
 * The detector's state gets a row per key and a row per failure-window entry: a batch of events writes
 * what it touched instead of one document holding all of it (which grew with the number of keys and of
 * failing addresses, and was rewritten after every batch). The old document's content moves over.
 */
export class DetectorStateRows1764210000000 implements MigrationInterface {
  name = 'DetectorStateRows1764210000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE detector_key_state (
        key_id text PRIMARY KEY,
        state jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE detector_windows (
        bucket text NOT NULL,
        name text NOT NULL,
        value jsonb NOT NULL,
        PRIMARY KEY (bucket, name)
      )`);
    await queryRunner.query(`
      INSERT INTO detector_key_state (key_id, state)
      SELECT entry.key, entry.value FROM detector_state, jsonb_each(coalesce(detector_state.state->'keys', '{}')) AS entry`);
    await queryRunner.query(`
      INSERT INTO detector_windows (bucket, name, value)
      SELECT b.bucket, entry.key, entry.value
        FROM detector_state, unnest(${BUCKETS}) AS b(bucket),
             jsonb_each(coalesce(detector_state.state->b.bucket, '{}')) AS entry`);
    await queryRunner.query(`DROP TABLE detector_state`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE detector_state (id integer PRIMARY KEY CHECK (id = 1), state jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    await queryRunner.query(`
      INSERT INTO detector_state (id, state)
      SELECT 1, jsonb_build_object('keys', coalesce((SELECT jsonb_object_agg(key_id, state) FROM detector_key_state), '{}'))
             || (SELECT jsonb_object_agg(b.bucket, coalesce(
                   (SELECT jsonb_object_agg(w.name, w.value) FROM detector_windows w WHERE w.bucket = b.bucket), '{}'))
                   FROM unnest(${BUCKETS}) AS b(bucket))`);
    await queryRunner.query(`DROP TABLE detector_windows, detector_key_state`);
  }
}
