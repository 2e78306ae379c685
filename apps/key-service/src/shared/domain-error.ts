import { RpcErrorCode } from '#contracts';

/** A decision refused by the domain. Its code travels as the RPC error code; the gateway maps it to HTTP. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: RpcErrorCode,
    message: string,
  ) {
    super(message);
  }
}
