import { randomUUID } from 'node:crypto';
import { type CustomStrategy, type MessageHandler, type NatsOptions, ServerNats } from '@nestjs/microservices';
import { parseServers } from './nats-connection';

interface IncomingNatsMessage {
  data: Uint8Array;
}

const MALFORMED = { __malformed: true } as const;

/**
 * Nest's JSON deserializer throws on bytes that are not JSON, and the request then times out.
 * This one turns them into a request whose payload fails validation, so the caller gets a typed
 * MALFORMED_REQUEST reply instead of silence.
 */
export class TolerantNatsDeserializer {
  deserialize(message: IncomingNatsMessage, options?: { channel?: string; replyTo?: string }): unknown {
    let decoded: unknown;
    try {
      decoded = JSON.parse(new TextDecoder().decode(message.data));
    } catch {
      return { id: randomUUID(), pattern: options?.channel, data: MALFORMED };
    }
    if (typeof decoded === 'object' && decoded !== null && 'pattern' in decoded && 'data' in decoded) {
      return decoded;
    }
    // A plain NATS request (not from a Nest client): treat the whole body as the payload.
    return options?.replyTo
      ? { id: randomUUID(), pattern: options.channel, data: decoded }
      : { pattern: options?.channel, data: decoded };
  }
}

export function isMalformedMarker(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && (payload as Record<string, unknown>).__malformed === true;
}

/**
 * Nest's NATS server, with the handler of each pattern looked up once. Nest finds a message's handler
 * by first trying `JSON.parse` on the pattern, which for a subject such as `content.memories.get` throws
 * (an Error and its stack trace) on every message. The patterns are the service's own subscriptions,
 * so the answer never changes; only found handlers are remembered.
 */
export class NatsRpcServer extends ServerNats {
  private readonly handlers = new Map<string, MessageHandler>();

  override getHandlerByPattern(pattern: string): MessageHandler | null {
    const known = this.handlers.get(pattern);
    if (known) return known;
    const handler = super.getHandlerByPattern(pattern);
    if (handler) this.handlers.set(pattern, handler);
    return handler;
  }
}

/** Options for a service's RPC listener: one queue group per service so replicas share the load. */
export function natsServerOptions(servers: string, service: string): CustomStrategy {
  const options: NatsOptions['options'] = {
    servers: parseServers(servers),
    name: `${service}-rpc`,
    queue: service,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    deserializer: new TolerantNatsDeserializer(),
  };
  return { strategy: new NatsRpcServer(options) };
}
