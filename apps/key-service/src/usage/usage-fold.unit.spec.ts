import { dayOf, hourOf } from './usage-fold';

describe('usage buckets', () => {
  it.each([
    ['2026-11-26T15:42:07.123Z', '2026-11-26T15:00:00.000Z', '2026-11-26'],
    // Not as the gateway writes them, but valid RFC 3339: bucketed by their UTC time.
    ['2026-11-26T00:30:00+02:00', '2026-11-25T22:00:00.000Z', '2026-11-25'],
    ['2026-11-26T23:59:59Z', '2026-11-26T23:00:00.000Z', '2026-11-26'],
    // Midnight written as the end of the day before.
    ['2026-11-25T24:00:00.000Z', '2026-11-26T00:00:00.000Z', '2026-11-26'],
  ])('%s is in the UTC hour %s and day %s', (at, hour, day) => {
    expect(hourOf(at)).toBe(hour);
    expect(dayOf(at)).toBe(day);
  });
});
