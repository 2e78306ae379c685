import { randomUUID } from 'node:crypto';
import { ContractViolation } from './errors';
import { parseEventEnvelope } from './envelope';
import { streamForEventType, subjectForEventType } from './streams';

const valid = () => ({
  id: randomUUID(),
  type: 'key.created',
  stream: `api_key-${randomUUID()}`,
  version: 1,
  occurred_at: new Date().toISOString(),
  data: { name: 'Laptop' },
  meta: { request_id: 'r1', account_id: randomUUID() },
});

describe('parseEventEnvelope', () => {
  it('accepts a well-formed envelope', () => {
    const input = valid();
    expect(parseEventEnvelope(input)).toEqual(input);
  });

  it.each([
    ['not an object', 'nope'],
    ['an array', []],
    ['a bad id', { ...valid(), id: 'x' }],
    ['a bad type', { ...valid(), type: 'Created' }],
    ['a negative version', { ...valid(), version: -1 }],
    ['a bad time', { ...valid(), occurred_at: 'yesterday' }],
    ['data that is not an object', { ...valid(), data: 'x' }],
    ['no meta', { ...valid(), meta: undefined }],
    ['a bad account id', { ...valid(), meta: { request_id: 'r', account_id: 'acme' } }],
  ])('rejects %s with a ContractViolation', (_, input) => {
    expect(() => parseEventEnvelope(input)).toThrow(ContractViolation);
  });

  it('names every problem in one message', () => {
    expect(() => parseEventEnvelope({ ...valid(), id: 1, version: 'one' })).toThrow(
      /id must be a UUID; version must be/,
    );
  });
});

describe('streams', () => {
  it.each([
    ['account.created', 'ACCOUNTS', 'accounts.events.account.created'],
    ['key.revoked', 'KEYS', 'keys.events.key.revoked'],
    ['key.used', 'AUTH', 'auth.events.key.used'],
    ['auth.failed', 'AUTH', 'auth.events.auth.failed'],
    ['memory.restored', 'CONTENT', 'content.events.memory.restored'],
    ['alert.raised', 'ALERTS', 'alerts.events.alert.raised'],
  ])('routes %s to %s', (type, stream, subject) => {
    expect(streamForEventType(type).name).toBe(stream);
    expect(subjectForEventType(type)).toBe(subject);
  });

  it('refuses an event type no stream owns', () => {
    expect(() => subjectForEventType('weather.changed')).toThrow(/no JetStream stream/);
  });
});
