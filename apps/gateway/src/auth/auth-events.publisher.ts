import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
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

/** Where a request came from and what it was (PRODUCT.md §7), on every auth event. */
export interface RequestUsage {
  meta: Omit<EventMeta, 'account_id' | 'key_id'>;
  ip: string;
  location: { country: string; city: string | null } | null;
  /** [latitude, longitude] of the address, for the detector's travel-speed check; never shown in the API. */
  coordinates: [number, number] | null;
  tool_type: string;
  client: string | null;
  action: string;
}

/**
 * Publishes `auth.failed` and `key.used` to the AUTH stream without ever making a request wait.
 * They go out as plain NATS publishes on the stream's subject, which JetStream stores like any other
 * message: awaiting a JetStream ack per request would cost a reply message, a promise and a timer per
 * request. Each is published once (no retry), so no `Nats-Msg-Id` is needed for de-duplication in
 * the server; consumers are idempotent on the event id anyway. While NATS is unreachable, the client buffers
 * them (8 MiB) and sends them on reconnect; the counter shows what was published or dropped.
 */
/** Events wait at most this long, so that a burst leaves in one socket write instead of one per request. */
const FLUSH_EVERY_MS = 5;
const MAX_BATCH = 500;

@Injectable()
export class AuthEventsPublisher implements OnApplicationShutdown {
  private readonly logger = new Logger(AuthEventsPublisher.name);
  private readonly published;
  private readonly pending: EventEnvelope[] = [];
  private timer?: NodeJS.Timeout;

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

  failed(failure: AuthFailure, usage: RequestUsage): void {
    const { meta, ...facts } = usage;
    const data: Record<string, unknown> = { reason: failure.reason, status: failure.status, ...facts };
    if (failure.keyPrefix) data.key_prefix = failure.keyPrefix;
    if (failure.keyId) data.key_id = failure.keyId;
    this.publish('auth.failed', failure.accountId ? `auth-${failure.accountId}` : 'auth-unattributed', data, {
      ...meta,
      account_id: failure.accountId ?? null,
      ...(failure.keyId ? { key_id: failure.keyId } : {}),
    });
  }

  used(use: KeyUse, usage: RequestUsage): void {
    const { meta, ...facts } = usage;
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
        ...facts,
      },
      { ...meta, account_id: use.accountId, key_id: use.keyId },
    );
  }

  private publish(type: string, stream: string, data: Record<string, unknown>, meta: EventMeta): void {
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
    this.pending.push(event);
    if (this.pending.length >= MAX_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_EVERY_MS);
  }

  /** Sends what accumulated: many small messages, one socket write. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const event of this.pending.splice(0)) {
      try {
        this.nats.connection.publish(subjectForEventType(event.type), JSON.stringify(event));
        this.published.inc({ type: event.type, outcome: 'published' });
      } catch (error) {
        // Only a closed connection (shutdown) or a full reconnect buffer lands here.
        this.published.inc({ type: event.type, outcome: 'dropped' });
        this.logger.warn(`could not publish ${event.type}: ${String(error)}`);
      }
    }
  }

  onApplicationShutdown(): void {
    this.flush();
  }
}
