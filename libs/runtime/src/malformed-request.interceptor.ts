import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { RpcErrorCode } from '#contracts';
import { isMalformedMarker } from '#messaging';
import { RpcError } from './rpc-exception.filter';

/** Refuses RPC requests whose bytes were not JSON (see TolerantNatsDeserializer) before any handler runs. */
@Injectable()
export class MalformedRequestInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'rpc' && isMalformedMarker(context.switchToRpc().getData())) {
      throw new RpcError({ code: RpcErrorCode.MalformedRequest, message: 'the request body is not valid JSON' });
    }
    return next.handle();
  }
}
