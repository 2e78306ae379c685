import type { MigrationInterface, QueryRunner } from 'typeorm';
import { normalizedEmail } from '#contracts';

/**
 * Emails are now compared in NFKC and lower case (`normalizedEmail`); rows written before were compared in lower
 * case only. An account whose address changes under NFKC (full-width letters typed by an input method, `µ`, `ﬃ`)
 * would otherwise never be found by login, the admin lookup or a legacy import again. Computed here in JS, as the
 * service computes it (PostgreSQL's lower() is not JavaScript's).
 *
 * Two old accounts can now compare equal (`ｊｏｈｎ@…` and `john@…`). The one that already holds the new form keeps
 * it (`john@…`); otherwise the older one gets it. The other keeps its old comparison form, so it can no longer
 * sign in by email until an operator changes its address; each such account is logged.
 */
export class EmailsInNfkc1764350000000 implements MigrationInterface {
  name = 'EmailsInNfkc1764350000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await recompute(queryRunner, normalizedEmail);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await recompute(queryRunner, (email) => email.trim().toLowerCase());
  }
}

async function recompute(queryRunner: QueryRunner, compareForm: (email: string) => string): Promise<void> {
  const rows = (await queryRunner.query(
    `SELECT id, email, email_normalized FROM accounts ORDER BY created_at, id`,
  )) as { id: string; email: string; email_normalized: string }[];
  const holder = new Map(rows.map((row) => [row.email_normalized, row.id]));
  for (const row of rows) {
    const wanted = compareForm(row.email);
    if (wanted === row.email_normalized) continue;
    const other = holder.get(wanted);
    if (other !== undefined && other !== row.id) {
      process.stderr.write(
        `${JSON.stringify({ level: 'warn', msg: 'account email now compares equal to another account: left as it was', account_id: row.id, other_account_id: other })}\n`,
      );
      continue;
    }
    await queryRunner.query(`UPDATE accounts SET email_normalized = $2 WHERE id = $1`, [row.id, wanted]);
    holder.delete(row.email_normalized);
    holder.set(wanted, row.id);
  }
}
