import { type NatsConnection, connect } from '@nats-io/transport-node';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type ReadinessCheck, withTimeout } from '#common';

export interface NatsConnectionOptions {
  servers: string;
  /** Shown in the server's connection list (`nats-server` monitoring, logs). */
  name: string;
}

/**
 * The smallest `max_payload` the platform runs with (deploy/nats-server.conf): a content write is one
 * request and one event of up to ~2 MiB. Below it, a valid write could never be published and would
 * hold up its service's outbox, so every process refuses to start instead.
 */
export const REQUIRED_MAX_PAYLOAD = 8 * 1024 * 1024;

export function parseServers(servers: string): string[] {
  return servers
    .split(',')
    .map((server) => server.trim())
    .filter(Boolean);
}

/**
 * The process's own NATS connection for JetStream and plain publish/subscribe. (RPC handlers are
 * served by Nest's NATS transport, which keeps a connection of its own.) It reconnects forever:
 * a NATS restart is an outage to ride out, not a reason to exit.
 */
export class NatsConnectionHolder implements ReadinessCheck {
  readonly name = 'nats';
  private jsClient?: JetStreamClient;
  private jsManager?: JetStreamManager;

  private constructor(readonly connection: NatsConnection) {}

  static async connect(options: NatsConnectionOptions): Promise<NatsConnectionHolder> {
    const connection = await connect({
      servers: parseServers(options.servers),
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 2_000,
    });
    return new NatsConnectionHolder(connection);
  }

  /** Throws, naming the setting, when the server's message limit is below REQUIRED_MAX_PAYLOAD. */
  assertMessageLimit(): void {
    const maxPayload = this.connection.info?.max_payload ?? 0;
    if (maxPayload < REQUIRED_MAX_PAYLOAD)
      throw new Error(
        `NATS at ${this.connection.getServer()} allows messages of ${maxPayload} bytes; the platform needs max_payload ≥ ${REQUIRED_MAX_PAYLOAD} (8 MiB): start nats-server with -c deploy/nats-server.conf`,
      );
  }

  get jetstream(): JetStreamClient {
    this.jsClient ??= jetstream(this.connection);
    return this.jsClient;
  }

  async manager(): Promise<JetStreamManager> {
    this.jsManager ??= await jetstreamManager(this.connection);
    return this.jsManager;
  }

  /**
   * Publishes a notice on core NATS and waits until the server has it, at most `timeoutMs`: a caller
   * that answers its client afterwards knows the notice reaches every subscriber on the same server
   * before that answer does. Throws when the connection is closed or the server does not confirm in
   * time (the notice may still go out).
   */
  async publishNotice(subject: string, payload: string, timeoutMs = 500): Promise<void> {
    this.connection.publish(subject, payload);
    await withTimeout(this.connection.flush(), timeoutMs, `NATS did not confirm within ${timeoutMs} ms`);
  }

  async check(): Promise<void> {
    if (this.connection.isClosed()) throw new Error('connection closed');
    await this.connection.flush();
  }

  async close(): Promise<void> {
    if (this.connection.isClosed()) return;
    // Drain fails when the server is already gone; the connection is closed either way.
    await this.connection.drain().catch(() => this.connection.close());
  }
}
