import type { EntityManager } from 'typeorm';

/** The events that make a key, and so tell its display prefix and account. */
export const KEY_BIRTHS: ReadonlySet<string> = new Set(['key.created', 'key.legacy_imported']);

/**
 * The account each key display prefix belongs to, for the prefixes exactly one account has a key with
 * (PRODUCT.md §9.2: a failure showing only a prefix is tied to that account). From `audit_key_prefixes`,
 * which the audit ingest fills from key.created / key.legacy_imported.
 */
export async function prefixOwners(prefixes: string[], manager: EntityManager): Promise<Map<string, string>> {
  if (prefixes.length === 0) return new Map();
  const owners = (await manager.query(
    `SELECT key_prefix, min(account_id::text) AS account_id FROM audit_key_prefixes
      WHERE key_prefix = ANY($1::text[]) GROUP BY key_prefix HAVING count(DISTINCT account_id) = 1`,
    [[...new Set(prefixes)]],
  )) as { key_prefix: string; account_id: string }[];
  return new Map(owners.map((owner) => [owner.key_prefix, owner.account_id]));
}
