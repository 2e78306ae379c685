import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * key-service's tables. `accounts` and `api_keys` are projections of the events (rebuildable).
 * `account_credentials`, `api_key_hashes` and `sessions` hold what must never travel in an event
 * (password hashes, key hashes, session token hashes); they are written in the same transaction as
 * the event that introduces them.
 */
export class CreateKeysSchema1764150000000 implements MigrationInterface {
  name = 'CreateKeysSchema1764150000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        email_normalized text NOT NULL UNIQUE,
        name text NOT NULL,
        tier text NOT NULL,
        rate_limit_per_hour integer,
        status text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        version integer NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE account_credentials (
        account_id uuid PRIMARY KEY,
        password_hash text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        token_hash text NOT NULL UNIQUE,
        csrf_token_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        ended_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX sessions_account ON sessions (account_id)`);
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        name text NOT NULL,
        key_prefix text NOT NULL,
        integrations text[] NOT NULL,
        is_legacy boolean NOT NULL,
        migration_notes text,
        status text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        expires_at timestamptz,
        revoked_at timestamptz,
        revoked_reason text,
        replaced_by uuid,
        replaces uuid,
        revoke_at timestamptz,
        last_used_at timestamptz,
        request_count bigint NOT NULL DEFAULT 0,
        last_used_ip text,
        last_used_location jsonb,
        last_tool_type text,
        version integer NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX api_keys_account_created ON api_keys (account_id, status, created_at DESC)`);
    await queryRunner.query(
      `CREATE INDEX api_keys_due_revocation ON api_keys (revoke_at) WHERE status = 'active' AND revoke_at IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX api_keys_due_expiry ON api_keys (expires_at) WHERE status = 'active' AND expires_at IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE api_key_hashes (
        key_hash text PRIMARY KEY CHECK (key_hash ~ '^[0-9a-f]{64}$'),
        key_id uuid NOT NULL UNIQUE
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_key_hashes, api_keys, sessions, account_credentials, accounts`);
  }
}
