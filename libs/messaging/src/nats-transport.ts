import { randomUUID } from 'node:crypto';
import {
  type CustomStrategy,
  type MessageHandler,
  type NatsContext,
  type NatsOptions,
  ServerNats,
} from '@nestjs/microservices';
import { type Msg, type MsgHdrs, headers } from '@nats-io/transport-node';
import { RpcErrorCode } from '#contracts';
import { acceptOrGenerateRequestId, runWithRequestContext } from '#common';
import { parseServers } from './nats-connection';

interface IncomingNatsMessage {
  data: Uint8Array;
}

const MALFORMED = { __malformed: true } as const;

/** Header of an RPC request: the id of the HTTP request it serves, so the service's log lines carry it too. */
export const REQUEST_ID_HEADER = 'Vx-Request-Id';

/** Header of one chunk of a reply sent in several messages: `<n>/<total>`, n from 1. */
export const REPLY_CHUNK_HEADER = 'Vx-Chunk';
/**
 * At most this many chunks to a reply (8 × 8 MiB): a larger answer is refused as RESPONSE_TOO_LARGE by the
 * service, and a caller drops a reply that announces more. Pages that can hold documents stop by size
 * first (the audit log at 16 MiB of event data).
 */
export const MAX_REPLY_CHUNKS = 8;

/** The payload of one reply chunk: the server's limit, less room for the headers. */
export function replyChunkBytes(serverMaxPayload = 1024 * 1024): number {
  return serverMaxPayload - 4096;
}

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

  /** Handles a request inside the caller's request context: the service's log lines carry its request id. */
  override handleMessage(channel: string, natsMsg: Msg): Promise<unknown> {
    const requestId = natsMsg.headers?.get(REQUEST_ID_HEADER);
    if (!requestId) return super.handleMessage(channel, natsMsg);
    return runWithRequestContext({ requestId: acceptOrGenerateRequestId(requestId) }, () =>
      super.handleMessage(channel, natsMsg),
    );
  }

  /**
   * A reply larger than the server's message limit (a page of 1 MiB artifacts, a long version history)
   * goes as consecutive chunks to the same reply subject, each with `Vx-Chunk: <n>/<total>`; the
   * caller (the gateway's RpcClient) joins them. NATS keeps the order of one publisher's messages.
   */
  override getPublisher(natsMsg: Msg, id: string, ctx: NatsContext): (response: unknown) => unknown {
    if (!natsMsg.reply) return super.getPublisher(natsMsg, id, ctx);
    return (response: unknown) => {
      Object.assign(response as object, { id });
      const outgoing = this.serializer.serialize(response as Parameters<typeof this.serializer.serialize>[0]) as {
        data: string;
        headers?: MsgHdrs;
      };
      const bytes = Buffer.from(outgoing.data);
      const chunkBytes = replyChunkBytes(this.serverMaxPayload());
      if (bytes.length <= chunkBytes) return natsMsg.respond(bytes, { headers: outgoing.headers });
      const total = Math.ceil(bytes.length / chunkBytes);
      if (total > MAX_REPLY_CHUNKS) {
        const err = {
          code: RpcErrorCode.ResponseTooLarge,
          message: `the answer would be ${Math.ceil(bytes.length / 1048576)} MiB, more than ${Math.floor((MAX_REPLY_CHUNKS * chunkBytes) / 1048576)} MiB: ask for fewer items`,
        };
        return natsMsg.respond(JSON.stringify({ id, err, isDisposed: true }));
      }
      for (let index = 0; index < total; index += 1) {
        const chunk = headers();
        chunk.set(REPLY_CHUNK_HEADER, `${index + 1}/${total}`);
        natsMsg.respond(bytes.subarray(index * chunkBytes, (index + 1) * chunkBytes), { headers: chunk });
      }
      return true;
    };
  }

  private serverMaxPayload(): number | undefined {
    return (this as unknown as { natsClient?: { info?: { max_payload?: number } } }).natsClient?.info?.max_payload;
  }

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
