import { randomUUID } from 'node:crypto';
import { ContractViolation } from './errors';
import { MAX_EVENTS_PER_BATCH, parseEventEnvelope, parseEventMessage } from './envelope';
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

describe('parseEventMessage', () => {
  it('reads a single envelope as a message of one event, de-duplicated by the event id', () => {
    const event = valid();
    expect(parseEventMessage(event)).toEqual({ id: event.id, events: [event] });
  });

  it('reads a batch in order, de-duplicated by the batch id', () => {
    const batch = { batch_id: randomUUID(), events: [valid(), valid(), valid()] };
    expect(parseEventMessage(batch)).toEqual({ id: batch.batch_id, events: batch.events });
  });

  it.each([
    ['a bad batch id', { batch_id: 'b1', events: [valid()] }],
    ['no events', { batch_id: randomUUID(), events: [] }],
    ['events that are not a list', { batch_id: randomUUID(), events: valid() }],
    ['too many events', { batch_id: randomUUID(), events: Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, valid) }],
  ])('rejects a batch with %s', (_, input) => {
    expect(() => parseEventMessage(input)).toThrow(ContractViolation);
  });

  it('rejects the whole batch when one event is malformed, naming it', () => {
    const batch = { batch_id: randomUUID(), events: [valid(), { ...valid(), id: 'x' }] };
    expect(() => parseEventMessage(batch)).toThrow(/events\[1\]: malformed event envelope: id must be a UUID/);
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
