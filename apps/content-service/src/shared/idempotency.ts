import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { type ContentKind, DomainError, RpcErrorCode } from '#contracts';
import { deleteInBatches, isUniqueViolation } from '#event-store';

/** How long a key answers with the resource it made (as common for Idempotency-Key: a day of retries). */
export const IDEMPOTENCY_WINDOW_HOURS = 24;

/** An `Idempotency-Key` and the request it came with. */
export interface IdempotencyClaim {
  key: string;
  /** SHA-256 of the request body: the same key with another body is a client's mistake, not a retry. */
  requestHash: string;
}

export function idempotencyClaim(key: string | undefined, body: unknown): IdempotencyClaim | undefined {
  if (key === undefined) return undefined;
  return { key, requestHash: createHash('sha256').update(canonicalJson(body)).digest('hex') };
}

/**
 * JSON with every object's keys in sorted order, so the same body hashes the same whichever order its
 * fields (or its metadata's) were sent in. Fields left out are not the same as fields sent with their
 * default: the hash is of what the client sent.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

interface ClaimRow {
  request_hash: string;
  kind: string;
  resource_id: string;
}

/** The resource an earlier request with this key made, or undefined; refuses the key with another body. */
export async function earlierResource(
  manager: EntityManager,
  accountId: string,
  kind: ContentKind,
  claim: IdempotencyClaim,
): Promise<string | undefined> {
  const [row] = (await manager.query(
    `SELECT request_hash, kind, resource_id FROM idempotency_keys
      WHERE account_id = $1 AND key = $2 AND created_at > now() - make_interval(hours => $3)`,
    [accountId, claim.key, IDEMPOTENCY_WINDOW_HOURS],
  )) as ClaimRow[];
  if (!row) return undefined;
  if (row.request_hash !== claim.requestHash || row.kind !== kind)
    throw new DomainError(
      RpcErrorCode.IdempotencyKeyReused,
      'this Idempotency-Key was used with another request: send a new key for a new request',
    );
  return row.resource_id;
}

/**
 * Records the key inside the create's transaction. A concurrent request with the same key waits on the
 * primary key until this one commits, then fails with a unique violation (`isKeyTaken`) and reads the
 * winner's resource. An expired row of this key is replaced (the others are swept: sweepExpiredKeys).
 */
export async function recordClaim(
  manager: EntityManager,
  accountId: string,
  kind: ContentKind,
  claim: IdempotencyClaim,
  resourceId: string,
): Promise<void> {
  await manager.query(
    `DELETE FROM idempotency_keys
      WHERE account_id = $1 AND key = $2 AND created_at <= now() - make_interval(hours => $3)`,
    [accountId, claim.key, IDEMPOTENCY_WINDOW_HOURS],
  );
  await manager.query(
    `INSERT INTO idempotency_keys (account_id, key, request_hash, kind, resource_id, created_at)
     VALUES ($1, $2, $3, $4, $5, now())`,
    [accountId, claim.key, claim.requestHash, kind, resourceId],
  );
}

export function isKeyTaken(error: unknown): boolean {
  return isUniqueViolation(error, 'idempotency_keys_pkey');
}

/** Removes the keys past the window, oldest first, in batches (the `created_at` index). Returns how many. */
export function sweepExpiredKeys(manager: EntityManager, batch = 5_000): Promise<number> {
  return deleteInBatches(
    manager,
    {
      table: 'idempotency_keys',
      where: 'created_at <= now() - make_interval(hours => $1)',
      orderBy: 'created_at',
      params: [IDEMPOTENCY_WINDOW_HOURS],
    },
    batch,
  );
}
