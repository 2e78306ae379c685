import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log, ready for volume: partitioned by month of `occurred_at` (retention drops whole
 * partitions), with the fields the filters need as columns. The primary key includes the partition
 * key; an event's id and time never change, so it still stores each event once.
 * `seq` records the ingest order (for operators and replays); the API pages by (occurred_at, event_id).
 * Monthly partitions are created ahead and dropped after the retention by the audit-log maintenance;
 * the default partition catches anything outside them (an old event replayed).
 */
export class CreateAuditLog1764140100000 implements MigrationInterface {
  name = 'CreateAuditLog1764140100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE audit_log_seq`);
    await queryRunner.query(`
      CREATE TABLE audit_log (
        seq bigint NOT NULL DEFAULT nextval('audit_log_seq'),
        event_id uuid NOT NULL,
        occurred_at timestamptz NOT NULL,
        event_type text NOT NULL,
        stream text NOT NULL,
        stream_version integer NOT NULL,
        account_id uuid,
        key_id uuid,
        key_prefix text,
        request_id text NOT NULL,
        outcome text NOT NULL,
        action text NOT NULL,
        ip text,
        location jsonb,
        tool_type text,
        data jsonb NOT NULL,
        meta jsonb NOT NULL,
        source_stream text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (event_id, occurred_at)
      ) PARTITION BY RANGE (occurred_at)`);
    await queryRunner.query(`CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT`);
    await queryRunner.query(
      `CREATE INDEX audit_log_account_time ON audit_log (account_id, occurred_at DESC, event_id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX audit_log_account_key_time ON audit_log (account_id, key_id, occurred_at DESC, event_id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX audit_log_account_type_time ON audit_log (account_id, event_type, occurred_at DESC, event_id DESC)`,
    );
    // Display prefixes of every key (from key.created / key.legacy_imported): a failure that shows only a
    // prefix is tied to the account whose key has it (PRODUCT.md §9.2), when exactly one account does.
    await queryRunner.query(`
      CREATE TABLE audit_key_prefixes (
        key_prefix text NOT NULL,
        key_id uuid NOT NULL,
        account_id uuid NOT NULL,
        PRIMARY KEY (key_prefix, key_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_key_prefixes, audit_log`);
    await queryRunner.query(`DROP SEQUENCE audit_log_seq`);
  }
}
