import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type EventEnvelope, type EventMeta, MAX_EVENTS_PER_BATCH, subjectForEventType } from '#contracts';
import { Metrics, uuidV7 } from '#common';
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

/** What an accepted request's answer was, known once it is sent. */
export interface RequestAnswer {
  status: number;
  method: string;
  /** The route template (`/api/v1/prompts/:id`). */
  route: string;
  latencyMs: number;
}

export interface KeyUse extends RequestAnswer {
  keyId: string;
  keyPrefix: string;
  accountId: string;
  integration: string | null;
}

/** An accepted MCP request: the grant whose access token it carried, and what it asked. */
export interface TokenUse extends RequestAnswer {
  grantId: string;
  clientId: string;
  accountId: string;
  /** The REST API's action for the same work, or `mcp.<method>` (see mcpRequestFacts). */
  action: string;
  mcpMethod: string | null;
  mcpTool: string | null;
  /** A failure inside a 200 answer: a refused tool call's REST code, or a JSON-RPC error's name. */
  errorCode: string | null;
}

/** Where a request came from and what it was (PRODUCT.md §7), on every auth event. */
export interface RequestUsage {
  meta: Omit<EventMeta, 'account_id' | 'key_id'>;
  ip: string;
  location: { country: string; city: string | null } | null;
  /**
   * [latitude, longitude] of the address (GeoIP, city level), for the detector's travel-speed check. No API field
   * but the audit log's raw event `data` carries it; the dashboard does not show it.
   */
  coordinates: [number, number] | null;
  tool_type: string;
  client: string | null;
  action: string;
}

/**
 * Publishes `auth.failed`, `key.used` and `oauth_token.used` to the AUTH stream without ever making a request wait.
 * Events of one type that occur within a few milliseconds go out as one batch message (EventBatch) on
 * that type's subject: under load NATS stores, and each AUTH consumer receives and acknowledges, one
 * message per batch instead of one per request, which is most of what usage tracking costs.
 * Each batch is published to JetStream and its acknowledgement awaited in the background (a reply per batch,
 * not per request): a batch JetStream did not confirm (NATS restarting, the stream unavailable) is sent again
 * with backoff for about half a minute, under the same `Nats-Msg-Id` (its batch id), so that the server stores it
 * once however many sends reach it. Consumers are idempotent on the batch id too. The counter shows what was
 * confirmed, or dropped after the last attempt (or past RETRY_BUFFER_BYTES of batches waiting for a retry).
 */
/**
 * Events wait at most this long, so that each AUTH message carries many of them: every message costs
 * each of the three AUTH consumers a delivery, an inbox row and a transaction. 25 ms is invisible in
 * usage counts and alerts; a crash of the gateway (not a graceful stop, which flushes) loses at most
 * this much of usage.
 */
const FLUSH_EVERY_MS = 25;
/** A batch is closed at this size, well under NATS's default 1 MiB message limit. */
const MAX_BATCH_BYTES = 256 * 1024;
const MAX_BATCH_EVENTS = Math.min(500, MAX_EVENTS_PER_BATCH);
/** How long JetStream has to confirm a batch before it is sent again. */
const ACK_TIMEOUT_MS = 5_000;
/**
 * The waits before each new send of an unconfirmed batch: 31.5 s in all, plus up to ACK_TIMEOUT_MS for each of the 7
 * sends: at most about 66 s from the first, within the streams' 2-minute duplicate window.
 */
const RETRY_DELAYS_MS = [500, 1_000, 2_000, 4_000, 8_000, 16_000];
/**
 * At most this much of batches waits between retries (while NATS is down): beyond it, new failures are dropped.
 * Batches waiting for an acknowledgement are not counted: at most 5 s of traffic.
 */
const RETRY_BUFFER_BYTES = 32 * 1024 * 1024;
/** A graceful stop waits this long for the batches still unconfirmed. */
const SHUTDOWN_WAIT_MS = 5_000;

interface Batch {
  type: string;
  id: string;
  payload: string;
  count: number;
}

@Injectable()
export class AuthEventsPublisher implements OnApplicationShutdown {
  private readonly logger = new Logger(AuthEventsPublisher.name);
  private readonly published;
  /** Serialized events waiting, by event type. */
  private readonly pending = new Map<string, { events: string[]; bytes: number }>();
  private timer?: NodeJS.Timeout;
  /** Batches sent and not yet confirmed or dropped, each with what settles it. */
  private readonly unconfirmed = new Map<Batch, Promise<void>>();
  private retryBytes = 0;
  /** Wakes each batch waiting for its retry: a stopping gateway tries them once more at once. */
  private readonly sleeping = new Set<() => void>();
  private closing = false;

