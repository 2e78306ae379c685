import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createMigratedDataSource } from '../../../../test/support/test-database';
import { AuditServiceMigrations } from '.';
import { WebhookSecretsFilled1764400000000 } from './1764400000000-webhook-secrets-filled';

describe('migration: a signing secret for every webhook (PostgreSQL)', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ dataSource, close } = await createMigratedDataSource('webhook_secrets', AuditServiceMigrations));
  });
  afterAll(async () => close());

  /** Settings as the release before webhook secrets stored them. */
  async function settings(webhookUrl: string | null, secret: string | null): Promise<string> {
    const accountId = randomUUID();
    await dataSource.query(
      `INSERT INTO security_settings (account_id, timezone, working_hours, webhook_url, auto_revoke_on, webhook_secret)
       VALUES ($1, 'UTC', NULL, $2, '{}', $3)`,
      [accountId, webhookUrl, secret],
    );
    return accountId;
  }
  const secretOf = async (accountId: string) =>
    (
      (await dataSource.query(`SELECT webhook_secret FROM security_settings WHERE account_id = $1`, [accountId])) as {
        webhook_secret: string | null;
      }[]
    )[0].webhook_secret;

  it('gives a webhook without a secret its own, and changes nothing else', async () => {
    const unsigned = await settings('https://hooks.example.com/a', null);
    const otherUnsigned = await settings('https://hooks.example.com/b', null);
    const signed = await settings('https://hooks.example.com/c', 'ab'.repeat(32));
    const noWebhook = await settings(null, null);
    const runner = dataSource.createQueryRunner();
    try {
      await new WebhookSecretsFilled1764400000000().up(runner);
    } finally {
      await runner.release();
    }

    expect(await secretOf(unsigned)).toMatch(/^[0-9a-f]{64}$/);
    expect(await secretOf(otherUnsigned)).toMatch(/^[0-9a-f]{64}$/);
    expect(await secretOf(otherUnsigned)).not.toBe(await secretOf(unsigned));
    expect(await secretOf(signed)).toBe('ab'.repeat(32));
    expect(await secretOf(noWebhook)).toBeNull();
  });
});
