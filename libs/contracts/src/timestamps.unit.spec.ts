import { isRfc3339DateTime } from './timestamps';

describe('isRfc3339DateTime', () => {
  it.each([
    '2026-11-27T19:30:00Z',
    '2026-11-27t19:30:00.123456789+05:30',
    '2024-02-29T00:00:00Z',
    // The first year PostgreSQL has and the last RFC 3339 can write (Date.UTC would read 0001 as 1901).
    '0001-01-01T00:00:00Z',
    '0099-12-31T23:59:59Z',
    '9999-12-31T23:59:59.999Z',
  ])('takes %s', (value) => {
    expect(isRfc3339DateTime(value)).toBe(true);
  });

  it.each([
    '0000-01-01T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-02-30T00:00:00Z',
    '0001-02-29T00:00:00Z',
    '2026-11-27T19:30:00',
    '2026-11-27',
    '2026-W48-5T10:00:00Z',
    '2026-11-27T23:59:60Z',
    '2026-11-27T24:00:00Z',
  ])('refuses %s', (value) => {
    expect(isRfc3339DateTime(value)).toBe(false);
  });
});
