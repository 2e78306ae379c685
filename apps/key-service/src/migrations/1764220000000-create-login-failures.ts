import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed logins per email and per IP within the throttle's window (LoginThrottle), shared by every
 * key-service instance. Operational state, not history: rows past the window are deleted.
 */
export class CreateLoginFailures1764220000000 implements MigrationInterface {
  name = 'CreateLoginFailures1764220000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE login_failures (
        subject text PRIMARY KEY,
        count integer NOT NULL,
        since timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX login_failures_since ON login_failures (since)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE login_failures`);
  }
}
