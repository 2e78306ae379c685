import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createMigratedDataSource } from '../../../../test/support/test-database';
import { KeyServiceMigrations } from '.';
import { EmailsInNfkc1764350000000 } from './1764350000000-emails-in-nfkc';
import { recordEmailExceptions } from './1764390000000-account-email-exceptions';
import { AccountsProjection } from '../accounts/accounts.projection';

describe('migration: emails compared in NFKC (PostgreSQL)', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ dataSource, close } = await createMigratedDataSource('emails_nfkc', KeyServiceMigrations));
  });
  afterAll(async () => close());

  /** An account as an older release stored it: compared in lower case only. */
  async function oldAccount(email: string, createdAt: string): Promise<string> {
    const id = randomUUID();
    await dataSource.query(
      `INSERT INTO accounts (id, email, email_normalized, name, tier, status, created_at, updated_at, version)
       VALUES ($1, $2, $3, 'n', 'free', 'active', $4, $4, 1)`,
      [id, email, email.trim().toLowerCase(), createdAt],
    );
    return id;
  }

  const compareForms = async (ids: string[]) =>
    (
      (await dataSource.query(`SELECT id, email_normalized FROM accounts WHERE id = ANY($1::uuid[])`, [ids])) as {
        id: string;
        email_normalized: string;
      }[]
    ).reduce<Record<string, string>>((forms, row) => ({ ...forms, [row.id]: row.email_normalized }), {});

  it('recomputes the forms that NFKC changes; of two accounts that now compare equal, one keeps the address', async () => {
    const ligature = await oldAccount('Oﬃce@Example.com', '2026-01-01T00:00:00Z');
    const plain = await oldAccount('Ada@example.com', '2026-01-02T00:00:00Z');
    // The plain address already holds the new form of the full-width one.
    const fullWidth = await oldAccount('ｊｏｈｎ@example.com', '2026-01-03T00:00:00Z');
    const plainTwin = await oldAccount('john@example.com', '2026-01-04T00:00:00Z');
    // Neither holds it: the older of the two gets it.
    const older = await oldAccount('ｍａｒｙ@example.com', '2026-01-05T00:00:00Z');
    const newer = await oldAccount('mary@ｅｘａｍｐｌｅ.com', '2026-01-06T00:00:00Z');
    const runner = dataSource.createQueryRunner();
    try {
      await new EmailsInNfkc1764350000000().up(runner);
    } finally {
      await runner.release();
    }
    expect(await compareForms([ligature, plain, fullWidth, plainTwin, older, newer])).toEqual({
      [ligature]: 'office@example.com',
      [plain]: 'ada@example.com',
      [fullWidth]: 'ｊｏｈｎ@example.com',
      [plainTwin]: 'john@example.com',
      [older]: 'mary@example.com',
      [newer]: 'mary@ｅｘａｍｐｌｅ.com',
    });
  });

  it('lets the accounts projection rebuild those accounts with the forms they were left with', async () => {
    const fullWidth = await oldAccount('ｓａｍ@example.com', '2026-02-01T00:00:00Z');
    const plainTwin = await oldAccount('sam@example.com', '2026-02-02T00:00:00Z');
    const runner = dataSource.createQueryRunner();
    try {
      await new EmailsInNfkc1764350000000().up(runner);
      await recordEmailExceptions(runner);
    } finally {
      await runner.release();
    }
    const before = await compareForms([fullWidth, plainTwin]);
    expect(before).toEqual({ [fullWidth]: 'ｓａｍ@example.com', [plainTwin]: 'sam@example.com' });

    // The rows go, and come back from their creation events, oldest first, as a rebuild folds them.
    await dataSource.query(`DELETE FROM accounts WHERE id = ANY($1::uuid[])`, [[fullWidth, plainTwin]]);
    const projection = new AccountsProjection();
    for (const [id, email] of [
      [fullWidth, 'ｓａｍ@example.com'],
      [plainTwin, 'sam@example.com'],
    ])
      await projection.apply(
        {
          id: randomUUID(),
          type: 'account.created',
          stream: `account-${id}`,
          version: 1,
          occurred_at: '2026-02-03T00:00:00.000Z',
          data: { email, name: 'n', tier: 'free' },
          meta: { request_id: 'rebuild', account_id: id },
        },
        dataSource.manager,
      );

    expect(await compareForms([fullWidth, plainTwin])).toEqual(before);
  });
});
