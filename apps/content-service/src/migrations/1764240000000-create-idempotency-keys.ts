import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `Idempotency-Key` of content creates: which resource a key made, and a hash of the request it came with,
 * for 24 hours. Written in the transaction that appends the create, so a key and its resource exist together.
 */
export class CreateIdempotencyKeys1764240000000 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1764240000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        account_id uuid NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        kind text NOT NULL,
        resource_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (account_id, key)
      )`);
    await queryRunner.query(`CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE idempotency_keys`);
  }
}
