import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who approved a CLI login in the browser (the dashboard session, its request id, address and User-Agent), kept
 * until the CLI trades the code and then recorded in the key's `key.created` as `approved_by`. Approvals waiting
 * at the upgrade have none and expire within two minutes.
 */
export class RecordCliLoginApprovals1764330000000 implements MigrationInterface {
  name = 'RecordCliLoginApprovals1764330000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE cli_logins ADD COLUMN approved_by jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE cli_logins DROP COLUMN approved_by`);
  }
}
