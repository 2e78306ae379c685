import type { EntityManager } from 'typeorm';
import { ALL_STREAMS, type EventEnvelope } from '#contracts';
import { IdempotentConsumer } from '#event-store';
import type { ServiceContext, Stoppable } from '#runtime';
import type { ServiceEnv } from '#common';

/** Stores events in the audit log with one statement; a second copy of an event id changes nothing. */
export async function storeAuditEvents(
  events: EventEnvelope[],
  sourceStream: string,
  manager: EntityManager,
): Promise<void> {
  await manager.query(
    `INSERT INTO audit_events (event_id, event_type, stream, stream_version, occurred_at, account_id, key_id, request_id, data, meta, source_stream)
     SELECT e.id, e.type, e.stream, e.version, e.occurred_at, (e.meta->>'account_id')::uuid, (e.meta->>'key_id')::uuid,
            e.meta->>'request_id', e.data, e.meta, $2
       FROM jsonb_to_recordset($1::jsonb) AS e(id uuid, type text, stream text, version int, occurred_at timestamptz, data jsonb, meta jsonb)
     ON CONFLICT (event_id) DO NOTHING`,
    [JSON.stringify(events), sourceStream],
  );
}

/** One durable consumer per JetStream stream (nats-server 2.9 has one filter per consumer). */
export async function startAuditIngest(context: ServiceContext<ServiceEnv>): Promise<Stoppable[]> {
  const consumers = ALL_STREAMS.map(
    (stream) =>
      new IdempotentConsumer(context.nats, context.dataSource, context.logger, {
        durable: `audit-${stream.name.toLowerCase()}`,
        stream: stream.name,
        batchSize: 500,
        // audit_events is keyed by the event id and inserts ON CONFLICT DO NOTHING.
        deduplicate: 'handler',
        // Up to 25 ms later in the audit log buys far fewer transactions under load.
        lingerMs: 25,
        handle: (events, manager) => storeAuditEvents(events, stream.name, manager),
      }),
  );
  for (const consumer of consumers) await consumer.start();
  return consumers;
}
