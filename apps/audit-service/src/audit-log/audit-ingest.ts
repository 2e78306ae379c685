import type { EntityManager } from 'typeorm';
import { ALL_STREAMS, type EventEnvelope } from '#contracts';
import { IdempotentConsumer } from '#event-store';
import type { ServiceContext, Stoppable } from '#runtime';
import type { ServiceEnv } from '#common';
import { toAuditRow } from './audit-row';

const KEY_BIRTHS = new Set(['key.created', 'key.legacy_imported']);

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
  const prefixes = rows.filter(
    (row) => KEY_BIRTHS.has(row.event_type) && row.key_prefix && row.key_id && row.account_id,
  );
  if (prefixes.length > 0) {
    await manager.query(
      `INSERT INTO audit_key_prefixes (key_prefix, key_id, account_id)
       SELECT key_prefix, key_id, account_id FROM jsonb_to_recordset($1::jsonb) AS p(key_prefix text, key_id uuid, account_id uuid)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(prefixes.map(({ key_prefix, key_id, account_id }) => ({ key_prefix, key_id, account_id })))],
    );
  }
  await manager.query(
    `INSERT INTO audit_log (event_id, occurred_at, event_type, stream, stream_version, account_id, key_id, key_prefix, request_id,
                            outcome, action, ip, location, tool_type, data, meta, source_stream)
     SELECT event_id, occurred_at, event_type, stream, stream_version,
            -- A failure with only a readable prefix belongs to the one account that has a key with it.
            coalesce(account_id, (SELECT min(p.account_id::text)::uuid FROM audit_key_prefixes p WHERE p.key_prefix = r.key_prefix
                                  HAVING count(DISTINCT p.account_id) = 1)),
            key_id, key_prefix, request_id, outcome, action, ip, location, tool_type, data, meta, source_stream
       FROM jsonb_to_recordset($1::jsonb) AS r(event_id uuid, occurred_at timestamptz, event_type text, stream text, stream_version int,
            account_id uuid, key_id uuid, key_prefix text, request_id text, outcome text, action text, ip text, location jsonb,
            tool_type text, data jsonb, meta jsonb, source_stream text)
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
        batchSize: 500,
        // audit_log is keyed by the event id (and its time) and inserts ON CONFLICT DO NOTHING.
        deduplicate: 'handler',
        // Up to 25 ms later in the audit log buys far fewer transactions under load.
        lingerMs: 25,
        handle: (events, manager) => storeAuditEvents(events, stream.name, manager),
      }),
  );
  for (const consumer of consumers) await consumer.start();
  return consumers;
}
