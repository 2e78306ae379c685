import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Every event of every stream, stored once (the event id is the key). */
export class CreateAuditEvents1764140100000 implements MigrationInterface {
  name = 'CreateAuditEvents1764140100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit_events (
        event_id uuid PRIMARY KEY,
        event_type text NOT NULL,
        stream text NOT NULL,
        stream_version integer NOT NULL,
        occurred_at timestamptz NOT NULL,
        account_id uuid,
        key_id uuid,
        request_id text NOT NULL,
        data jsonb NOT NULL,
        meta jsonb NOT NULL,
        source_stream text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX audit_events_account_time ON audit_events (account_id, occurred_at DESC, event_id DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_events`);
  }
}
