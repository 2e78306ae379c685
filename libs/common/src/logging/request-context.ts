import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { containsKeyShape } from './redact';

export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The client's X-Request-Id when it is well-formed (PRODUCT.md §1), otherwise a fresh one. An id that
 * holds a key's shape is replaced too: it would travel into every log line and event of the request.
 */
export function acceptOrGenerateRequestId(candidate: unknown): string {
  return typeof candidate === 'string' && CLIENT_REQUEST_ID.test(candidate) && !containsKeyShape(candidate)
    ? candidate
    : randomUUID();
}

export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
