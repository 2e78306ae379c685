import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Security alerts, the detector's learned state, and each account's security settings. */
export class CreateAlerts1764190000000 implements MigrationInterface {
  name = 'CreateAlerts1764190000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE alerts (
        id uuid PRIMARY KEY,
        account_id uuid,
        rule text NOT NULL,
        severity text NOT NULL,
        status text NOT NULL,
        key_id uuid,
        key_prefix text,
        dedup_key text NOT NULL,
        summary text NOT NULL,
        evidence jsonb NOT NULL,
        count integer NOT NULL,
        first_seen timestamptz NOT NULL,
        last_seen timestamptz NOT NULL,
        resolution jsonb,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX alerts_account_seen ON alerts (account_id, last_seen DESC, id)`);
    await queryRunner.query(`CREATE INDEX alerts_dedup ON alerts (account_id, dedup_key, last_seen DESC)`);
    await queryRunner.query(
      `CREATE TABLE detector_state (id integer PRIMARY KEY CHECK (id = 1), state jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    await queryRunner.query(`
      CREATE TABLE security_settings (
        account_id uuid PRIMARY KEY,
        timezone text NOT NULL,
        working_hours jsonb,
        webhook_url text,
        auto_revoke_on text[] NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE security_settings, detector_state, alerts`);
  }
}
