import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { TimeoutError, firstValueFrom, timeout } from 'rxjs';
import { type RpcErrorBody, RpcErrorCode, isRpcErrorBody } from '#contracts';

export const NATS_RPC = Symbol('NATS_RPC');
export const RPC_TIMEOUT_MS = Symbol('RPC_TIMEOUT_MS');

/** A failed RPC, carrying the service's typed error (or SERVICE_UNAVAILABLE when nobody answered). */
export class RpcCallError extends Error {
  override readonly name = 'RpcCallError';
  constructor(readonly body: RpcErrorBody) {
    super(body.message);
  }
}

/** Request/reply to a service over NATS with a deadline; every failure becomes an RpcCallError. */
@Injectable()
export class RpcClient implements OnApplicationShutdown {
  constructor(
    @Inject(NATS_RPC) private readonly client: ClientProxy,
    @Inject(RPC_TIMEOUT_MS) private readonly timeoutMs: number,
  ) {}

  async request<TReply>(subject: string, payload: object, timeoutMs = this.timeoutMs): Promise<TReply> {
    try {
      return await firstValueFrom(this.client.send<TReply>(subject, payload).pipe(timeout(timeoutMs)));
    } catch (error) {
      if (isRpcErrorBody(error)) throw new RpcCallError(error);
      const message =
        error instanceof TimeoutError
          ? `no reply on ${subject} within ${timeoutMs} ms`
          : `request on ${subject} failed`;
      throw new RpcCallError({
        code: error instanceof TimeoutError ? RpcErrorCode.Unavailable : RpcErrorCode.Internal,
        message,
      });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
