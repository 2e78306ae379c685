import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type EventEnvelope, type EventMeta, subjectForEventType } from '#contracts';
import { Metrics } from '#common';
import { NatsConnectionHolder } from '#messaging';

export type AuthFailureReason =
  'missing' | 'malformed' | 'unknown' | 'revoked' | 'expired' | 'integration' | 'suspended' | 'rate_limited';

export interface AuthFailure {
  reason: AuthFailureReason;
  status: number;
  keyPrefix?: string;
  keyId?: string;
  accountId?: string;
}

export interface KeyUse {
  keyId: string;
  keyPrefix: string;
  accountId: string;
  status: number;
  method: string;
  route: string;
  latencyMs: number;
  integration: string | null;
}

/** Bound on publishes awaiting JetStream's ack; past it, events are dropped and counted, never queued forever. */
const MAX_IN_FLIGHT = 20_000;

/**
 * Publishes `auth.failed` and `key.used` to JetStream (stream AUTH) without ever making a request
 * wait: the publish is started and its acknowledgement handled in the background. `Nats-Msg-Id` is
 * the event id, so a retry is stored once.
 */
@Injectable()
export class AuthEventsPublisher {
  private readonly logger = new Logger(AuthEventsPublisher.name);
  private inFlight = 0;
  private readonly published;

  constructor(
    private readonly nats: NatsConnectionHolder,
    metrics: Metrics,
  ) {
    this.published = metrics.counter(
      'gateway_auth_events_total',
      'auth.failed / key.used events by outcome of the publish',
      ['type', 'outcome'],
    );
  }

  failed(failure: AuthFailure, meta: Omit<EventMeta, 'account_id' | 'key_id'>): void {
    const data: Record<string, unknown> = { reason: failure.reason, status: failure.status };
    if (failure.keyPrefix) data.key_prefix = failure.keyPrefix;
    if (failure.keyId) data.key_id = failure.keyId;
    this.publish('auth.failed', failure.accountId ? `auth-${failure.accountId}` : 'auth-unattributed', data, {
      ...meta,
      account_id: failure.accountId ?? null,
      ...(failure.keyId ? { key_id: failure.keyId } : {}),
    });
  }

  used(use: KeyUse, meta: Omit<EventMeta, 'account_id' | 'key_id'>): void {
    this.publish(
      'key.used',
      `usage-${use.keyId}`,
      {
        key_id: use.keyId,
        key_prefix: use.keyPrefix,
        status: use.status,
        method: use.method,
        route: use.route,
        latency_ms: use.latencyMs,
        integration: use.integration,
      },
      { ...meta, account_id: use.accountId, key_id: use.keyId },
    );
  }

  private publish(type: string, stream: string, data: Record<string, unknown>, meta: EventMeta): void {
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.published.inc({ type, outcome: 'dropped' });
      return;
    }
    // Facts of the gateway belong to no event-sourced stream: version 0.
    const event: EventEnvelope = {
      id: randomUUID(),
      type,
      stream,
      version: 0,
      occurred_at: new Date().toISOString(),
      data,
      meta,
    };
    this.inFlight += 1;
    this.nats.jetstream
      .publish(subjectForEventType(type), JSON.stringify(event), { msgID: event.id, timeout: 10_000 })
      .then(() => this.published.inc({ type, outcome: 'stored' }))
      .catch((error: unknown) => {
        this.published.inc({ type, outcome: 'failed' });
        this.logger.warn(`could not publish ${type}: ${String(error)}`);
      })
      .finally(() => {
        this.inFlight -= 1;
      });
  }
}
