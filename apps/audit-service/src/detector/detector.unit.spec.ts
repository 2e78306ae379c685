import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '#contracts';
import { AlertBook } from './alert-book';
import {
  DEFAULT_DETECTOR_CONFIG,
  FAILURES_KEPT,
  detectorConfig,
  distanceKm,
  Detector,
  type Finding,
  type Rule,
  type WorkingHours,
  localTime,
  withinWorkingHours,
  describeDays,
  windowNames,
} from './detector';
import { eventAt } from '../../../../test/support/events';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WINDOW = DEFAULT_DETECTOR_CONFIG.spikeWindowMs;
/** Monday 2 March 2026, 00:00 UTC: the simulated clock starts here (Berlin is on CET, UTC+1). */
const MONDAY = Date.UTC(2026, 2, 2);

const LONDON = { country: 'GB', city: 'London' };
const SYDNEY = { country: 'AU', city: 'Sydney' };

interface Use {
  account?: string | null;
  ip?: string;
  location?: { country: string; city: string | null } | null;
  status?: number;
}

interface Failure {
  reason: string;
  ip: string;
  key_prefix?: string;
  key_id?: string;
}

function keyUsed(keyId: string, at: number, use: Use = {}): EventEnvelope {
  const data = {
    key_id: keyId,
    key_prefix: `vxk_${keyId.slice(0, 8)}`,
    status: use.status ?? 200,
    ip: use.ip ?? '192.0.2.10',
    location: use.location === undefined ? LONDON : use.location,
  };
  return eventAt('key.used', `usage-${keyId}`, at, data, use.account === undefined ? ACCOUNT : use.account);
}

function authFailed(at: number, failure: Failure, accountId: string | null = null): EventEnvelope {
  return eventAt('auth.failed', accountId ? `auth-${accountId}` : 'auth-unattributed', at, failure, accountId);
}

function ofRule(findings: Finding[], rule: Rule): Finding[] {
  return findings.filter((finding) => finding.rule === rule);
}

/** `count` uses of a key spread evenly over the 5-minute window starting at `windowStart`. */
function useDuringWindow(sut: Detector, keyId: string, windowStart: number, count: number): Finding[] {
  const findings: Finding[] = [];
  for (let i = 0; i < count; i += 1) {
    findings.push(...sut.observe(keyUsed(keyId, windowStart + Math.floor((i * WINDOW) / count))));
  }
  return findings;
}

/** Consecutive windows from `start`, window `n` holding `countOf(n)` uses. */
function useOverWindows(
  sut: Detector,
  keyId: string,
  start: number,
  windows: number,
  countOf: (n: number) => number,
): Finding[] {
  const findings: Finding[] = [];
  for (let n = 0; n < windows; n += 1) findings.push(...useDuringWindow(sut, keyId, start + n * WINDOW, countOf(n)));
  return findings;
}

const ACCOUNT = randomUUID();
const TWO_DAYS_OF_WINDOWS = (2 * DAY) / WINDOW;

