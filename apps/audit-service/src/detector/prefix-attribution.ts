import type { EventEnvelope } from '#contracts';
import { KEY_BIRTHS } from '../audit-log/key-prefix-owners';

/** The key prefix of a failure the gateway could not tie to an account (an unknown key), if it shows one. */
export function unattributedPrefix(event: EventEnvelope): string | undefined {
  const prefix = (event.data as { key_prefix?: unknown }).key_prefix;
  return event.type === 'auth.failed' && !event.meta.account_id && typeof prefix === 'string' ? prefix : undefined;
}

/**
 * A failure showing only a key prefix belongs to the one account with a key of that prefix (PRODUCT.md
 * §9.2): its bursts are that account's alerts, not the operators'. `ownerOf` answers the account of a
 * prefix only one account has. Pure: the live detector asks the audit log's prefix table, a replay the
 * key births in its own input, so the same events and keys give the same alerts.
 */
export function attributeByPrefix(
  events: EventEnvelope[],
  ownerOf: (prefix: string) => string | undefined,
): EventEnvelope[] {
  return events.map((event) => {
    const prefix = unattributedPrefix(event);
    const owner = prefix === undefined ? undefined : ownerOf(prefix);
    return owner ? { ...event, meta: { ...event.meta, account_id: owner } } : event;
  });
}

/** Prefix owners learned from key births (key.created, key.legacy_imported), as a replay sees them. */
export class PrefixOwners {
  private readonly accounts = new Map<string, Set<string>>();

  learn(event: EventEnvelope): void {
    const prefix = (event.data as { key_prefix?: unknown }).key_prefix;
    if (!KEY_BIRTHS.has(event.type) || typeof prefix !== 'string' || !event.meta.account_id) return;
    const owners = this.accounts.get(prefix) ?? new Set<string>();
    owners.add(event.meta.account_id);
    this.accounts.set(prefix, owners);
  }

  ownerOf(prefix: string): string | undefined {
    const owners = this.accounts.get(prefix);
    return owners?.size === 1 ? [...owners][0] : undefined;
  }
}
