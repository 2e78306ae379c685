/**
 * Error codes that cross a service boundary in an RPC reply. The gateway maps each to an HTTP
 * status in one exhaustive switch, so adding a code here without mapping it fails to compile.
 */
export enum RpcErrorCode {
  MalformedRequest = 'MALFORMED_REQUEST',
  ValidationFailed = 'VALIDATION_FAILED',
  ResourceNotFound = 'RESOURCE_NOT_FOUND',
  ResourceExists = 'RESOURCE_EXISTS',
  VersionConflict = 'VERSION_CONFLICT',
  Forbidden = 'FORBIDDEN',
  EmailTaken = 'EMAIL_TAKEN',
  IntegrationRetired = 'INTEGRATION_RETIRED',
  KeyRevoked = 'KEY_REVOKED',
  /** A key in its rotation's grace period: it already has a successor. */
  KeyAlreadyRotated = 'KEY_ALREADY_ROTATED',
  TemplateCycle = 'TEMPLATE_CYCLE',
  TemplateTooDeep = 'TEMPLATE_TOO_DEEP',
  /** A render past MAX_RENDERED_LENGTH or MAX_REFERENCE_EXPANSIONS (includes multiplying each other). */
  TemplateTooLarge = 'TEMPLATE_TOO_LARGE',
  ResourceInUse = 'RESOURCE_IN_USE',
  /** An Idempotency-Key sent again with another request body. */
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
  /** An answer larger than the RPC transport carries (MAX_REPLY_CHUNKS chunks). */
  ResponseTooLarge = 'RESPONSE_TOO_LARGE',
  Unavailable = 'SERVICE_UNAVAILABLE',
  Internal = 'INTERNAL_ERROR',
}

/** The message of a SERVICE_UNAVAILABLE a service answers when its database is out of reach (the gateway words its 503 by it). */
export const DATABASE_UNREACHABLE = 'the database is not reachable';

export interface RpcValidationError {
  field: string;
  message: string;
}

/** The error body of every failed RPC reply. */
export interface RpcErrorBody {
  code: RpcErrorCode;
  message: string;
  validation_errors?: RpcValidationError[];
}

export function isRpcErrorBody(value: unknown): value is RpcErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.message === 'string' && Object.values(RpcErrorCode).includes(candidate.code as RpcErrorCode);
}

/** A message that does not follow the contract (bad envelope, bad RPC payload). */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
}

/**
 * A decision a service's domain refused. Its code travels as the RPC error code (the runtime's RPC
 * filter sends `{ code, message }`), and the gateway maps it to HTTP.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: RpcErrorCode,
    message: string,
    readonly validation_errors?: RpcValidationError[],
  ) {
    super(message);
  }

  /** VALIDATION_FAILED for one field, decided by the domain or a handler rather than by a DTO: the answer names the field (PRODUCT.md §1). */
  static invalidField(field: string, message: string): DomainError {
    return new DomainError(RpcErrorCode.ValidationFailed, `${field} ${message}`, [{ field, message }]);
  }
}