describe('Detector', () => {
  let sut: Detector;
  let keyId: string;

  beforeEach(() => {
    sut = new Detector();
    keyId = randomUUID();
  });

  describe('request_spike', () => {
    it('does not fire on steady high traffic: 300 requests in every 5-minute window for 2 days', () => {
      const findings = useOverWindows(sut, keyId, MONDAY, TWO_DAYS_OF_WINDOWS, () => 300);

      expect(ofRule(findings, 'request_spike')).toEqual([]);
    });

    it('does not fire on a gradual ramp of +10 % per window', () => {
      useOverWindows(sut, keyId, MONDAY, (25 * HOUR) / WINDOW, () => 20);

      const ramp = useOverWindows(sut, keyId, MONDAY + 25 * HOUR, 40, (n) => Math.round(20 * 1.1 ** (n + 1)));

      expect(ofRule(ramp, 'request_spike')).toEqual([]);
    });

    it('fires once, medium, when a key with a baseline of ~20 per window suddenly makes 250 (over 10 ×)', () => {
      const history = useOverWindows(sut, keyId, MONDAY, TWO_DAYS_OF_WINDOWS, () => 20);

      const spike = useDuringWindow(sut, keyId, MONDAY + 2 * DAY, 250);

      expect(ofRule(history, 'request_spike')).toEqual([]);
      expect(ofRule(spike, 'request_spike')).toHaveLength(1);
      expect(ofRule(spike, 'request_spike')[0]).toMatchObject({
        severity: 'medium',
        account_id: ACCOUNT,
        key_id: keyId,
        dedup_key: `request_spike:${keyId}`,
        evidence: { baseline: 20, threshold: 200, window: '5m' },
        summary: 'The key made more than 200 requests in 5 minutes, against a usual 20.0.',
      });
    });

    it('does not fire at 9 × the baseline (180 requests against ~20)', () => {
      useOverWindows(sut, keyId, MONDAY, TWO_DAYS_OF_WINDOWS, () => 20);

      const findings = useDuringWindow(sut, keyId, MONDAY + 2 * DAY, 180);

      expect(ofRule(findings, 'request_spike')).toEqual([]);
    });

    it('raises a high alert at over 50 × the baseline (1,100 requests against ~20)', () => {
      useOverWindows(sut, keyId, MONDAY, TWO_DAYS_OF_WINDOWS, () => 20);
      const book = new AlertBook();

      const spike = ofRule(useDuringWindow(sut, keyId, MONDAY + 2 * DAY, 1_100), 'request_spike');
      spike.forEach((finding) => book.record(finding));

      expect(spike.length).toBeGreaterThan(0);
      expect(book.alerts).toHaveLength(1);
      expect(book.alerts[0]).toMatchObject({ rule: 'request_spike', severity: 'high' });
    });

    it('is high when the first crossing is already over 50 × (150 requests against ~1 per window)', () => {
      useOverWindows(sut, keyId, MONDAY, TWO_DAYS_OF_WINDOWS, () => 1);

      const spike = ofRule(useDuringWindow(sut, keyId, MONDAY + 2 * DAY, 150), 'request_spike');

      expect(spike).toHaveLength(1);
      expect(spike[0]).toMatchObject({ severity: 'high', evidence: { threshold: 100 } });
    });

    it('keeps the baseline through idle hours: office-hours traffic the next morning is not a spike', () => {
      // 20 requests per window from 09:00 to 17:00 UTC on three days, nothing in between, for two keys.
      const otherKey = randomUUID();
      const officeDays = (key: string) =>
        [0, 1, 2].flatMap((day) =>
          useOverWindows(sut, key, MONDAY + day * DAY + 9 * HOUR, (8 * HOUR) / WINDOW, () => 20),
        );
      const history = [...officeDays(keyId), ...officeDays(otherKey)];

      // The next morning's first window: 150 (7.5 ×) is ordinary; 250 (12.5 ×) a medium spike, not a high one.
      const ordinary = useDuringWindow(sut, keyId, MONDAY + 3 * DAY + 9 * HOUR, 150);
      const spike = useDuringWindow(sut, otherKey, MONDAY + 3 * DAY + 9 * HOUR, 250);

      expect(ofRule(history, 'request_spike')).toEqual([]);
      expect(ofRule(ordinary, 'request_spike')).toEqual([]);
      expect(ofRule(spike, 'request_spike')).toEqual([
        expect.objectContaining({ severity: 'medium', evidence: expect.objectContaining({ threshold: 200 }) }),
      ]);
    });

    it('lets the baseline of a key dormant for more than three days fade: 150 requests after a week is a spike', () => {
      const history = useOverWindows(sut, keyId, MONDAY, TWO_DAYS_OF_WINDOWS, () => 30);

      const afterAWeek = useDuringWindow(sut, keyId, MONDAY + 9 * DAY, 150);

      expect(ofRule(history, 'request_spike')).toEqual([]);
      expect(ofRule(afterAWeek, 'request_spike')).toHaveLength(1);
    });

    it('does not fire in the first day of a key at 500 requests in 5 minutes', () => {
      const findings = useDuringWindow(sut, keyId, MONDAY, 500);

      expect(ofRule(findings, 'request_spike')).toEqual([]);
    });

    it('fires once in the first day of a key at an extreme 1,200 requests in 5 minutes', () => {
      const findings = ofRule(useDuringWindow(sut, keyId, MONDAY, 1_200), 'request_spike');

      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ key_id: keyId, evidence: { observed: 1_001, threshold: 1_000 } });
      expect(findings[0].summary).toBe(
        'The key made more than 1000 requests in 5 minutes, in its first day (no usual volume learned yet).',
      );
    });
  });

  describe('off_hours without working hours', () => {
    /** Uses at hh:20 UTC for every hour 09–16, Monday to Friday, for `days` days from Monday 2 March. */
    function officeHours(detector: Detector, days: number): Finding[] {
      const findings: Finding[] = [];
      for (let day = 0; day < days; day += 1) {
        if (new Date(MONDAY + day * DAY).getUTCDay() % 6 === 0) continue;
        for (let hour = 9; hour < 17; hour += 1) {
          findings.push(...detector.observe(keyUsed(keyId, MONDAY + day * DAY + hour * HOUR + 20 * MINUTE)));
        }
      }
      return findings;
    }

    it('fires low on a Sunday 03:00 UTC use after 15 days of weekday 09–17 use', () => {
      const history = officeHours(sut, 15);

      const findings = sut.observe(keyUsed(keyId, Date.UTC(2026, 2, 22, 3, 5)));

      expect(ofRule(history, 'off_hours')).toEqual([]);
      expect(ofRule(findings, 'off_hours')).toEqual([
        expect.objectContaining({
          severity: 'low',
          account_id: ACCOUNT,
          key_id: keyId,
          dedup_key: `off_hours:${keyId}`,
          evidence: expect.objectContaining({ hour_of_week: 6 * 24 + 3 }),
        }),
      ]);
    });

    it('does not fire on a use in a usual hour of the week', () => {
      officeHours(sut, 15);

      const findings = sut.observe(keyUsed(keyId, Date.UTC(2026, 2, 18, 10, 45)));

      expect(ofRule(findings, 'off_hours')).toEqual([]);
    });

    it('does not fire before the key has 14 days of history', () => {
      officeHours(sut, 12);

      const findings = sut.observe(keyUsed(keyId, Date.UTC(2026, 2, 15, 3, 5)));

      expect(ofRule(findings, 'off_hours')).toEqual([]);
    });
  });

  describe('off_hours with working hours', () => {
    const BERLIN_ACCOUNT = randomUUID();
    const NIGHT_ACCOUNT = randomUUID();
    const berlin: WorkingHours = { timezone: 'Europe/Berlin', days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' };
    const nightShift: WorkingHours = { timezone: 'UTC', days: [1, 2, 3, 4, 5, 6, 7], start: '22:00', end: '06:00' };

    beforeEach(() => {
      const settings: Record<string, WorkingHours> = { [BERLIN_ACCOUNT]: berlin, [NIGHT_ACCOUNT]: nightShift };
      sut = new Detector(DEFAULT_DETECTOR_CONFIG, undefined, (accountId) => settings[accountId] ?? null);
    });

    it('does not fire on a Monday 10:00 Berlin use, even on the first use of the key', () => {
      const findings = sut.observe(keyUsed(keyId, Date.UTC(2026, 2, 2, 9, 0), { account: BERLIN_ACCOUNT }));

      expect(ofRule(findings, 'off_hours')).toEqual([]);
    });

    it('fires low on a Saturday use', () => {
      sut.observe(keyUsed(keyId, Date.UTC(2026, 2, 2, 9, 0), { account: BERLIN_ACCOUNT }));

      const findings = sut.observe(keyUsed(keyId, Date.UTC(2026, 2, 7, 10, 0), { account: BERLIN_ACCOUNT }));

      expect(ofRule(findings, 'off_hours')).toEqual([
        expect.objectContaining({
          severity: 'low',
          account_id: BERLIN_ACCOUNT,
          dedup_key: `off_hours:${keyId}:local`,
          // The days are named: a Saturday use at 11:00 is within 09:00–17:00, but not on a working day.
          summary: expect.stringContaining("outside the account's working hours (Mon–Fri 09:00–17:00, Europe/Berlin)"),
          evidence: expect.objectContaining({ timezone: 'Europe/Berlin', days: [1, 2, 3, 4, 5] }),
        }),
      ]);
    });

    it.each([
      [300_000, { label: '5m', words: '5 minutes' }],
      [60_000, { label: '1m', words: '1 minute' }],
      [20_000, { label: '20s', words: '20 seconds' }],
    ])('names a window of %p ms as the evidence and summary do', (ms, names) => {
      expect(windowNames(ms)).toEqual(names);
    });

    it.each([
      [[1, 2, 3, 4, 5], 'Mon–Fri'],
      [[5], 'Fri'],
      [[7, 1, 3, 6], 'Mon, Wed, Sat–Sun'],
      [[1, 2, 3, 4, 5, 6, 7], 'every day'],
    ])('names the days %p as %p', (days, words) => {
      expect(describeDays(days)).toBe(words);
    });

    it('treats the end of the working day as outside (16:59 Berlin fine, 17:00 Berlin fires)', () => {
      const before = sut.observe(keyUsed(keyId, Date.UTC(2026, 2, 4, 15, 59), { account: BERLIN_ACCOUNT }));
      const after = sut.observe(keyUsed(keyId, Date.UTC(2026, 2, 4, 16, 0), { account: BERLIN_ACCOUNT }));

      expect(ofRule(before, 'off_hours')).toEqual([]);
      expect(ofRule(after, 'off_hours')).toHaveLength(1);
    });

    it('does not repeat for a local hour resolved as legitimate', () => {
      const saturday = Date.UTC(2026, 2, 7, 10, 0);
      const [finding] = ofRule(sut.observe(keyUsed(keyId, saturday, { account: BERLIN_ACCOUNT })), 'off_hours');

      sut.learnLegitimate('off_hours', keyId, finding.evidence);
      const nextSaturday = sut.observe(keyUsed(keyId, saturday + 7 * DAY + 10 * MINUTE, { account: BERLIN_ACCOUNT }));

      expect(ofRule(nextSaturday, 'off_hours')).toEqual([]);
    });

    it('learns every hour an alert folded in when it is resolved as legitimate, not only the last one', () => {
      // Saturday 10:00, 10:55, 11:50 and 12:45 in Berlin, each within the cooldown of the last: one alert (its
      // repeats folded) for three hours of the week, resolved once.
      const saturday = Date.UTC(2026, 2, 7, 9, 0);
      const book = new AlertBook();
      let alert;
      for (const minutes of [0, 55, 110, 165])
        for (const finding of ofRule(
          sut.observe(keyUsed(keyId, saturday + minutes * MINUTE, { account: BERLIN_ACCOUNT })),
          'off_hours',
        ))
          alert = book.record(finding);
      expect(alert).toMatchObject({ count: 4, evidence: { hours_of_week: expect.any(Array) } });
      expect((alert?.evidence.hours_of_week as number[]).length).toBe(3);

      sut.learnLegitimate('off_hours', keyId, alert?.evidence ?? {});
      const nextSaturday = [0, 55, 110, 165].flatMap((minutes) =>
        sut.observe(keyUsed(keyId, saturday + 7 * DAY + (minutes + 4) * MINUTE, { account: BERLIN_ACCOUNT })),
      );
      const otherHour = sut.observe(keyUsed(keyId, saturday + 7 * DAY + 7 * HOUR, { account: BERLIN_ACCOUNT }));

      expect(ofRule(nextSaturday, 'off_hours')).toEqual([]);
      expect(ofRule(otherHour, 'off_hours')).toHaveLength(1);
    });

    it('leaves another account without working hours to the learned hours', () => {
      const findings = sut.observe(keyUsed(keyId, Date.UTC(2026, 2, 7, 3, 0)));

      expect(ofRule(findings, 'off_hours')).toEqual([]);
    });

    it('handles a range that wraps midnight (22:00–06:00)', () => {
      const night = sut.observe(keyUsed(keyId, Date.UTC(2026, 2, 3, 23, 30), { account: NIGHT_ACCOUNT }));
      const earlyMorning = sut.observe(keyUsed(keyId, Date.UTC(2026, 2, 4, 5, 59), { account: NIGHT_ACCOUNT }));
      const noon = sut.observe(keyUsed(keyId, Date.UTC(2026, 2, 4, 12, 0), { account: NIGHT_ACCOUNT }));

      expect(ofRule(night, 'off_hours')).toEqual([]);
      expect(ofRule(earlyMorning, 'off_hours')).toEqual([]);
      expect(ofRule(noon, 'off_hours')).toHaveLength(1);
    });

    it.each([
      ['22:00', true, Date.UTC(2026, 2, 3, 22, 0)],
      ['02:00', true, Date.UTC(2026, 2, 4, 2, 0)],
      ['06:00', false, Date.UTC(2026, 2, 4, 6, 0)],
      ['21:59', false, Date.UTC(2026, 2, 4, 21, 59)],
      ['12:00', false, Date.UTC(2026, 2, 4, 12, 0)],
    ])('withinWorkingHours of 22:00–06:00 at %s is %s', (_label, expected, at) => {
      expect(withinWorkingHours(at, nightShift)).toBe(expected);
    });

    describe('a working day that crosses midnight', () => {
      // In UTC; 2026-03-05 is a Thursday (ISO day 4), 2026-03-09 a Monday (1).
      const wednesday = { timezone: 'UTC', days: [3], start: '23:00', end: '22:00' };
      const thursday = { ...wednesday, days: [4] };
      const sunday = { timezone: 'UTC', days: [7], start: '22:00', end: '06:00' };
      const monday = { ...sunday, days: [1] };

      it.each([
        ['Wednesday 23:00–22:00', 'Thursday 21:43', true, wednesday, Date.UTC(2026, 2, 5, 21, 43)],
        ['Wednesday 23:00–22:00', 'Thursday 22:00', false, wednesday, Date.UTC(2026, 2, 5, 22, 0)],
        ['Wednesday 23:00–22:00', 'Wednesday 21:43', false, wednesday, Date.UTC(2026, 2, 4, 21, 43)],
        ['Thursday 23:00–22:00', 'Thursday 21:43', false, thursday, Date.UTC(2026, 2, 5, 21, 43)],
        ['Thursday 23:00–22:00', 'Thursday 23:30', true, thursday, Date.UTC(2026, 2, 5, 23, 30)],
        ['Sunday 22:00–06:00', 'Monday 02:00', true, sunday, Date.UTC(2026, 2, 9, 2, 0)],
        ['Monday 22:00–06:00', 'Monday 02:00', false, monday, Date.UTC(2026, 2, 9, 2, 0)],
        ['Monday 22:00–06:00', 'Tuesday 02:00', true, monday, Date.UTC(2026, 2, 10, 2, 0)],
      ])('of %s, %s is inside: %s', (_label, _when, expected, hours, at) => {
        expect(withinWorkingHours(at, hours)).toBe(expected);
      });
    });

    it('counts the hours after midnight for the day the working day started on (no off_hours alert)', () => {
      const WEDNESDAY_NIGHTS = randomUUID();
      const THURSDAY_NIGHTS = randomUUID();
      const settings: Record<string, WorkingHours> = {
        [WEDNESDAY_NIGHTS]: { timezone: 'UTC', days: [3], start: '23:00', end: '22:00' },
        [THURSDAY_NIGHTS]: { timezone: 'UTC', days: [4], start: '23:00', end: '22:00' },
      };
      sut = new Detector(DEFAULT_DETECTOR_CONFIG, undefined, (accountId) => settings[accountId] ?? null);
      const thursday2143 = Date.UTC(2026, 2, 5, 21, 43);

      const wednesdays = sut.observe(keyUsed(keyId, thursday2143, { account: WEDNESDAY_NIGHTS }));
      const thursdays = sut.observe(keyUsed(randomUUID(), thursday2143, { account: THURSDAY_NIGHTS }));

      expect(ofRule(wednesdays, 'off_hours')).toEqual([]);
      expect(ofRule(thursdays, 'off_hours')).toHaveLength(1);
    });

    it.each([
      ['Friday 09:30 CET, before the change', '2026-03-27T08:30:00Z', true],
      ['Friday 08:30 CET, before the change', '2026-03-27T07:30:00Z', false],
      ['Friday 16:30 CET, before the change', '2026-03-27T15:30:00Z', true],
      ['Monday 09:30 CEST, after the change', '2026-03-30T07:30:00Z', true],
      ['Monday 08:30 CEST, after the change', '2026-03-30T06:30:00Z', false],
      ['Monday 17:30 CEST, after the change', '2026-03-30T15:30:00Z', false],
    ])('withinWorkingHours in Berlin around the 2026-03-29 DST change: %s', (_label, iso, expected) => {
      expect(withinWorkingHours(Date.parse(iso), berlin)).toBe(expected);
    });

    it.each([
      ['2026-03-29T00:59:00Z', { day: 7, minutes: 1 * 60 + 59, hourOfWeek: 6 * 24 + 1 }],
      ['2026-03-29T01:00:00Z', { day: 7, minutes: 3 * 60, hourOfWeek: 6 * 24 + 3 }],
      ['2026-03-29T22:00:00Z', { day: 1, minutes: 0, hourOfWeek: 0 }],
      ['2026-10-25T00:59:00Z', { day: 7, minutes: 2 * 60 + 59, hourOfWeek: 6 * 24 + 2 }],
      ['2026-10-25T01:00:00Z', { day: 7, minutes: 2 * 60, hourOfWeek: 6 * 24 + 2 }],
    ])('localTime in Berlin at %s', (iso, expected) => {
      expect(localTime(Date.parse(iso), 'Europe/Berlin')).toEqual(expected);
    });
  });

  describe('new_location travel speed', () => {
    const withPlace = (event: EventEnvelope, coordinates: [number, number]): EventEnvelope => ({
      ...event,
      data: { ...event.data, coordinates },
    });
    const london: [number, number] = [51.5, -0.12];
    const sydney: [number, number] = [-33.87, 151.21];

    it('is high when the jump implies travel faster than 900 km/h', () => {
      const keyId = randomUUID();
      sut.observe(withPlace(keyUsed(keyId, MONDAY, { location: { country: 'GB', city: 'London' } }), london));
      const findings = sut.observe(
        withPlace(keyUsed(keyId, MONDAY + 2 * HOUR, { location: { country: 'AU', city: 'Sydney' } }), sydney),
      );
      const [finding] = ofRule(findings, 'new_location');
      expect(finding).toMatchObject({ severity: 'high' });
      expect(finding.evidence.travel_kmh).toBeGreaterThan(900);
      expect(finding.summary).toContain('km/h');
    });

    it('stays medium when there was time to fly', () => {
      const keyId = randomUUID();
      sut.observe(withPlace(keyUsed(keyId, MONDAY, { location: { country: 'GB', city: 'London' } }), london));
      const findings = sut.observe(
        withPlace(keyUsed(keyId, MONDAY + 48 * HOUR, { location: { country: 'AU', city: 'Sydney' } }), sydney),
      );
      expect(ofRule(findings, 'new_location')).toEqual([expect.objectContaining({ severity: 'medium' })]);
    });

    it('measures great-circle distances', () => {
      expect(distanceKm(london, sydney)).toBeGreaterThan(16_900);
      expect(distanceKm(london, sydney)).toBeLessThan(17_100);
      expect(distanceKm(london, london)).toBe(0);
    });
  });

  describe('new_location', () => {
    it('does not fire on the first location of a key', () => {
      const findings = sut.observe(keyUsed(keyId, MONDAY, { location: LONDON }));

      expect(ofRule(findings, 'new_location')).toEqual([]);
    });

    it('fires medium on a second country, with the country in the evidence', () => {
      sut.observe(keyUsed(keyId, MONDAY, { location: LONDON }));

      const findings = sut.observe(keyUsed(keyId, MONDAY + 2 * DAY, { location: SYDNEY, ip: '203.0.113.50' }));

      expect(ofRule(findings, 'new_location')).toEqual([
        expect.objectContaining({
          severity: 'medium',
          account_id: ACCOUNT,
          key_id: keyId,
          dedup_key: `new_location:${keyId}:AU`,
          evidence: expect.objectContaining({ country: 'AU', baseline: ['GB'], ips: ['203.0.113.50'] }),
        }),
      ]);
    });

    it('never counts the "local" location, neither as a first location nor as a new one', () => {
      const local = { country: 'local', city: null };

      const findings = [
        ...sut.observe(keyUsed(keyId, MONDAY, { location: local })),
        ...sut.observe(keyUsed(keyId, MONDAY + DAY, { location: LONDON })),
        ...sut.observe(keyUsed(keyId, MONDAY + 2 * DAY, { location: local })),
        ...sut.observe(keyUsed(keyId, MONDAY + 3 * DAY, { location: null })),
      ];

      expect(ofRule(findings, 'new_location')).toEqual([]);
    });

    it('does not fire again on a country seen within 30 days', () => {
      sut.observe(keyUsed(keyId, MONDAY, { location: LONDON }));
      sut.observe(keyUsed(keyId, MONDAY + 2 * DAY, { location: SYDNEY }));

      const findings = [
        ...sut.observe(keyUsed(keyId, MONDAY + 20 * DAY, { location: SYDNEY })),
        ...sut.observe(keyUsed(keyId, MONDAY + 29 * DAY, { location: LONDON })),
        ...sut.observe(keyUsed(keyId, MONDAY + 45 * DAY, { location: SYDNEY })),
      ];

      expect(ofRule(findings, 'new_location')).toEqual([]);
    });

    it('fires again on a country not seen for more than 30 days', () => {
      sut.observe(keyUsed(keyId, MONDAY, { location: LONDON }));
      sut.observe(keyUsed(keyId, MONDAY + 2 * DAY, { location: SYDNEY }));
      sut.observe(keyUsed(keyId, MONDAY + 20 * DAY, { location: LONDON }));

      const findings = sut.observe(keyUsed(keyId, MONDAY + 34 * DAY, { location: SYDNEY }));

      expect(ofRule(findings, 'new_location')).toHaveLength(1);
    });

    it('does not repeat for a country resolved as legitimate, while another key still alerts on it', () => {
      const otherKey = randomUUID();
      sut.observe(keyUsed(keyId, MONDAY, { location: LONDON }));
      sut.observe(keyUsed(otherKey, MONDAY, { location: LONDON }));
      const [alerted] = ofRule(sut.observe(keyUsed(keyId, MONDAY + 2 * DAY, { location: SYDNEY })), 'new_location');

      sut.learnLegitimate('new_location', keyId, alerted.evidence);
      sut.observe(keyUsed(keyId, MONDAY + 10 * DAY, { location: LONDON }));
      const afterAbsence = sut.observe(keyUsed(keyId, MONDAY + 33 * DAY + HOUR, { location: SYDNEY }));
      const otherKeyFindings = sut.observe(keyUsed(otherKey, MONDAY + 33 * DAY + HOUR, { location: SYDNEY }));

      expect(ofRule(afterAbsence, 'new_location')).toEqual([]);
      expect(ofRule(otherKeyFindings, 'new_location')).toEqual([
        expect.objectContaining({ key_id: otherKey, evidence: expect.objectContaining({ country: 'AU' }) }),
      ]);
    });
  });

  describe('failed_auth_burst', () => {
    const attacker = '198.51.100.23';

    /** `count` failures from `ip` with unknown keys, `every` ms apart from `start`. */
    function failuresFrom(ip: string, start: number, count: number, every: number, accountId: string | null = null) {
      return Array.from({ length: count }, (_, i) =>
        authFailed(start + i * every, { reason: 'unknown', ip }, accountId),
      );
    }

    it('does not fire on 9 failures from one IP in 5 minutes, fires medium on the 10th', () => {
      const failures = failuresFrom(attacker, MONDAY, 10, 20_000);

      const before = failures.slice(0, 9).flatMap((event) => sut.observe(event));
      const findings = sut.observe(failures[9]);

      expect(before).toEqual([]);
      expect(findings).toEqual([
        expect.objectContaining({
          rule: 'failed_auth_burst',
          severity: 'medium',
          account_id: null,
          dedup_key: `failed_auth_burst:ip:${attacker}`,
          evidence: expect.objectContaining({ observed: 10, ips: [attacker] }),
        }),
      ]);
    });

    it("counts a key's requests that got an error answer as use (a spike, a new country), but escalates on a success only", () => {
      const walk = Array.from({ length: 101 }, (_, i) =>
        keyUsed(keyId, MONDAY + DAY + i * 1_000, { status: 404, ip: attacker, location: i === 0 ? LONDON : SYDNEY }),
      );
      sut.observe(keyUsed(keyId, MONDAY, { location: LONDON }));
      failuresFrom(attacker, MONDAY + DAY - MINUTE, 10, 1_000, ACCOUNT).forEach((event) => sut.observe(event));

      const findings = walk.flatMap((event) => sut.observe(event));

      expect(ofRule(findings, 'new_location')).toHaveLength(1);
      expect(ofRule(findings, 'request_spike')).toHaveLength(1);
      expect(ofRule(findings, 'failed_auth_burst')).toEqual([]);
      const success = sut.observe(keyUsed(keyId, MONDAY + DAY + 2 * MINUTE, { ip: attacker, location: SYDNEY }));
      expect(ofRule(success, 'failed_auth_burst')).toEqual([expect.objectContaining({ severity: 'high' })]);
    });

    it('keeps a bounded window under a flood of failures from one address, and says the count is at least that', () => {
      const flood = Array.from({ length: FAILURES_KEPT + 500 }, (_, i) =>
        authFailed(MONDAY + i * 100, { reason: 'unknown', ip: attacker, key_prefix: 'vxk_0badc0de' }),
      );

      const last = flood.flatMap((event) => sut.observe(event)).at(-1);

      expect(sut.state.failuresByIp[attacker].length).toBe(FAILURES_KEPT);
      expect(sut.state.failuresByPrefix.vxk_0badc0de.length).toBe(FAILURES_KEPT);
      expect(last?.summary).toMatch(/^1,000 or more failed authentications/);
    });

    it('prunes a window stored larger than it may grow now (an older release kept every failure) without failing', () => {
      const stored = Array.from({ length: 200_000 }, (_, i) => [MONDAY + i, null] as [number, null]);
      sut = new Detector(DEFAULT_DETECTOR_CONFIG, {
        keys: {},
        failuresByIp: {},
        failuresByPrefix: { vxk_0ldf100d: stored },
        burstIps: {},
      });

      expect(() => sut.observe(authFailed(MONDAY + HOUR, { reason: 'unknown', ip: attacker }))).not.toThrow();
      expect(sut.state.failuresByPrefix.vxk_0ldf100d).toBeUndefined();
    });

    it("names no key in a prefix burst of a revoked key: a burst is not the key's own, so auto-revoke leaves it", () => {
      const prefix = `vxk_${keyId.slice(0, 8)}`;
      const attempts = Array.from({ length: 5 }, (_, i) =>
        authFailed(MONDAY + i * 1_000, { reason: 'revoked', ip: attacker, key_id: keyId, key_prefix: prefix }, ACCOUNT),
      );

      const findings = attempts.flatMap((event) => sut.observe(event));

      const [burst] = ofRule(findings, 'failed_auth_burst');
      expect(burst).toMatchObject({ key_prefix: prefix, dedup_key: `failed_auth_burst:prefix:${prefix}` });
      expect(burst.key_id).toBeUndefined();
      expect(ofRule(findings, 'revoked_key_use')[0]).toMatchObject({ key_id: keyId });
    });

    it.each(['rate_limited', 'integration'])(
      'does not count refusals of a key that authenticated (%s), nor escalate on its next success',
      (reason) => {
        const prefix = 'vxk_5e6f7a8b';
        const refusals = Array.from({ length: 12 }, (_, i) =>
          authFailed(MONDAY + i * 1_000, { reason, ip: attacker, key_id: keyId, key_prefix: prefix }, ACCOUNT),
        );

        const findings = [
          ...refusals.flatMap((event) => sut.observe(event)),
          ...sut.observe(keyUsed(keyId, MONDAY + MINUTE, { ip: attacker })),
        ];

        expect(ofRule(findings, 'failed_auth_burst')).toEqual([]);
      },
    );

    it('does not count requests that sent no credentials at all (missing): a signed-out dashboard, a crawler', () => {
      const findings = Array.from({ length: 30 }, (_, i) =>
        authFailed(MONDAY + i * 1_000, { reason: 'missing', ip: attacker }),
      ).flatMap((event) => sut.observe(event));

      expect(findings).toEqual([]);
      expect(sut.state.failuresByIp[attacker]).toBeUndefined();
    });

    it('does not fire on failures spread over 30 minutes', () => {
      const findings = failuresFrom(attacker, MONDAY, 11, 3 * MINUTE).flatMap((event) => sut.observe(event));

      expect(findings).toEqual([]);
    });

    it('fires on 5 failures against one key prefix from different IPs, not on 4', () => {
      const prefix = 'vxk_1a2b3c4d';
      const failures = Array.from({ length: 5 }, (_, i) =>
        authFailed(MONDAY + i * 30_000, { reason: 'unknown', ip: `203.0.113.${i + 1}`, key_prefix: prefix }),
      );

      const firstFour = failures.slice(0, 4).flatMap((event) => sut.observe(event));
      const fifth = sut.observe(failures[4]);

      expect(firstFour).toEqual([]);
      expect(fifth).toEqual([
        expect.objectContaining({
          rule: 'failed_auth_burst',
          severity: 'medium',
          key_prefix: prefix,
          dedup_key: `failed_auth_burst:prefix:${prefix}`,
          // Every address of the spread attack, not only the last one's.
          evidence: expect.objectContaining({
            observed: 5,
            ips: ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5'],
          }),
        }),
      ]);
      expect(fifth[0].summary).toContain('from 5 addresses');
    });

    it('raises the operators’ burst to high when a success from that IP follows, without naming the tenant’s key', () => {
      const burst = failuresFrom(attacker, MONDAY, 10, 10_000).flatMap((event) => sut.observe(event));

      const findings = sut.observe(keyUsed(keyId, MONDAY + 3 * MINUTE, { ip: attacker }));

      expect(ofRule(findings, 'failed_auth_burst')).toEqual([
        expect.objectContaining({ severity: 'high', account_id: null, dedup_key: burst[0].dedup_key }),
      ]);
      expect(ofRule(findings, 'failed_auth_burst')[0].key_id).toBeUndefined();
    });

    it('does not raise on a success from that IP after the window', () => {
      failuresFrom(attacker, MONDAY, 10, 10_000).forEach((event) => sut.observe(event));

      const findings = sut.observe(keyUsed(keyId, MONDAY + 90_000 + 6 * MINUTE, { ip: attacker }));

      expect(ofRule(findings, 'failed_auth_burst')).toEqual([]);
    });

    it('raises the alert of a burst tied to the account to high when a success follows', () => {
      const book = new AlertBook();
      const events = [
        ...failuresFrom(attacker, MONDAY, 10, 10_000, ACCOUNT),
        keyUsed(keyId, MONDAY + 3 * MINUTE, { ip: attacker }),
      ];

      events.forEach((event) => sut.observe(event).forEach((finding) => book.record(finding)));

      expect(book.alerts.filter((alert) => alert.rule === 'failed_auth_burst')).toEqual([
        expect.objectContaining({ severity: 'high', count: 2, account_id: ACCOUNT }),
      ]);
    });

    it('raises a burst against one key prefix to high when a success from one of its addresses follows', () => {
      const book = new AlertBook();
      const prefix = 'vxk_5e6f7a8b';
      const events = [
        ...Array.from({ length: 5 }, (_, i) =>
          authFailed(MONDAY + i * 10_000, { reason: 'unknown', ip: attacker, key_prefix: prefix }, ACCOUNT),
        ),
        keyUsed(keyId, MONDAY + 2 * MINUTE, { ip: attacker }),
      ];

      events.forEach((event) => sut.observe(event).forEach((finding) => book.record(finding)));

      expect(book.alerts.filter((alert) => alert.dedup_key === `failed_auth_burst:prefix:${prefix}`)).toEqual([
        expect.objectContaining({ severity: 'high', account_id: ACCOUNT, count: 2 }),
      ]);
    });

    it('raises a spread burst to high when a success comes from any of its addresses, not only the last', () => {
      const book = new AlertBook();
      const prefix = 'vxk_9c8d7e6f';
      const events = [
        ...Array.from({ length: 5 }, (_, i) =>
          authFailed(
            MONDAY + i * 10_000,
            { reason: 'unknown', ip: `198.51.100.${i + 1}`, key_prefix: prefix },
            ACCOUNT,
          ),
        ),
        keyUsed(keyId, MONDAY + 2 * MINUTE, { ip: '198.51.100.1' }),
      ];

      events.forEach((event) => sut.observe(event).forEach((finding) => book.record(finding)));

      expect(book.alerts.filter((alert) => alert.dedup_key === `failed_auth_burst:prefix:${prefix}`)).toEqual([
        expect.objectContaining({ severity: 'high', count: 2 }),
      ]);
    });

    it('raises one alert, the prefix’s, for one address failing against one key prefix, escalated by its success', () => {
      const book = new AlertBook();
      const prefix = 'vxk_3c4d5e6f';
      const events = [
        ...Array.from({ length: 12 }, (_, i) =>
          authFailed(MONDAY + i * 10_000, { reason: 'unknown', ip: attacker, key_prefix: prefix }, ACCOUNT),
        ),
        keyUsed(keyId, MONDAY + 3 * MINUTE, { ip: attacker }),
      ];

      events.forEach((event) => sut.observe(event).forEach((finding) => book.record(finding)));

      expect(book.alerts.filter((alert) => alert.rule === 'failed_auth_burst')).toEqual([
        expect.objectContaining({
          dedup_key: `failed_auth_burst:prefix:${prefix}`,
          severity: 'high',
          account_id: ACCOUNT,
          // The prefix attacked stays the alert's; the key that then succeeded from that address (another key)
          // is named in the evidence: the one most likely in the wrong hands.
          key_prefix: prefix,
          // Failures 5 to 12 and the success.
          count: 9,
          evidence: expect.objectContaining({
            ips: [attacker],
            succeeded_key_id: keyId,
            succeeded_key_prefix: `vxk_${keyId.slice(0, 8)}`,
          }),
        }),
      ]);
    });

    it.each([
      ['another key prefix', { key_prefix: 'vxk_0f0f0f0f' }],
      ['no readable prefix', {}],
    ])('raises the address’s burst too once its failures go beyond one prefix (%s)', (_case, last) => {
      const prefix = 'vxk_3c4d5e6f';
      const events = [
        ...Array.from({ length: 9 }, (_, i) =>
          authFailed(MONDAY + i * 10_000, { reason: 'unknown', ip: attacker, key_prefix: prefix }, ACCOUNT),
        ),
        authFailed(MONDAY + 9 * 10_000, { reason: 'unknown', ip: attacker, ...last }, ACCOUNT),
      ];

      const findings = events.flatMap((event) => sut.observe(event));

      expect(findings.filter((finding) => finding.dedup_key === `failed_auth_burst:ip:${attacker}`)).toEqual([
        expect.objectContaining({ severity: 'medium', evidence: expect.objectContaining({ observed: 10 }) }),
      ]);
    });

    it('tells each account with failures in a mixed burst, not only the operators, and escalates its own on its success', () => {
      const book = new AlertBook();
      const other = randomUUID();
      const against = (at: number, accountId: string | null) =>
        authFailed(at, { reason: 'unknown', ip: attacker, key_prefix: `vxk_${String(at % 7).repeat(8)}` }, accountId);
      const observe = (event: EventEnvelope) => {
        const findings = sut.observe(event);
        findings.forEach((finding) => book.record(finding));
        return ofRule(findings, 'failed_auth_burst').filter((f) => f.dedup_key === `failed_auth_burst:ip:${attacker}`);
      };
      // 6 against ACCOUNT's keys, 3 against another account's, then one tied to none crosses the threshold.
      [...Array.from({ length: 6 }, (_, i) => against(MONDAY + i * 1_000, ACCOUNT))]
        .concat(Array.from({ length: 3 }, (_, i) => against(MONDAY + (6 + i) * 1_000, other)))
        .forEach((event) => expect(observe(event)).toEqual([]));

      const crossing = observe(against(MONDAY + 9_000, null));
      // The other account, with 3 of them (under half of a burst), is not alarmed.
      const told = `10 failed authentications from ${attacker} within 5 minutes`;
      expect(crossing.map((finding) => [finding.account_id, finding.summary])).toEqual([
        [null, `${told}.`],
        [ACCOUNT, `${told}, 6 of them against this account's keys.`],
      ]);
      expect(crossing.every((finding) => finding.key_id === undefined && finding.key_prefix === undefined)).toBe(true);
      // Each further failure is told to the operators and to the account it is against; the other account hears of
      // the burst once 5 of its failures are in it.
      const toldTo = (at: number, accountId: string) =>
        observe(against(at, accountId)).map((finding) => finding.account_id);
      expect(toldTo(MONDAY + 10_000, ACCOUNT)).toEqual([null, ACCOUNT]);
      expect(toldTo(MONDAY + 11_000, other)).toEqual([null]);
      expect(toldTo(MONDAY + 12_000, other)).toEqual([null, other]);
      expect(toldTo(MONDAY + 13_000, ACCOUNT)).toEqual([null, ACCOUNT]);

      observe(keyUsed(keyId, MONDAY + MINUTE, { ip: attacker }));
      // After the escalation, a failure against the other account is told to it, not again to this one.
      expect(toldTo(MONDAY + MINUTE + 1_000, other)).toEqual([null, other]);

      const bursts = book.alerts.filter((alert) => alert.dedup_key === `failed_auth_burst:ip:${attacker}`);
      expect(bursts.map((alert) => [alert.account_id, alert.severity, alert.count])).toEqual([
        [null, 'high', 7],
        [ACCOUNT, 'high', 4],
        [other, 'medium', 2],
      ]);
    });

    it('does not tell an account of a burst again when the count comes back to the threshold with others’ failures', () => {
      const failure = (at: number, accountId: string | null) =>
        authFailed(at, { reason: 'unknown', ip: attacker, key_prefix: `vxk_${String(at % 9).repeat(8)}` }, accountId);
      const tellings = (at: number, accountId: string | null) =>
        ofRule(sut.observe(failure(at, accountId)), 'failed_auth_burst')
          .filter((f) => f.dedup_key === `failed_auth_burst:ip:${attacker}`)
          .map((f) => f.account_id);
      for (let i = 0; i < 4; i += 1) tellings(MONDAY + i * 1_000, null);
      for (let i = 4; i < 9; i += 1) tellings(MONDAY + i * 1_000, ACCOUNT);
      expect(tellings(MONDAY + 9_000, ACCOUNT)).toEqual([null, ACCOUNT]);

      // The first failure has left the window: the count is 10 again, with a failure that is not the account's.
      expect(tellings(MONDAY + 301_000, null)).toEqual([null]);
    });

    it('tells an account of an address’s burst that began as one prefix’s, once it goes beyond that prefix', () => {
      const prefix = 'vxk_3c4d5e6f';
      for (let i = 0; i < 10; i += 1)
        sut.observe(authFailed(MONDAY + i * 1_000, { reason: 'unknown', ip: attacker, key_prefix: prefix }, ACCOUNT));

      const beyond = ofRule(
        sut.observe(authFailed(MONDAY + 10_000, { reason: 'unknown', ip: attacker }, null)),
        'failed_auth_burst',
      ).filter((f) => f.dedup_key === `failed_auth_burst:ip:${attacker}`);

      expect(beyond.map((f) => [f.account_id, f.summary])).toEqual([
        [null, `11 failed authentications from ${attacker} within 5 minutes.`],
        [
          ACCOUNT,
          `11 failed authentications from ${attacker} within 5 minutes, 10 of them against this account's keys.`,
        ],
      ]);
    });

    it('escalates an account’s burst once when its share of a mixed burst became the whole burst', () => {
      const failure = (at: number, accountId: string | null) =>
        authFailed(at, { reason: 'unknown', ip: attacker, key_prefix: `vxk_${String(at % 9).repeat(8)}` }, accountId);
      // 4 tied to no account, then 6 of ACCOUNT's: a mixed burst, ACCOUNT told (its share).
      for (let i = 0; i < 10; i += 1) sut.observe(failure(MONDAY + i * 1_000, i < 4 ? null : ACCOUNT));
      // Later, within the window of ACCOUNT's failures but past the others': a burst of ACCOUNT's alone.
      for (let i = 0; i < 6; i += 1) sut.observe(failure(MONDAY + 250_000 + i * 1_000, ACCOUNT));
      const alone = ofRule(sut.observe(failure(MONDAY + 304_000, ACCOUNT)), 'failed_auth_burst');
      expect(alone.filter((f) => f.dedup_key.startsWith('failed_auth_burst:ip')).map((f) => f.account_id)).toEqual([
        ACCOUNT,
      ]);

      const success = ofRule(sut.observe(keyUsed(keyId, MONDAY + 305_000, { ip: attacker })), 'failed_auth_burst');

      expect(success.filter((f) => f.dedup_key === `failed_auth_burst:ip:${attacker}`)).toEqual([
        expect.objectContaining({ account_id: ACCOUNT, severity: 'high' }),
      ]);
    });

    it('keeps the address’s burst when the prefix’s threshold is set above the address’s', () => {
      const detector = new Detector({ ...DEFAULT_DETECTOR_CONFIG, burstPerIp: 10, burstPerPrefix: 15 });
      const prefix = 'vxk_3c4d5e6f';
      const findings = Array.from({ length: 16 }, (_, i) =>
        detector.observe(
          authFailed(MONDAY + i * 1_000, { reason: 'unknown', ip: attacker, key_prefix: prefix }, ACCOUNT),
        ),
      ).map((each) => ofRule(each, 'failed_auth_burst').map((f) => f.dedup_key.split(':')[1]));

      expect(findings.slice(9)).toEqual([['ip'], ['ip'], ['ip'], ['ip'], ['ip'], ['ip', 'prefix'], ['ip', 'prefix']]);
    });

    it('raises the operators’ alert of an unattributed burst to high when a success from that IP follows', () => {
      const book = new AlertBook();
      const events = [
        ...failuresFrom(attacker, MONDAY, 10, 10_000),
        keyUsed(keyId, MONDAY + 3 * MINUTE, { ip: attacker }),
      ];

      events.forEach((event) => sut.observe(event).forEach((finding) => book.record(finding)));

      const burstAlert = book.alerts.find((alert) => alert.rule === 'failed_auth_burst' && alert.account_id === null);
      expect(burstAlert).toMatchObject({ severity: 'high' });
    });
  });

  describe('revoked_key_use', () => {
    it.each(['revoked', 'expired'])('fires medium on an attempt with a key that is %s', (reason) => {
      const findings = sut.observe(
        authFailed(MONDAY, { reason, ip: '192.0.2.99', key_id: keyId, key_prefix: 'vxk_0badc0de' }, ACCOUNT),
      );

      expect(ofRule(findings, 'revoked_key_use')).toEqual([
        expect.objectContaining({
          severity: 'medium',
          account_id: ACCOUNT,
          key_id: keyId,
          dedup_key: `revoked_key_use:${keyId}`,
          evidence: expect.objectContaining({ observed: reason, ips: ['192.0.2.99'] }),
        }),
      ]);
    });

    it.each([
      ['revoked', 'Someone tried to use a revoked key from 192.0.2.99.'],
      ['expired', 'Someone tried to use an expired key from 192.0.2.99.'],
    ])('says in its summary that the key is %s, with the right article', (reason, summary) => {
      const findings = sut.observe(authFailed(MONDAY, { reason, ip: '192.0.2.99', key_id: keyId }, ACCOUNT));

      expect(ofRule(findings, 'revoked_key_use').map((finding) => finding.summary)).toEqual([summary]);
    });

    it('does not fire on an unknown key', () => {
      const findings = sut.observe(
        authFailed(MONDAY, { reason: 'unknown', ip: '192.0.2.99', key_prefix: 'vxk_0badc0de' }),
      );

      expect(ofRule(findings, 'revoked_key_use')).toEqual([]);
    });

    it('folds every attempt into one alert counting them', () => {
      const book = new AlertBook();

      for (let i = 0; i < 3; i += 1) {
        const event = authFailed(
          MONDAY + i * 10 * MINUTE,
          { reason: 'revoked', ip: '192.0.2.99', key_id: keyId },
          ACCOUNT,
        );
        sut.observe(event).forEach((finding) => book.record(finding));
      }

      expect(book.alerts).toEqual([expect.objectContaining({ rule: 'revoked_key_use', count: 3 })]);
    });
  });

  describe('key_leaked', () => {
    const revocation = (reason: string, data: object = {}): EventEnvelope => {
      const event = eventAt('key.revoked', `api_key-${keyId}`, MONDAY, { reason, ...data }, ACCOUNT);
      return { ...event, meta: { ...event.meta, key_id: keyId } };
    };

    it('fires high when a key is revoked because it was reported as leaked, naming where', () => {
      const findings = sut.observe(
        revocation('leaked', { key_prefix: 'vxk_0123abcd', source_url: 'https://gist.example.com/x' }),
      );

      expect(findings).toEqual([
        expect.objectContaining({
          rule: 'key_leaked',
          severity: 'high',
          account_id: ACCOUNT,
          key_id: keyId,
          key_prefix: 'vxk_0123abcd',
          dedup_key: `key_leaked:${keyId}`,
          summary: 'The key was reported as exposed in public and has been revoked.',
          evidence: expect.objectContaining({ samples: ['https://gist.example.com/x'] }),
        }),
      ]);
    });

    it.each(['user', 'rotated', 'admin', 'anomaly'])('stays quiet for a key revoked with reason %s', (reason) => {
      expect(sut.observe(revocation(reason))).toEqual([]);
    });
  });

  describe('oauth_token_reuse', () => {
    const grantId = randomUUID();
    const clientId = randomUUID();
    const grantRevoked = (reason: string, details: object = {}): EventEnvelope => {
      const event = eventAt(
        'oauth.grant_revoked',
        `oauth-grant-${grantId}`,
        MONDAY,
        { grant_id: grantId, client_id: clientId, client_name: 'Claude Code', reason, ...details },
        ACCOUNT,
      );
      return { ...event, meta: { ...event.meta, ip: '203.0.113.9' } };
    };

    it.each([
      ['refresh_token_reuse', 'a refresh token used a second time'],
      ['code_reuse', 'an authorization code used a second time'],
    ])('fires high when a grant is revoked for %s, with the app and address in the evidence', (reason, observed) => {
      expect(sut.observe(grantRevoked(reason))).toEqual([
        {
          rule: 'oauth_token_reuse',
          severity: 'high',
          account_id: ACCOUNT,
          dedup_key: `oauth_token_reuse:${grantId}`,
          at: new Date(MONDAY).toISOString(),
          summary: expect.stringMatching(/^A connected app's access was revoked because .* used twice/),
          evidence: {
            observed,
            window: 'one token',
            ips: ['203.0.113.9'],
            reuse_ip: '203.0.113.9',
            samples: ['Claude Code'],
            client_id: clientId,
            grant_id: grantId,
          },
        },
      ]);
    });

    it('names both addresses of a reused refresh token: either may be the thief', () => {
      const [finding] = sut.observe(grantRevoked('refresh_token_reuse', { first_use_ip: '198.51.100.4' }));
      expect(finding.evidence).toMatchObject({
        ips: ['198.51.100.4', '203.0.113.9'],
        first_use_ip: '198.51.100.4',
        reuse_ip: '203.0.113.9',
      });
    });

    it('stays quiet for a grant revoked with a reuse but no account (nothing to tell)', () => {
      const event = grantRevoked('refresh_token_reuse');
      expect(sut.observe({ ...event, meta: { ...event.meta, account_id: null } })).toEqual([]);
    });
    it.each(['user', 'replaced', 'token_revocation'])('stays quiet for a grant revoked with reason %s', (reason) => {
      expect(sut.observe(grantRevoked(reason))).toEqual([]);
    });

    it('keeps the self-chosen app name out of the summary people act on', () => {
      const event = grantRevoked('refresh_token_reuse');
      const named = { ...event, data: { ...event.data, client_name: 'Visit https://evil.example to fix this' } };

      const [finding] = sut.observe(named);

      expect(finding.summary).not.toContain('evil');
      expect(finding.evidence.samples).toEqual(['Visit https://evil.example to fix this']);
    });
  });

  describe('apps connected over MCP (oauth_token.used)', () => {
    const grantId = randomUUID();
    const clientId = randomUUID();
    const appUsed = (at: number, data: object = {}): EventEnvelope =>
      eventAt(
        'oauth_token.used',
        `oauth-usage-${grantId}`,
        at,
        { grant_id: grantId, client_id: clientId, status: 200, ip: '192.0.2.10', location: LONDON, ...data },
        ACCOUNT,
      );

    it('watches an app like a key: a new country, named by its grant and client, without a key', () => {
      sut.observe(appUsed(MONDAY));
      const findings = sut.observe(appUsed(MONDAY + 2 * DAY, { location: SYDNEY, ip: '203.0.113.50' }));

      expect(findings).toEqual([
        expect.objectContaining({
          rule: 'new_location',
          severity: 'medium',
          account_id: ACCOUNT,
          dedup_key: `new_location:grant:${grantId}:AU`,
          summary: expect.stringMatching(/^A connected app was used from AU/),
          evidence: expect.objectContaining({ country: 'AU', grant_id: grantId, client_id: clientId }),
        }),
      ]);
      expect(findings[0]).not.toHaveProperty('key_id');
      expect(findings[0]).not.toHaveProperty('key_prefix');
    });

    it('keeps an app apart from the keys: its state is its grant’s', () => {
      sut.observe(keyUsed(keyId, MONDAY, { location: LONDON }));
      sut.observe(appUsed(MONDAY + DAY, { location: SYDNEY }));

      expect(sut.takeChanges().keys.map(([id]) => id)).toEqual([keyId, `grant:${grantId}`]);
      // The key never saw Sydney, nor the app London before: each has its own first country.
      expect(ofRule(sut.observe(keyUsed(keyId, MONDAY + 2 * DAY, { location: LONDON })), 'new_location')).toEqual([]);
      expect(ofRule(sut.observe(appUsed(MONDAY + 2 * DAY, { location: SYDNEY })), 'new_location')).toEqual([]);
    });

    it('spikes on an app’s requests, and ignores requests refused inside their answer or with an error status', () => {
      const findings: Finding[] = [];
      for (let index = 0; index < 1_001; index += 1)
        findings.push(...sut.observe(appUsed(MONDAY + index * 100, { location: null })));
      expect(ofRule(findings, 'request_spike')).toEqual([
        expect.objectContaining({
          dedup_key: `request_spike:grant:${grantId}`,
          evidence: expect.objectContaining({ grant_id: grantId }),
        }),
      ]);

      const other = new Detector();
      const refused: Finding[] = [];
      for (let index = 0; index < 1_001; index += 1)
        refused.push(
          ...other.observe(appUsed(MONDAY + index * 100, { location: null, error_code: 'VALIDATION_FAILED' })),
          ...other.observe(appUsed(MONDAY + index * 100, { location: null, status: 403 })),
        );
      expect(refused).toEqual([]);
      expect(other.takeChanges().keys).toEqual([]);
    });

    it('escalates the account’s burst when the app succeeds from that address, naming the app; the operators’ names none', () => {
      const attacker = '198.51.100.77';
      const burst = (accountId: string | null) =>
        Array.from({ length: 10 }, (_, i) =>
          authFailed(MONDAY + i * 10_000, { reason: 'unknown', ip: attacker }, accountId),
        );
      burst(ACCOUNT).forEach((event) => sut.observe(event));
      const [ours] = ofRule(sut.observe(appUsed(MONDAY + 3 * MINUTE, { ip: attacker })), 'failed_auth_burst');
      expect(ours).toMatchObject({
        severity: 'high',
        account_id: ACCOUNT,
        evidence: { observed: 'success after burst', grant_id: grantId, client_id: clientId },
      });
      expect(ours).not.toHaveProperty('key_id');

      const other = new Detector();
      burst(null).forEach((event) => other.observe(event));
      const [operators] = ofRule(other.observe(appUsed(MONDAY + 3 * MINUTE, { ip: attacker })), 'failed_auth_burst');
      expect(operators).toMatchObject({ severity: 'high', account_id: null });
      expect(operators.evidence).not.toHaveProperty('grant_id');
    });

    it('forgets an app an hour after its grant is revoked, whatever the reason', () => {
      sut.observe(appUsed(MONDAY));
      sut.takeChanges();
      const revoked = eventAt(
        'oauth.grant_revoked',
        `oauth-grant-${grantId}`,
        MONDAY + MINUTE,
        { grant_id: grantId, client_id: clientId, reason: 'user' },
        ACCOUNT,
      );
      expect(sut.observe(revoked)).toEqual([]);
      expect(sut.holds(`grant:${grantId}`)).toBe(true);
      sut.observe(keyUsed(keyId, MONDAY + 2 * HOUR));
      expect(sut.holds(`grant:${grantId}`)).toBe(false);
    });

    it('learns a country resolved as legitimate for the app', () => {
      sut.observe(appUsed(MONDAY));
      const [finding] = sut.observe(appUsed(MONDAY + DAY, { location: SYDNEY }));
      sut.learnLegitimate('new_location', `grant:${grantId}`, finding.evidence);
      sut.observe(appUsed(MONDAY + 2 * DAY, { location: LONDON }));

      expect(ofRule(sut.observe(appUsed(MONDAY + 40 * DAY, { location: SYDNEY })), 'new_location')).toEqual([]);
    });
  });

  describe('determinism', () => {
    function scenario(): EventEnvelope[] {
      const events: EventEnvelope[] = [];
      for (let i = 0; i < 12; i += 1)
        events.push(authFailed(MONDAY + i * 5_000, { reason: 'unknown', ip: '198.51.100.7' }));
      events.push(keyUsed(keyId, MONDAY + MINUTE, { location: LONDON }));
      events.push(keyUsed(keyId, MONDAY + 2 * DAY, { location: SYDNEY, ip: '198.51.100.7' }));
      events.push(authFailed(MONDAY + 3 * DAY, { reason: 'revoked', ip: '192.0.2.99', key_id: keyId }, ACCOUNT));
      return events;
    }

    it('gives the same findings for the same events, also across a save and restore of its state', () => {
      const events = scenario();
      const straight = events.flatMap((event) => sut.observe(event));
      const first = new Detector();
      const firstHalf = events.slice(0, 7).flatMap((event) => first.observe(event));
      const restored = new Detector(DEFAULT_DETECTOR_CONFIG, JSON.parse(JSON.stringify(first.state)));
      const secondHalf = events.slice(7).flatMap((event) => restored.observe(event));

      expect([...firstHalf, ...secondHalf]).toEqual(straight);
      expect(straight.map((finding) => finding.rule)).toEqual([
        'failed_auth_burst',
        'failed_auth_burst',
        'failed_auth_burst',
        'new_location',
        'revoked_key_use',
      ]);
    });
  });

  describe('takeChanges', () => {
    it('names only the keys and the failure-window entries a batch touched', () => {
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      sut.observe(keyUsed(a, MONDAY));
      sut.observe(keyUsed(b, MONDAY));
      sut.observe(keyUsed(c, MONDAY));
      const first = sut.takeChanges();
      expect(first.keys.map(([keyId]) => keyId).sort()).toEqual([a, b, c].sort());
      expect(first.windows).toEqual([]);

      sut.observe(keyUsed(b, MONDAY + MINUTE));
      const second = sut.takeChanges();
      expect(second.keys).toEqual([[b, sut.state.keys[b]]]);
      expect(second.windows).toEqual([]);

      sut.observe(authFailed(MONDAY + 2 * MINUTE, { reason: 'unknown', ip: '198.51.100.7' }));
      sut.observe(
        authFailed(MONDAY + 3 * MINUTE, { reason: 'unknown', ip: '198.51.100.8', key_prefix: 'vxk_00000000' }),
      );
      const third = sut.takeChanges();
      expect(third.keys).toEqual([]);
      expect(third.windows).toEqual([
        { bucket: 'failuresByIp', name: '198.51.100.7', value: [[MONDAY + 2 * MINUTE, null]] },
        { bucket: 'failuresByPrefix', name: 'vxk_00000000', value: [[MONDAY + 3 * MINUTE, '198.51.100.8']] },
        { bucket: 'failuresByIp', name: '198.51.100.8', value: [[MONDAY + 3 * MINUTE, null, 'vxk_00000000']] },
      ]);
      expect(sut.takeChanges()).toEqual({ keys: [], removedKeys: [], windows: [] });

      // Past the window, the next failure sweeps the old entries: they are named as gone.
      sut.observe(authFailed(MONDAY + HOUR, { reason: 'unknown', ip: '198.51.100.9' }));
      expect(sut.takeChanges().windows).toEqual([
        { bucket: 'failuresByIp', name: '198.51.100.9', value: [[MONDAY + HOUR, null]] },
        { bucket: 'failuresByIp', name: '198.51.100.7', value: null },
        { bucket: 'failuresByIp', name: '198.51.100.8', value: null },
        { bucket: 'failuresByPrefix', name: 'vxk_00000000', value: null },
      ]);
      expect(Object.keys(sut.state.failuresByIp)).toEqual(['198.51.100.9']);
    });

    it('drops what it learned of a revoked key an hour after the revocation, and names it as removed', () => {
      const [kept, revoked] = [randomUUID(), randomUUID()];
      sut.observe(keyUsed(kept, MONDAY));
      sut.observe(keyUsed(revoked, MONDAY));
      sut.takeChanges();
      const revocation = eventAt('key.revoked', `api_key-${revoked}`, MONDAY + HOUR, { reason: 'user' }, ACCOUNT);
      expect(sut.observe({ ...revocation, meta: { ...revocation.meta, key_id: revoked } })).toEqual([]);
      expect(sut.takeChanges().keys).toEqual([[revoked, expect.objectContaining({ retiredAt: MONDAY + HOUR })]]);

      // A use still in flight finds the key's history, not a fresh state.
      sut.observe(keyUsed(revoked, MONDAY + HOUR + 1));
      expect(sut.state.keys[revoked]).toMatchObject({ firstSeen: MONDAY, retiredAt: MONDAY + HOUR });
      sut.takeChanges();

      sut.observe(keyUsed(kept, MONDAY + 2 * HOUR + MINUTE));
      expect(Object.keys(sut.state.keys)).toEqual([kept]);
      expect(sut.takeChanges()).toEqual({ keys: [[kept, sut.state.keys[kept]]], removedKeys: [revoked], windows: [] });
    });

    it('drops what it learned of an expired key an hour after the expiry', () => {
      const keyId = randomUUID();
      sut.observe(keyUsed(keyId, MONDAY));
      const expiry = eventAt('key.expired', `api_key-${keyId}`, MONDAY + HOUR, { expires_at: 'x' }, ACCOUNT);
      expect(sut.observe({ ...expiry, meta: { ...expiry.meta, key_id: keyId } })).toEqual([]);
      expect(sut.state.keys[keyId]).toMatchObject({ retiredAt: MONDAY + HOUR });
      sut.observe(authFailed(MONDAY + 2 * HOUR + MINUTE, { reason: 'expired', ip: '192.0.2.1', key_id: keyId }));
      expect(sut.state.keys).not.toHaveProperty(keyId);
      expect(sut.takeChanges().removedKeys).toEqual([keyId]);
    });

    it('takes keys read from storage as if it had learned them, and lets them all go once their changes are taken', () => {
      const [held, stored, retired] = [randomUUID(), randomUUID(), randomUUID()];
      sut.observe(keyUsed(held, MONDAY));
      const learned = new Detector();
      learned.observe(keyUsed(stored, MONDAY - HOUR));
      learned.observe(keyUsed(retired, MONDAY - HOUR));
      const revocation = eventAt('key.revoked', `api_key-${retired}`, MONDAY, { reason: 'user' }, ACCOUNT);
      learned.observe({ ...revocation, meta: { ...revocation.meta, key_id: retired } });
      const rows = learned.takeChanges().keys;

      expect(() => sut.releaseKeys()).toThrow('changes not taken yet');
      sut.adoptKeys([...rows, [held, rows[0][1]]]);
      expect([sut.holds(held), sut.holds(stored), sut.holds(retired)]).toEqual([true, true, true]);
      expect(sut.state.keys[held]).toMatchObject({ firstSeen: MONDAY }); // a key held keeps its own state
      sut.observe(keyUsed(stored, MONDAY + MINUTE));
      expect(sut.state.keys[stored]).toMatchObject({ firstSeen: MONDAY - HOUR });

      // The adopted retired key is swept an hour after its revocation, as if it had been learned here.
      sut.observe(keyUsed(held, MONDAY + HOUR + 2 * MINUTE));
      expect(sut.holds(retired)).toBe(false);
      expect(sut.takeChanges().removedKeys).toEqual([retired]);

      sut.releaseKeys();
      expect(sut.keyCount).toBe(0);
    });

    it('gives an address’s burst to an account alone only when every failure in it was against that account', () => {
      const other = randomUUID();
      const failures = (ip: string, accounts: (string | null)[]) =>
        accounts.flatMap((account, i) =>
          sut.observe(authFailed(MONDAY + i * 1_000, { reason: 'revoked', ip, key_id: randomUUID() }, account)),
        );
      const own = ofRule(failures('203.0.113.1', Array(10).fill(ACCOUNT)), 'failed_auth_burst');
      expect(own).toEqual([
        expect.objectContaining({ account_id: ACCOUNT, evidence: expect.objectContaining({ observed: 10 }) }),
      ]);

      const mixed = ofRule(failures('203.0.113.2', [...Array(9).fill(other), ACCOUNT]), 'failed_auth_burst');
      expect(mixed.map((finding) => finding.account_id)).toEqual([null, other]);
      expect(mixed.some((finding) => 'key_id' in finding)).toBe(false);
      expect(sut.state.burstIps['203.0.113.2']).toMatchObject({ account_id: null });
    });

    it('names a key a resolution taught, and restores to the same state from the saved parts', () => {
      const keyId = randomUUID();
      sut.observe(keyUsed(keyId, MONDAY, { location: LONDON }));
      sut.takeChanges();
      sut.learnLegitimate('new_location', keyId, { country: 'AU' });
      const learned = sut.takeChanges();
      expect(learned.keys).toEqual([[keyId, expect.objectContaining({ trustedCountries: ['AU'] })]]);

      const restored = new Detector(DEFAULT_DETECTOR_CONFIG, {
        failuresByIp: {},
        failuresByPrefix: {},
        burstIps: {},
        keys: Object.fromEntries(JSON.parse(JSON.stringify(learned.keys))),
      });
      expect(ofRule(restored.observe(keyUsed(keyId, MONDAY + HOUR, { location: SYDNEY })), 'new_location')).toEqual([]);
    });
  });
});

