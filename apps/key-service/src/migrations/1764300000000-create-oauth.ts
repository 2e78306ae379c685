import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OAuth 2.1 for the MCP endpoint (PRODUCT.md §14). Clients and grants are also recorded as events
 * (`oauth.client_registered`, `oauth.grant_created`, `oauth.grant_revoked`); like the sessions table,
 * the code and token tables hold only SHA-256 hashes, which no event carries.
 */
export class CreateOAuth1764300000000 implements MigrationInterface {
  name = 'CreateOAuth1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE oauth_clients (
        client_id uuid PRIMARY KEY,
        client_name text NOT NULL,
        redirect_uris jsonb NOT NULL,
        client_uri text,
        created_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE oauth_grants (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        client_id uuid NOT NULL REFERENCES oauth_clients (client_id),
        scopes text[] NOT NULL,
        resource text NOT NULL,
        created_at timestamptz NOT NULL,
        last_used_at timestamptz,
        revoked_at timestamptz,
        revoked_reason text
      )`);
    await queryRunner.query(`CREATE INDEX oauth_grants_by_account ON oauth_grants (account_id, created_at DESC)`);
    // One row per authorization code; used_at marks a code already exchanged (a second use revokes its grant).
    await queryRunner.query(`
      CREATE TABLE oauth_codes (
        code_hash text PRIMARY KEY,
        client_id uuid NOT NULL,
        account_id uuid NOT NULL,
        redirect_uri text NOT NULL,
        redirect_uri_given boolean NOT NULL,
        code_challenge text NOT NULL,
        scopes text[] NOT NULL,
        resource text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        grant_id uuid
      )`);
    await queryRunner.query(`CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at)`);
    await queryRunner.query(`
      CREATE TABLE oauth_access_tokens (
        token_hash text PRIMARY KEY,
        grant_id uuid NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
        scopes text[] NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX oauth_access_tokens_grant ON oauth_access_tokens (grant_id)`);
    await queryRunner.query(`CREATE INDEX oauth_access_tokens_expiry ON oauth_access_tokens (expires_at)`);
    // Refresh tokens rotate: a used one is kept (used_at) so that presenting it again is seen as theft.
    await queryRunner.query(`
      CREATE TABLE oauth_refresh_tokens (
        token_hash text PRIMARY KEY,
        grant_id uuid NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
        scopes text[] NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        used_from_ip text
      )`);
    await queryRunner.query(`CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id)`);
    await queryRunner.query(`CREATE INDEX oauth_refresh_tokens_expiry ON oauth_refresh_tokens (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP TABLE oauth_refresh_tokens, oauth_access_tokens, oauth_codes, oauth_grants, oauth_clients`,
    );
  }
}