  constructor(
    private readonly nats: NatsConnectionHolder,
    metrics: Metrics,
  ) {
    this.published = metrics.counter(
      'gateway_auth_events_total',
      'auth.failed / key.used / oauth_token.used events by outcome of the publish',
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

  /**
   * `oauth_token.used`: who used which app's access, for what, from where (with coordinates, like key.used,
   * for the detector's travel-speed check on the app).
   */
  tokenUsed(use: TokenUse, usage: RequestUsage): void {
    const { meta, ...facts } = usage;
    this.publish(
      'oauth_token.used',
      `oauth-usage-${use.grantId}`,
      {
        grant_id: use.grantId,
        client_id: use.clientId,
        status: use.status,
        method: use.method,
        route: use.route,
        latency_ms: use.latencyMs,
        mcp_method: use.mcpMethod,
        mcp_tool: use.mcpTool,
        error_code: use.errorCode,
        ...facts,
        action: use.action,
      },
      { ...meta, account_id: use.accountId },
    );
  }

  private publish(type: string, stream: string, data: Record<string, unknown>, meta: EventMeta): void {
    const now = Date.now();
    // Facts of the gateway belong to no event-sourced stream: version 0.
    const event: EventEnvelope = {
      // Time-ordered ids: the audit log's primary key grows at its right edge.
      id: uuidV7(now),
      type,
      stream,
      version: 0,
      occurred_at: new Date(now).toISOString(),
      data,
      meta,
    };
    const json = JSON.stringify(event);
    const bytes = Buffer.byteLength(json);
    let batch = this.pending.get(type);
    // A full batch closes every pending batch, oldest first, so that types keep their relative order.
    if (batch && (batch.bytes + bytes > MAX_BATCH_BYTES || batch.events.length >= MAX_BATCH_EVENTS)) {
      this.flush();
      batch = undefined;
    }
    if (!batch) this.pending.set(type, (batch = { events: [], bytes: 0 }));
    batch.events.push(json);
    batch.bytes += bytes + 1;
    this.timer ??= setTimeout(() => this.flush(), FLUSH_EVERY_MS);
  }

  /** Sends what accumulated: one message per event type, in the order their first events occurred. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [type, batch] of this.pending) this.send(type, batch.events);
    this.pending.clear();
  }

  private send(type: string, events: string[]): void {
    const id = uuidV7();
    // The events are already JSON: the batch is assembled around them rather than serialized again.
    const batch: Batch = {
      type,
      id,
      payload: `{"batch_id":"${id}","events":[${events.join(',')}]}`,
      count: events.length,
    };
    this.unconfirmed.set(
      batch,
      this.deliver(batch).finally(() => this.unconfirmed.delete(batch)),
    );
  }

  /** Sends a batch until JetStream confirms it, or gives it up after the last retry. Never rejects. */
  private async deliver(batch: Batch): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.nats.jetstream.publish(subjectForEventType(batch.type), batch.payload, {
          msgID: batch.id,
          timeout: ACK_TIMEOUT_MS,
        });
        this.published.inc({ type: batch.type, outcome: 'published' }, batch.count);
        return;
      } catch (error) {
        const delay = RETRY_DELAYS_MS[attempt];
        const room = this.retryBytes + batch.payload.length <= RETRY_BUFFER_BYTES;
        if (delay === undefined || this.closing || !room) {
          this.published.inc({ type: batch.type, outcome: 'dropped' }, batch.count);
          this.logger.warn(`could not publish ${batch.count} ${batch.type} event(s): ${String(error)}`);
          return;
        }
        this.retryBytes += batch.payload.length;
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            this.sleeping.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, delay).unref();
          this.sleeping.add(wake);
        });
        this.retryBytes -= batch.payload.length;
      }
    }
  }

  /** Sends what is pending and waits (a few seconds at most) for what JetStream has not confirmed yet. */
  async onApplicationShutdown(): Promise<void> {
    this.flush();
    this.closing = true;
    for (const wake of [...this.sleeping]) wake();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.unconfirmed.values()),
      new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }
}
