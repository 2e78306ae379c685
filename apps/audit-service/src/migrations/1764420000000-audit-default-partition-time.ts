import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The default partition's rows by time: its expired rows are deleted batch by batch in `occurred_at` order, which
 * without this index scanned and sorted the whole partition for every batch (its other indexes begin with the
 * account or the event id).
 */
export class AuditDefaultPartitionTime1764420000000 implements MigrationInterface {
  name = 'AuditDefaultPartitionTime1764420000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS audit_log_default_occurred_at ON audit_log_default (occurred_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS audit_log_default_occurred_at`);
  }
}
