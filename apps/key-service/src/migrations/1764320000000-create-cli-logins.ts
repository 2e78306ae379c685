import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `vibexp auth login --web`: an approval the signed-in user gave in the browser, waiting (a minute or two) for
 * the CLI to fetch its key. Like the OAuth codes, only the one-time code's hash is kept; the key is made, and
 * recorded as `key.created`, when the CLI exchanges the code. A CLI's challenge is approved once: a second
 * approval of it (another account answering the same waiting CLI first) fails, visibly, for the user.
 */
export class CreateCliLogins1764320000000 implements MigrationInterface {
  name = 'CreateCliLogins1764320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE cli_logins (
        code_hash text PRIMARY KEY,
        account_id uuid NOT NULL,
        name text NOT NULL,
        integrations text[] NOT NULL,
        key_expires_at timestamptz,
        code_challenge text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX cli_logins_expiry ON cli_logins (expires_at)`);
    await queryRunner.query(`CREATE INDEX cli_logins_account ON cli_logins (account_id, created_at DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE cli_logins`);
  }
}
