import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '#contracts';

/** An event as a test scenario needs it: type, stream, time (ms), data and account; ids made up. */
export function eventAt(
  type: string,
  stream: string,
  at: number,
  data: object,
  accountId: string | null,
): EventEnvelope {
  return {
    id: randomUUID(),
    type,
    stream,
    version: 0,
    occurred_at: new Date(at).toISOString(),
    data: data as Record<string, unknown>,
    meta: { request_id: randomUUID(), account_id: accountId },
  };
}
