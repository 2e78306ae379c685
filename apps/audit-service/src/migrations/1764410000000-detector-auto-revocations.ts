import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Auto-revocations key-service did not confirm when their alert opened, tried again until it does. */
export class DetectorAutoRevocations1764410000000 implements MigrationInterface {
  name = 'DetectorAutoRevocations1764410000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE detector_auto_revocations (
        alert_id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        target jsonb NOT NULL,
        request_id text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX detector_auto_revocations_due ON detector_auto_revocations (next_attempt_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE detector_auto_revocations`);
  }
}
