import type { EntityManager } from 'typeorm';
import { type EventEnvelope, normalizedEmail } from '#contracts';
import type { Projection } from '#event-store';
import type { AccountEvent } from './domain/account';

/** `accounts`: one row per account, folded from account.* events. */
export class AccountsProjection implements Projection {
  readonly name = 'accounts';

  handles(eventType: string): boolean {
    return eventType.startsWith('account.');
  }

  async apply(envelope: EventEnvelope, manager: EntityManager): Promise<void> {
    const event = { type: envelope.type, data: envelope.data } as AccountEvent;
    const accountId = envelope.stream.slice('account-'.length);
    const at = envelope.occurred_at;
    switch (event.type) {
      case 'account.created': {
        // An account that compares equal to an older one since emails are compared in NFKC keeps the form it
        // was left with (account_email_exceptions), so that a rebuild gives the rows as they are.
        const [exception] = (await manager.query(
          `SELECT email_normalized FROM account_email_exceptions WHERE account_id = $1`,
          [accountId],
        )) as { email_normalized: string }[];
        await manager.query(
          `INSERT INTO accounts (id, email, email_normalized, name, tier, status, created_at, updated_at, version)
           VALUES ($1, $2, $3, $4, $5, 'active', $6, $6, $7)`,
          [
            accountId,
            event.data.email,
            exception?.email_normalized ?? normalizedEmail(event.data.email),
            event.data.name,
            event.data.tier,
            at,
            envelope.version,
          ],
        );
        return;
      }
      case 'account.tier_changed':
        await manager.query(
          `UPDATE accounts SET tier = $2, rate_limit_per_hour = $3, updated_at = $4, version = $5 WHERE id = $1`,
          [accountId, event.data.tier, event.data.rate_limit_per_hour, at, envelope.version],
        );
        return;
      case 'account.suspended':
      case 'account.reactivated':
        await manager.query(`UPDATE accounts SET status = $2, updated_at = $3, version = $4 WHERE id = $1`, [
          accountId,
          event.type === 'account.suspended' ? 'suspended' : 'active',
          at,
          envelope.version,
        ]);
        return;
    }
  }

  async reset(manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM accounts`);
  }
}
