import { HttpStatus } from '@nestjs/common';
import type { Request } from 'express';
import { ProblemError } from '#common';

const KEY = /^[\x21-\x7e]{1,255}$/;

export const IDEMPOTENCY_KEY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description:
    'Any unique string (a UUID) per create: sent again within 24 h with the same body, it answers with the item the first request made instead of making another; with another body it is 422 IDEMPOTENCY_KEY_REUSED',
};

/** The client's `Idempotency-Key` for a create, checked (1–255 visible ASCII characters), as the RPC field. */
export function idempotencyKeyOf(request: Request): { idempotency_key?: string } {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return {};
  if (typeof value !== 'string' || !KEY.test(value))
    throw new ProblemError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'the Idempotency-Key header is not valid', {
      validationErrors: [{ field: 'Idempotency-Key', message: 'must be 1–255 visible ASCII characters (a UUID)' }],
    });
  return { idempotency_key: value };
}
