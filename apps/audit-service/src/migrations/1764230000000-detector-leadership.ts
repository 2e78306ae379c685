import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One audit-service replica runs the detector at a time (DetectorLeadership):
 * - `detector_leadership` holds the fencing generation, raised by each new leader; every detector
 *   transaction checks it, so a replica that lost the lead without noticing yet commits nothing;
 * - `detector_lessons` holds what resolutions as legitimate teach the detector, written by whichever
 *   replica took the resolution and applied by the leader before its next batch;
 * - the leader picks up security settings changed on other replicas by `updated_at`.
 */
export class DetectorLeadership1764230000000 implements MigrationInterface {
  name = 'DetectorLeadership1764230000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE detector_leadership (
        id smallint PRIMARY KEY CHECK (id = 1),
        generation bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`INSERT INTO detector_leadership (id, generation) VALUES (1, 0)`);
    await queryRunner.query(`
      CREATE TABLE detector_lessons (
        alert_id uuid PRIMARY KEY,
        rule text NOT NULL,
        key_id text,
        evidence jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX security_settings_updated_at ON security_settings (updated_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX security_settings_updated_at`);
    await queryRunner.query(`DROP TABLE detector_lessons, detector_leadership`);
  }
}
