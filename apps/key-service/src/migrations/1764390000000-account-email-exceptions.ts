import type { MigrationInterface, QueryRunner } from 'typeorm';
import { normalizedEmail } from '#contracts';

/**
 * The accounts that migration 1764350000000 left with their old comparison form (two addresses that compare equal
 * in NFKC: one keeps the address, the other its old form). The `accounts` projection reads this when it folds an
 * account's creation, so a rebuild from the events gives each the form it holds now instead of failing on the
 * unique comparison form.
 */
export class AccountEmailExceptions1764390000000 implements MigrationInterface {
  name = 'AccountEmailExceptions1764390000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE account_email_exceptions (
        account_id uuid PRIMARY KEY,
        email_normalized text NOT NULL
      )`);
    await recordEmailExceptions(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE account_email_exceptions`);
  }
}

/** Lists the accounts whose comparison form is not their address's NFKC form (left so by 1764350000000). */
export async function recordEmailExceptions(queryRunner: Pick<QueryRunner, 'query'>): Promise<void> {
  const rows = (await queryRunner.query(`SELECT id, email, email_normalized FROM accounts`)) as {
    id: string;
    email: string;
    email_normalized: string;
  }[];
  for (const row of rows)
    if (row.email_normalized !== normalizedEmail(row.email))
      await queryRunner.query(
        `INSERT INTO account_email_exceptions (account_id, email_normalized) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
        [row.id, row.email_normalized],
      );
}
