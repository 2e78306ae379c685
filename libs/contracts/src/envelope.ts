import { ContractViolation } from './errors';

/** Metadata carried by every event (PRODUCT.md §8). Never holds a secret. */
export interface EventMeta {
  request_id: string;
  account_id: string | null;
  key_id?: string;
  ip?: string;
  user_agent?: string;
}

/** The event envelope of PRODUCT.md §8, as stored and as published on JetStream. */
export interface EventEnvelope<TData extends object = Record<string, unknown>> {
  id: string;
  type: string;
  stream: string;
  version: number;
  occurred_at: string;
  data: TData;
  meta: EventMeta;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_TYPE = /^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * Checks an envelope arriving from outside the process (a JetStream message, an NDJSON line).
 * Throws ContractViolation naming every offending field, so a consumer can record the message as
 * malformed instead of crashing on it.
 */
export function parseEventEnvelope(input: unknown): EventEnvelope {
  const problems: string[] = [];
  if (!isPlainObject(input)) throw new ContractViolation('event envelope must be a JSON object');
  if (!isUuid(input.id)) problems.push('id must be a UUID');
  if (typeof input.type !== 'string' || !EVENT_TYPE.test(input.type)) {
    problems.push('type must look like "resource.action"');
  }
  if (typeof input.stream !== 'string' || input.stream.length === 0 || input.stream.length > 200) {
    problems.push('stream must be a non-empty string');
  }
  if (typeof input.version !== 'number' || !Number.isInteger(input.version) || input.version < 0) {
    problems.push('version must be a non-negative integer');
  }
  if (typeof input.occurred_at !== 'string' || Number.isNaN(Date.parse(input.occurred_at))) {
    problems.push('occurred_at must be an RFC 3339 timestamp');
  }
  if (!isPlainObject(input.data)) problems.push('data must be an object');
  const meta = input.meta;
  if (!isPlainObject(meta)) {
    problems.push('meta must be an object');
  } else {
    if (typeof meta.request_id !== 'string') problems.push('meta.request_id must be a string');
    if (meta.account_id !== null && !isUuid(meta.account_id)) {
      problems.push('meta.account_id must be a UUID or null');
    }
    if (meta.key_id !== undefined && !isUuid(meta.key_id)) problems.push('meta.key_id must be a UUID');
    for (const field of ['ip', 'user_agent'] as const) {
      if (meta[field] !== undefined && typeof meta[field] !== 'string') {
        problems.push(`meta.${field} must be a string`);
      }
    }
  }
  if (problems.length > 0) throw new ContractViolation(`malformed event envelope: ${problems.join('; ')}`);
  return input as unknown as EventEnvelope;
}
