import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event store every service keeps in its own database.
 *
 * `transaction_id` (xid8) is what makes the global order safe to follow: a reader only takes rows
 * whose transaction is older than the oldest transaction still running, so a transaction that began
 * earlier but commits later is waited for instead of being passed over.
 */
export class CreateEventStore1764140000000 implements MigrationInterface {
  name = 'CreateEventStore1764140000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE es_events (
        global_position bigserial PRIMARY KEY,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        event_id uuid NOT NULL UNIQUE,
        stream_id text NOT NULL,
        stream_version integer NOT NULL CHECK (stream_version > 0),
        event_type text NOT NULL,
        data jsonb NOT NULL,
        meta jsonb NOT NULL,
        occurred_at timestamptz NOT NULL,
        CONSTRAINT es_events_stream_version UNIQUE (stream_id, stream_version)
      )`);
    await queryRunner.query(`CREATE INDEX es_events_commit_order ON es_events (transaction_id, global_position)`);
    await queryRunner.query(`
      CREATE TABLE es_outbox (
        global_position bigint PRIMARY KEY REFERENCES es_events (global_position),
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        subject text NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX es_outbox_commit_order ON es_outbox (transaction_id, global_position)`);
    await queryRunner.query(`
      CREATE TABLE es_consumer_inbox (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
    await queryRunner.query(`CREATE INDEX es_consumer_inbox_age ON es_consumer_inbox (processed_at)`);
    await queryRunner.query(`
      CREATE TABLE es_consumer_checkpoints (
        consumer text PRIMARY KEY,
        stream_sequence bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE es_consumer_checkpoints, es_consumer_inbox, es_outbox, es_events`);
  }
}
