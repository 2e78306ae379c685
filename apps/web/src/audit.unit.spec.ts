import { auditLocation, inputFromUtc, parseAuditLocation, utcFromInput } from './audit';

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