describe('detectorConfig', () => {
  it('keeps the defaults, overrides named thresholds, and refuses unknown or non-positive ones', () => {
    expect(detectorConfig('')).toEqual(DEFAULT_DETECTOR_CONFIG);
    expect(detectorConfig('{"burstPerIp":20}')).toEqual({ ...DEFAULT_DETECTOR_CONFIG, burstPerIp: 20 });
    expect(() => detectorConfig('{"burstPerIP":20}')).toThrow(/unknown threshold "burstPerIP"/);
    expect(() => detectorConfig('{"burstPerIp":0}')).toThrow(/positive/);
    expect(() => detectorConfig('[1]')).toThrow(/JSON object/);
    expect(() => detectorConfig('{nope')).toThrow();
  });

  it('changes what the rules do', () => {
    const strict = new Detector(detectorConfig('{"burstPerIp":3}'));
    const findings = [0, 1, 2].flatMap((i) =>
      strict.observe({
        id: randomUUID(),
        type: 'auth.failed',
        stream: 'auth-unattributed',
        version: 0,
        occurred_at: new Date(MONDAY + i * 1_000).toISOString(),
        data: { reason: 'unknown', ip: '198.51.100.9' },
        meta: { request_id: 'config', account_id: null },
      }),
    );
    expect(ofRule(findings, 'failed_auth_burst')).toHaveLength(1);
  });
});
