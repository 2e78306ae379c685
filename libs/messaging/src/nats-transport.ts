import { randomUUID } from 'node:crypto';
import { type NatsOptions, Transport } from '@nestjs/microservices';
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

/** Options for a service's RPC listener: one queue group per service so replicas share the load. */
export function natsServerOptions(servers: string, service: string): NatsOptions {
  return {
    transport: Transport.NATS,
    options: {
      servers: parseServers(servers),
      name: `${service}-rpc`,
      queue: service,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      deserializer: new TolerantNatsDeserializer(),
    },
  };
}
