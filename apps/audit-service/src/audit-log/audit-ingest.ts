import type { EntityManager } from 'typeorm';
import { ALL_STREAMS, type EventEnvelope, isUuid } from '#contracts';
import { IdempotentConsumer, UNIQUE_VIOLATION, copyRows } from '#event-store';
import type { ServiceContext, Stoppable } from '#runtime';
import type { ServiceEnv } from '#common';
import { type AuditRow, toAuditRow } from './audit-row';
import { KEY_BIRTHS, prefixOwners } from './key-prefix-owners';

const AUDIT_COLUMNS = [
  'event_id',
  'occurred_at',
  'event_type',
  'stream',
  'stream_version',
  'account_id',
  'key_id',
  'client_id',
  'key_prefix',
  'request_id',
  'outcome',
  'action',
  'ip',
  'location',
  'tool_type',
  'data',
  'meta',
  'source_stream',
] as const satisfies readonly (keyof AuditRow)[];
const JSON_COLUMNS = ['location', 'data', 'meta'] as const satisfies readonly (keyof AuditRow)[];

/**
 * Stores events in the audit log; a second copy of an event changes nothing. Keys' display prefixes are
 * remembered so that a failure showing only a prefix is tied to its account.
 */
export async function storeAuditEvents(
  events: EventEnvelope[],
  sourceStream: string,
  manager: EntityManager,
): Promise<void> {
  const rows = events.map((event) => toAuditRow(event, sourceStream));
  await serializePrefixKnowledge(rows, manager);
  const learned = await rememberKeyPrefixes(rows, manager);
  await completeEarlierArrivals(learned, manager);
  await prefixByKeyId(rows, manager);
  await attributeByPrefix(rows, manager);
  await appendRows(rows, manager);
}

/**
 * A key's birth (KEYS stream) and the events that need it (a failure showing the key's prefix on AUTH, a
 * change made with the key on CONTENT) are stored by different consumers, in either order. The consumer that
 * stores a birth fills in what arrived before it (completeEarlierArrivals); this lock keeps the two from
 * passing each other unseen, each in a transaction the other cannot see yet. Batches that need births share
 * it, so they never wait for one another (a spray of unknown keys slows no other ingest); a batch holding a
 * birth takes it alone, waiting for those in progress. Batches of `key.used` (it names its prefix and
 * account) never take it.
 */
async function serializePrefixKnowledge(rows: AuditRow[], manager: EntityManager): Promise<void> {
  const holdsBirth = rows.some((row) => KEY_BIRTHS.has(row.event_type));
  const needsBirth = rows.some(
    (row) => (row.key_prefix === null && isUuid(row.key_id)) || (row.account_id === null && row.key_prefix !== null),
  );
  if (holdsBirth) await manager.query(`SELECT pg_advisory_xact_lock(hashtext('audit-key-prefixes'))`);
  else if (needsBirth) await manager.query(`SELECT pg_advisory_xact_lock_shared(hashtext('audit-key-prefixes'))`);
}

interface LearnedKey {
  key_prefix: string;
  key_id: string;
  account_id: string;
  born_at: string;
}

/** Remembers the prefix of each key born in the batch; returns the keys not known before. */
async function rememberKeyPrefixes(rows: AuditRow[], manager: EntityManager): Promise<LearnedKey[]> {
  const births = rows.filter((row) => KEY_BIRTHS.has(row.event_type) && row.key_prefix && row.key_id && row.account_id);
  if (births.length === 0) return [];
  const inserted = (await manager.query(
    `INSERT INTO audit_key_prefixes (key_prefix, key_id, account_id)
     SELECT key_prefix, key_id, account_id FROM jsonb_to_recordset($1::jsonb) AS p(key_prefix text, key_id uuid, account_id uuid)
     ON CONFLICT DO NOTHING
     RETURNING key_prefix, key_id`,
    [JSON.stringify(births.map(({ key_prefix, key_id, account_id }) => ({ key_prefix, key_id, account_id })))],
  )) as { key_prefix: string; key_id: string }[];
  const isNew = new Set(inserted.map((key) => `${key.key_prefix}/${key.key_id}`));
  return births
    .filter((row) => isNew.has(`${row.key_prefix}/${row.key_id}`))
    .map((row) => ({
      key_prefix: row.key_prefix as string,
      key_id: row.key_id as string,
      account_id: row.account_id as string,
      born_at: row.occurred_at,
    }));
}

/** How far another service's clock may run behind key-service's for an event still to count as after a key's birth. */
const CLOCK_SKEW = '1 minute';

/**
 * Events about a newly learned key that were stored before its birth arrived: changes made with the key
 * get its display prefix, and failures showing only its prefix (from its birth on) its account, when that
 * account is the only one with a key of that prefix.
 */
