import type { EntityManager } from 'typeorm';
import { ALL_STREAMS, type EventEnvelope } from '#contracts';
import { IdempotentConsumer } from '#event-store';
import type { ServiceContext, Stoppable } from '#runtime';
import type { ServiceEnv } from '#common';

/** Stores one event in the audit log; a second copy of the same event id changes nothing. */
export async function storeAuditEvent(
  event: EventEnvelope,
  sourceStream: string,
  manager: EntityManager,
): Promise<void> {
  await manager.query(
    `INSERT INTO audit_events (event_id, event_type, stream, stream_version, occurred_at, account_id, key_id, request_id, data, meta, source_stream)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (event_id) DO NOTHING`,
    [
      event.id,
      event.type,
      event.stream,
      event.version,
      event.occurred_at,
      event.meta.account_id,
      event.meta.key_id ?? null,
      event.meta.request_id,
      event.data,
      event.meta,
      sourceStream,
    ],
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
        handle: (event, manager) => storeAuditEvent(event, stream.name, manager),
      }),
  );
  for (const consumer of consumers) await consumer.start();
  return consumers;
}
