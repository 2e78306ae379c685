import { auditLocation, eventDetails, inputFromUtc, parseAuditLocation, utcFromInput } from './audit';
import type { AuditEvent } from './types';

describe('audit log filters in the address (PRODUCT.md §9.1)', () => {
  it('writes the set filters and reads them back the same', () => {
    const filters = {
      type: 'key.*',
      key_id: 'k-1',
      client_id: 'c-1',
      outcome: 'failure',
      from: '2026-11-27T08:00:00.000Z',
    };
    const address = auditLocation(filters);
    expect(address).toBe(
      '/audit?type=key.*&key_id=k-1&client_id=c-1&outcome=failure&from=2026-11-27T08%3A00%3A00.000Z',
    );
    expect(parseAuditLocation(address.split('?')[1])).toEqual(filters);
    expect(auditLocation({})).toBe('/audit');
  });

  it('ignores what is no filter, and empty values', () => {
    expect(parseAuditLocation('cursor=abc&limit=500&ip=%20&action=prompts.list')).toEqual({ action: 'prompts.list' });
    expect(parseAuditLocation('')).toEqual({});
  });

  it('reads the time inputs as UTC, the zone the table shows, and shows a filter back in them', () => {
    expect(utcFromInput('2026-11-27T08:30')).toBe('2026-11-27T08:30:00.000Z');
    expect(utcFromInput('')).toBeUndefined();
    expect(utcFromInput('tomorrow')).toBeUndefined();
    expect(inputFromUtc('2026-11-27T08:30:00.000Z')).toBe('2026-11-27T08:30');
    expect(inputFromUtc('2026-11-27T09:30:00+01:00')).toBe('2026-11-27T08:30');
    expect(inputFromUtc(undefined)).toBe('');
    expect(inputFromUtc('nonsense')).toBe('');
  });
});

describe('an audit row’s details', () => {
  const event: AuditEvent = {
    id: 'e-1',
    type: 'key.created',
    stream: 'api_key-k-1',
    version: 1,
    occurred_at: '2026-11-27T08:30:00.000Z',
    outcome: 'success',
    action: 'key.created',
    ip: '81.2.69.160',
    location: { country: 'GB', city: 'London' },
    tool_type: 'cli',
    key_id: 'k-1',
    key_prefix: 'vxk_1a2b3c4d',
    data: {
      name: '<b>laptop</b>',
      integrations: ['cli'],
      expires_at: null,
      approved_by: { session_id: 's-1', ip: '10.0.0.1' },
      nested: { deeper: { a: 1 } },
    },
    meta: { request_id: 'r-1', account_id: 'a-1', key_id: 'k-1', ip: '81.2.69.160', user_agent: 'vibexp-cli/1.0' },
  };

  it('lists the event’s data, then who asked and where it lives, leaving out what the columns show', () => {
    expect(eventDetails(event)).toEqual([
      ['name', '<b>laptop</b>'],
      ['integrations', '["cli"]'],
      ['expires_at', '—'],
      ['approved_by.session_id', 's-1'],
      ['approved_by.ip', '10.0.0.1'],
      ['nested.deeper', '{"a":1}'],
      ['meta.request_id', 'r-1'],
      ['meta.user_agent', 'vibexp-cli/1.0'],
      ['location', 'London, GB'],
      ['event id', 'e-1'],
      ['stream', 'api_key-k-1 (version 1)'],
    ]);
  });

  it('shows a request event’s place once, and not its coordinates', () => {
    const used: AuditEvent = {
      ...event,
      type: 'key.used',
      data: {
        ip: '81.2.69.160',
        location: { country: 'GB', city: 'London' },
        coordinates: [51.5, -0.1],
        status: 200,
      },
    };
    const labels = eventDetails(used).map(([label]) => label);
    expect(labels).toEqual(['ip', 'status', 'meta.request_id', 'meta.user_agent', 'location', 'event id', 'stream']);
    expect(new Set(labels).size).toBe(labels.length);
    expect(eventDetails({ ...used, location: null })).toContainEqual(['location', 'London, GB']);
  });

  it('shows a place given in meta as the place, not as JSON', () => {
    const session: AuditEvent = {
      ...event,
      type: 'session.created',
      data: {},
      location: null,
      meta: { request_id: 'r-1', location: { country: 'DE', city: 'Berlin' } },
    };
    const details = eventDetails(session);
    expect(details).toContainEqual(['location', 'Berlin, DE']);
    expect(details.map(([label]) => label)).not.toContain('meta.location');
  });

  it('copes with an event that has no meta, place or stream', () => {
    expect(
      eventDetails({ ...event, data: { reason: 'unknown' }, meta: undefined, location: null, stream: undefined }),
    ).toEqual([
      ['reason', 'unknown'],
      ['event id', 'e-1'],
    ]);
  });
});