async function completeEarlierArrivals(learned: LearnedKey[], manager: EntityManager): Promise<void> {
  if (learned.length === 0) return;
  await manager.query(
    `UPDATE audit_log l SET key_prefix = k.key_prefix
       FROM jsonb_to_recordset($1::jsonb) AS k(key_id uuid, account_id uuid, key_prefix text, born_at timestamptz)
      WHERE l.account_id = k.account_id AND l.key_id = k.key_id AND l.key_prefix IS NULL
        AND l.occurred_at >= k.born_at - interval '${CLOCK_SKEW}'`,
    [JSON.stringify(learned)],
  );
  const owners = await prefixOwners(
    learned.map((key) => key.key_prefix),
    manager,
  );
  const owned = learned.filter((key) => owners.get(key.key_prefix) === key.account_id);
  if (owned.length === 0) return;
  await manager.query(
    `UPDATE audit_log l SET account_id = k.account_id
       FROM jsonb_to_recordset($1::jsonb) AS k(key_prefix text, account_id uuid, born_at timestamptz)
      WHERE l.account_id IS NULL AND l.key_prefix = k.key_prefix AND l.occurred_at >= k.born_at - interval '${CLOCK_SKEW}'`,
    [JSON.stringify(owned)],
  );
}

/**
 * An event that names a key only by id (a rename, a revocation, content written with the key) shows
 * the key's display prefix too (PRODUCT.md §9.1), known from the key's birth.
 */
async function prefixByKeyId(rows: AuditRow[], manager: EntityManager): Promise<void> {
  const unnamed = rows.filter((row) => row.key_prefix === null && isUuid(row.key_id));
  if (unnamed.length === 0) return;
  const known = (await manager.query(
    `SELECT DISTINCT ON (key_id) key_id, key_prefix FROM audit_key_prefixes WHERE key_id = ANY($1::uuid[])`,
    [[...new Set(unnamed.map((row) => row.key_id))]],
  )) as { key_id: string; key_prefix: string }[];
  const prefixOf = new Map(known.map((key) => [key.key_id, key.key_prefix]));
  for (const row of unnamed) row.key_prefix = prefixOf.get(row.key_id as string) ?? null;
}

/** A failure with only a readable prefix belongs to the one account that has a key with it (PRODUCT.md §9.2). */
async function attributeByPrefix(rows: AuditRow[], manager: EntityManager): Promise<void> {
  const unattributed = rows.filter((row) => row.account_id === null && row.key_prefix !== null);
  if (unattributed.length === 0) return;
  const ownerOf = await prefixOwners(
    unattributed.map((row) => row.key_prefix as string),
    manager,
  );
  for (const row of unattributed) row.account_id = ownerOf.get(row.key_prefix as string) ?? null;
}

/**
 * COPY is the fast path (most of ingest's database cost is these rows). A redelivered event that is
 * already stored makes COPY fail on the primary key; the batch then goes in again with an INSERT that
 * skips the events already there.
 */
async function appendRows(rows: AuditRow[], manager: EntityManager): Promise<void> {
  await manager.query('SAVEPOINT audit_copy');
  try {
    await copyRows(manager, 'audit_log', AUDIT_COLUMNS, rows, JSON_COLUMNS);
    await manager.query('RELEASE SAVEPOINT audit_copy');
    return;
  } catch (error) {
    if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
    await manager.query('ROLLBACK TO SAVEPOINT audit_copy');
  }
  await manager.query(
    `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')})
     SELECT ${AUDIT_COLUMNS.join(', ')}
       FROM json_to_recordset($1::json) AS r(event_id uuid, occurred_at timestamptz, event_type text, stream text, stream_version int,
            account_id uuid, key_id uuid, client_id uuid, key_prefix text, request_id text, outcome text, action text, ip text, location json,
            tool_type text, data json, meta json, source_stream text)
     ON CONFLICT (event_id, occurred_at) DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

/** One durable consumer per JetStream stream (nats-server 2.9 has one filter per consumer). */
export async function startAuditIngest<Env extends ServiceEnv>(context: ServiceContext<Env>): Promise<Stoppable[]> {
  const consumers = ALL_STREAMS.map(
    (stream) =>
      new IdempotentConsumer(context.nats, context.dataSource, context.logger, {
        durable: `audit-${stream.name.toLowerCase()}`,
        stream: stream.name,
        batchSize: 1_000,
        // audit_log is keyed by the event id (and its time); a duplicate is skipped (appendRows).
        deduplicate: 'handler',
        // Up to 100 ms later in the audit log buys far fewer transactions under load: each one costs
        // PostgreSQL and this service about a millisecond of CPU, whatever its size.
        lingerMs: 100,
        handle: (events, manager) => storeAuditEvents(events, stream.name, manager),
      }),
  );
  for (const consumer of consumers) await consumer.start();
  return consumers;
}
