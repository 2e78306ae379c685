import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Msg, type MsgHdrs, type Subscription, createInbox, headers } from '@nats-io/transport-node';
import { type RpcErrorBody, RpcErrorCode, isRpcErrorBody } from '#contracts';
import { currentRequestId } from '#common';
import { MAX_REPLY_CHUNKS, NatsConnectionHolder, REPLY_CHUNK_HEADER, REQUEST_ID_HEADER } from '#messaging';

export const RPC_TIMEOUT_MS = Symbol('RPC_TIMEOUT_MS');

/** A failed RPC, carrying the service's typed error (or SERVICE_UNAVAILABLE when nobody answered). */
export class RpcCallError extends Error {
  override readonly name = 'RpcCallError';
  constructor(readonly body: RpcErrorBody) {
    super(body.message);
  }
}

/** A reply of a Nest NATS microservice handler: `{ id, response, isDisposed }` or `{ id, err }`. */
interface NestReply {
  response?: unknown;
  err?: unknown;
}

interface PendingRequest {
  subject: string;
  resolve(value: unknown): void;
  reject(error: RpcCallError): void;
  timer: NodeJS.Timeout;
  /** The chunks of a reply sent in several messages (REPLY_CHUNK_HEADER), as they arrive. */
  chunks?: Uint8Array[];
  /** Their total announced: every chunk must announce the same. */
  chunkTotal?: number;
  heldBytes?: number;
}

/**
 * Bytes of chunked replies the gateway holds while they arrive, all requests together: a few tenants asking
 * for large pages at once cannot take the process's memory. Beyond it a reply is dropped as unavailable.
 */
const MAX_HELD_REPLY_BYTES = 256 * 1024 * 1024;

/** nats-server's status for a request that no subscriber could receive. */
const NO_RESPONDERS = 503;

/**
 * Request/reply to a service over NATS with a deadline; every failure becomes an RpcCallError.
 *
 * The services answer with Nest's NATS transport (`@MessagePattern`), whose wire format this speaks:
 * a request `{ pattern, data, id }`, a reply `{ id, response }` or `{ id, err }`. Every request of
 * the process shares one reply subscription (`<inbox>.*`, one token per request): Nest's ClientProxy
 * subscribes and unsubscribes a fresh inbox per request, which costs nats-server more than the
 * request itself, and nats.js's own `request()` builds two Error objects (stack traces) per call.
 */
@Injectable()
export class RpcClient implements OnApplicationShutdown {
  private readonly inbox = createInbox();
  private readonly pending = new Map<string, PendingRequest>();
  private subscription?: Subscription;
  private sequence = 0;
  private heldBytes = 0;

  constructor(
    private readonly nats: NatsConnectionHolder,
    @Inject(RPC_TIMEOUT_MS) private readonly timeoutMs: number,
  ) {}

  request<TReply>(subject: string, payload: object, timeoutMs = this.timeoutMs): Promise<TReply> {
    return new Promise<unknown>((resolve, reject) => {
      const token = (this.sequence++).toString(36);
      const timer = setTimeout(() => {
        this.forget(token);
        reject(unavailable(`no reply on ${subject} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, { subject, resolve, reject, timer });
      try {
        this.subscription ??= this.nats.connection.subscribe(`${this.inbox}.*`, {
          // An error here is the subscription's (the connection closing): pending requests meet their deadline.
          callback: (error, message) => {
            if (!error) this.settle(message);
          },
        });
        // The HTTP request's id goes along, for the service's log lines.
        const requestId = currentRequestId();
        let requestHeaders: MsgHdrs | undefined;
        if (requestId !== undefined) {
          requestHeaders = headers();
          requestHeaders.set(REQUEST_ID_HEADER, requestId);
        }
        this.nats.connection.publish(subject, JSON.stringify({ pattern: subject, data: payload, id: randomUUID() }), {
          reply: `${this.inbox}.${token}`,
          headers: requestHeaders,
        });
      } catch {
        // A closed or draining connection: the gateway is shutting down.
        clearTimeout(timer);
        this.pending.delete(token);
        reject(unavailable(`request on ${subject} failed: NATS is not connected`));
      }
    }) as Promise<TReply>;
  }

  private settle(message: Msg): void {
    const token = message.subject.slice(this.inbox.length + 1);
    const request = this.pending.get(token);
    // A reply after the deadline, or Nest's trailing "disposed" message: nobody waits for it.
    if (!request) return;
    const chunk = message.headers?.get(REPLY_CHUNK_HEADER);
    let data = message.data;
    if (chunk) {
      const joined = this.joinChunk(request, chunk, message.data);
      if (joined === 'waiting') return;
      if (joined === 'invalid' || joined === 'too much') {
        this.forget(token);
        request.reject(
          joined === 'too much'
            ? unavailable(`too many large replies at once; ${request.subject} dropped`)
            : new RpcCallError({ code: RpcErrorCode.Internal, message: `unreadable reply on ${request.subject}` }),
        );
        return;
      }
      data = joined;
    }
    this.forget(token);
    if (message.headers?.code === NO_RESPONDERS) {
      request.reject(unavailable(`no service answers on ${request.subject}`));
      return;
    }
    let reply: NestReply;
    try {
      reply = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as NestReply;
    } catch {
      request.reject(
        new RpcCallError({ code: RpcErrorCode.Internal, message: `unreadable reply on ${request.subject}` }),
      );
      return;
    }
    if (reply.err === undefined || reply.err === null) request.resolve(reply.response);
    else if (isRpcErrorBody(reply.err)) request.reject(new RpcCallError(reply.err));
    else
      request.reject(
        new RpcCallError({ code: RpcErrorCode.Internal, message: `request on ${request.subject} failed` }),
      );
  }

  /** One chunk of a reply: the whole reply once its last chunk is in, in order (NATS keeps it). */
  private joinChunk(
    request: PendingRequest,
    header: string,
    data: Uint8Array,
  ): Uint8Array | 'waiting' | 'invalid' | 'too much' {
    const match = /^(\d+)\/(\d+)$/.exec(header);
    const index = Number(match?.[1]);
    const total = Number(match?.[2]);
    const chunks = (request.chunks ??= []);
    request.chunkTotal ??= total;
    if (
      !match ||
      total > MAX_REPLY_CHUNKS ||
      total !== request.chunkTotal ||
      index !== chunks.length + 1 ||
      index > total
    )
      return 'invalid';
    if (this.heldBytes + data.byteLength > MAX_HELD_REPLY_BYTES) return 'too much';
    chunks.push(data);
    request.heldBytes = (request.heldBytes ?? 0) + data.byteLength;
    this.heldBytes += data.byteLength;
    return index < total ? 'waiting' : Buffer.concat(chunks);
  }

  /** A request is answered, refused or out of time: nobody waits for it, and its chunks are let go. */
  private forget(token: string): void {
    const request = this.pending.get(token);
    if (!request) return;
    this.pending.delete(token);
    clearTimeout(request.timer);
    this.heldBytes -= request.heldBytes ?? 0;
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    for (const [token, request] of this.pending) {
      this.forget(token);
      request.reject(unavailable(`request on ${request.subject} abandoned: the gateway is stopping`));
    }
  }
}

function unavailable(message: string): RpcCallError {
  return new RpcCallError({ code: RpcErrorCode.Unavailable, message });
}
