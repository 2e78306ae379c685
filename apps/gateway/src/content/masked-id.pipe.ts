import type { PipeTransform } from '@nestjs/common';
import { maskPastedKeys } from '#contracts';

/**
 * A content `{id}` path segment (a memory's id, a prompt's id or slug) with any whole key pasted into it masked:
 * the segment goes to content-service in a NATS request (PRODUCT.md §1: no secret in a NATS message). A masked
 * segment names nothing, as the key did: the answer is the same 404 or 400.
 */
export class MaskedIdPipe implements PipeTransform<unknown, unknown> {
  transform(value: unknown): unknown {
    return typeof value === 'string' ? maskPastedKeys(value) : value;
  }
}
