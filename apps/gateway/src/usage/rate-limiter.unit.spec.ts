import { HourlyRateLimiter, type RateDecision, rateLimitHeaders } from './rate-limiter';

const HOUR = Math.floor(Date.UTC(2026, 10, 26, 10, 15, 0) / 3_600_000);
const NEXT_TOP_OF_HOUR = Date.UTC(2026, 10, 26, 11, 0, 0) / 1000;

describe('HourlyRateLimiter', () => {
  let now: number;
  let sut: HourlyRateLimiter;

  beforeEach(() => {
    now = Date.UTC(2026, 10, 26, 10, 15, 0);
    sut = new HourlyRateLimiter(() => now);
  });

  function consumeTimes(accountId: string, limit: number, times: number): RateDecision[] {
    return Array.from({ length: times }, () => sut.consume(accountId, limit));
  }

  it('admits exactly the limit: with 1000 the 1000th call is allowed and the 1001st refused', () => {
    const decisions = consumeTimes('acc-1', 1000, 1001);

    expect(decisions.slice(0, 1000).every((decision) => decision.allowed)).toBe(true);
    expect(decisions[0]).toMatchObject({ allowed: true, limit: 1000, remaining: 999 });
    expect(decisions[999]).toMatchObject({ allowed: true, limit: 1000, remaining: 0 });
    expect(decisions[1000]).toMatchObject({ allowed: false, limit: 1000, remaining: 0 });
  });

  it.each([1, 10, 10_000])('admits exactly %i requests in an hour', (limit) => {
    const decisions = consumeTimes('acc-1', limit, limit + 5);

    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(limit);
    expect(decisions.slice(limit).every((decision) => !decision.allowed)).toBe(true);
  });

  it('does not count refused calls', () => {
    consumeTimes('acc-1', 1000, 1000);

    const refused = consumeTimes('acc-1', 1000, 50);

    expect(refused.every((decision) => !decision.allowed && decision.remaining === 0)).toBe(true);
    expect(sut.consume('acc-1', 1001)).toMatchObject({ allowed: true, limit: 1001, remaining: 0 });
    expect(sut.consume('acc-1', 1001)).toMatchObject({ allowed: false, remaining: 0 });
  });

  it('counts a request refused for another reason (countRefused)', () => {
    sut.consume('acc-1', 10);

    const refused = sut.countRefused('acc-1', 10);

    expect(refused).toMatchObject({ limit: 10, remaining: 8 });
    expect(sut.consume('acc-1', 10)).toMatchObject({ allowed: true, remaining: 7 });
  });

  it('tells where an account stands without counting (peek)', () => {
    sut.consume('acc-1', 10);

    expect(sut.peek('acc-1', 10)).toMatchObject({ allowed: true, limit: 10, remaining: 9 });
    expect(sut.peek('acc-1', 10)).toMatchObject({ remaining: 9 });
    expect(sut.consume('acc-1', 10)).toMatchObject({ remaining: 8 });
  });

  it('lets countRefused use up the limit', () => {
    for (let i = 0; i < 3; i++) sut.countRefused('acc-1', 3);

    expect(sut.consume('acc-1', 3)).toMatchObject({ allowed: false, remaining: 0 });
  });

  it('keeps accounts independent', () => {
    consumeTimes('acc-1', 5, 5);

    expect(sut.consume('acc-1', 5).allowed).toBe(false);
    expect(sut.consume('acc-2', 5)).toMatchObject({ allowed: true, remaining: 4 });
    expect(sut.consume('acc-1', 5).allowed).toBe(false);
  });

  it('resets the window at the top of the hour', () => {
    consumeTimes('acc-1', 1000, 1001);
    now = Date.UTC(2026, 10, 26, 10, 59, 59, 999);
    expect(sut.consume('acc-1', 1000).allowed).toBe(false);

    now = Date.UTC(2026, 10, 26, 11, 0, 0, 0);

    expect(sut.consume('acc-1', 1000)).toMatchObject({ allowed: true, remaining: 999 });
  });

  it.each([
    ['at 10:15:00', Date.UTC(2026, 10, 26, 10, 15, 0), NEXT_TOP_OF_HOUR, 2700],
    ['at 10:00:00.000', Date.UTC(2026, 10, 26, 10, 0, 0, 0), NEXT_TOP_OF_HOUR, 3600],
    ['at 10:59:59.000', Date.UTC(2026, 10, 26, 10, 59, 59, 0), NEXT_TOP_OF_HOUR, 1],
    ['at 10:59:59.999', Date.UTC(2026, 10, 26, 10, 59, 59, 999), NEXT_TOP_OF_HOUR, 1],
    ['at 10:59:58.500', Date.UTC(2026, 10, 26, 10, 59, 58, 500), NEXT_TOP_OF_HOUR, 2],
    ['at 11:00:00.000', Date.UTC(2026, 10, 26, 11, 0, 0, 0), NEXT_TOP_OF_HOUR + 3600, 3600],
    ['at 23:30 (next day)', Date.UTC(2026, 10, 26, 23, 30, 0), Date.UTC(2026, 10, 27, 0, 0, 0) / 1000, 1800],
  ])('answers resetAt and secondsToReset %s', (_, at, resetAt, secondsToReset) => {
    now = at;

    const decision = sut.consume('acc-1', 1000);

    expect(decision.resetAt).toBe(resetAt);
    expect(Number.isInteger(decision.resetAt)).toBe(true);
    expect(decision.secondsToReset).toBe(secondsToReset);
  });

  it('answers resetAt and secondsToReset on a refusal too', () => {
    consumeTimes('acc-1', 1, 1);
    now = Date.UTC(2026, 10, 26, 10, 59, 59, 999);

    expect(sut.consume('acc-1', 1)).toEqual({
      allowed: false,
      limit: 1,
      remaining: 0,
      resetAt: NEXT_TOP_OF_HOUR,
      secondsToReset: 1,
    });
  });

  it('takeChanged returns the running counts of the accounts that changed since the last call', () => {
    consumeTimes('acc-1', 100, 3);
    consumeTimes('acc-2', 100, 2);
    sut.countRefused('acc-2', 100);

    const taken = sut.takeChanged();
    const again = sut.takeChanged();
    sut.consume('acc-1', 100);
    const later = sut.takeChanged();

    expect(taken.hour).toBe(HOUR);
    expect(taken.totals).toEqual(
      new Map([
        ['acc-1', 3],
        ['acc-2', 3],
      ]),
    );
    expect(taken.accounts.sort()).toEqual(['acc-1', 'acc-2']);
    expect(again.totals.size).toBe(0);
    expect(again.accounts.sort()).toEqual(['acc-1', 'acc-2']);
    // The hour's count so far, not what came since: sent twice, the ledger keeps it once.
    expect(later.totals).toEqual(new Map([['acc-1', 4]]));
  });

  it('takeChanged does not report refused (429) calls', () => {
    consumeTimes('acc-1', 2, 5);

    expect(sut.takeChanged().totals.get('acc-1')).toBe(2);
  });

  it('takeChanged does not forget the local count', () => {
    consumeTimes('acc-1', 3, 3);
    sut.takeChanged();

    expect(sut.consume('acc-1', 3).allowed).toBe(false);
  });

  it('restoreChanged sends the accounts again with their count by then', () => {
    consumeTimes('acc-1', 100, 3);
    const taken = sut.takeChanged();
    sut.consume('acc-1', 100);

    sut.restoreChanged(taken.hour, taken.totals.keys());

    expect(sut.takeChanged().totals).toEqual(new Map([['acc-1', 4]]));
  });

  it('restoreChanged ignores the accounts of another hour', () => {
    consumeTimes('acc-1', 100, 3);
    const taken = sut.takeChanged();

    sut.restoreChanged(taken.hour - 1, taken.totals.keys());

    expect(sut.takeChanged().totals.size).toBe(0);
  });

  it('a sync sent again after a timeout that hid its success takes nothing from the others', () => {
    consumeTimes('acc-1', 1000, 3);
    const first = sut.takeChanged();
    // The ledger stored 3 but the answer was lost: the same accounts go again, with the same count.
    sut.restoreChanged(first.hour, first.totals.keys());
    const resent = sut.takeChanged();
    expect(resent.totals).toEqual(new Map([['acc-1', 3]]));

    // The ledger kept 3 for us (the highest sent) beside 7 of other instances.
    sut.applyTotals(resent.hour, new Map([['acc-1', 10]]));

    expect(sut.consume('acc-1', 1000)).toMatchObject({ allowed: true, remaining: 1000 - 11 });
  });

  it('applyTotals makes the other instances admissions count', () => {
    consumeTimes('acc-1', 1000, 3);
    const taken = sut.takeChanged();

    sut.applyTotals(taken.hour, new Map([['acc-1', 10]]));

    expect(sut.consume('acc-1', 1000)).toMatchObject({ allowed: true, remaining: 1000 - 11 });
  });

  it('applyTotals still counts the other instances admissions when this one admitted more during the sync', () => {
    consumeTimes('acc-1', 1000, 3);
    const taken = sut.takeChanged();
    consumeTimes('acc-1', 1000, 2);

    // The ledger answers for what was taken: our 3 plus 7 from other instances.
    sut.applyTotals(taken.hour, new Map([['acc-1', 10]]));

    expect(sut.consume('acc-1', 1000)).toMatchObject({ allowed: true, remaining: 1000 - (3 + 2 + 7 + 1) });
  });

  it('applyTotals can exhaust the limit', () => {
    consumeTimes('acc-1', 12, 3);
    sut.takeChanged();

    sut.applyTotals(HOUR, new Map([['acc-1', 10]]));

    expect(consumeTimes('acc-1', 12, 3).map((decision) => decision.allowed)).toEqual([true, true, false]);
  });

  it('applyTotals for an account without local admissions counts them all', () => {
    sut.applyTotals(HOUR, new Map([['acc-1', 10]]));

    expect(sut.consume('acc-1', 10)).toMatchObject({ allowed: false, remaining: 0 });
    expect(sut.consume('acc-2', 10)).toMatchObject({ allowed: true, remaining: 9 });
  });

  it('applyTotals below the local count never gives back admissions', () => {
    consumeTimes('acc-1', 10, 5);
    sut.takeChanged();

    sut.applyTotals(HOUR, new Map([['acc-1', 2]]));

    expect(sut.consume('acc-1', 10)).toMatchObject({ allowed: true, remaining: 4 });
  });

  it('applyTotals does not itself count as a change to report', () => {
    sut.applyTotals(HOUR, new Map([['acc-1', 10]]));

    expect(sut.takeChanged().totals.size).toBe(0);
  });

  it.each([
    ['the previous hour', HOUR - 1],
    ['the next hour', HOUR + 1],
  ])('ignores applyTotals for %s', (_, hour) => {
    consumeTimes('acc-1', 1000, 3);

    sut.applyTotals(hour, new Map([['acc-1', 10]]));

    expect(sut.consume('acc-1', 1000)).toMatchObject({ allowed: true, remaining: 1000 - 4 });
  });

  it('needs the ledger read once per account in its first hour: until primed, or until it admitted one itself', () => {
    expect(sut.needsPriming('acc-1')).toBe(true);
    sut.applyTotals(HOUR, new Map([['acc-1', 7]]), ['acc-1']);
    expect(sut.needsPriming('acc-1')).toBe(false);
    expect(sut.needsPriming('acc-2')).toBe(true);
    sut.consume('acc-2', 10);
    expect(sut.needsPriming('acc-2')).toBe(false);

    // In later hours this instance has counted from the hour's start: nothing to read.
    now += 3_600_000;
    expect([sut.needsPriming('acc-1'), sut.needsPriming('acc-3')]).toEqual([false, false]);
  });

  it('starts a primed account from the ledger count, as after a restart', () => {
    sut.applyTotals(HOUR, new Map([['acc-1', 9]]), ['acc-1']);

    expect(consumeTimes('acc-1', 10, 2).map((decision) => decision.allowed)).toEqual([true, false]);
  });

  it('primes an account without a ledger row as zero, and ignores a priming of another hour', () => {
    sut.applyTotals(HOUR, new Map(), ['acc-1']);
    sut.applyTotals(HOUR - 1, new Map(), ['acc-2']);

    expect([sut.needsPriming('acc-1'), sut.needsPriming('acc-2')]).toEqual([false, true]);
    expect(sut.consume('acc-1', 10).remaining).toBe(9);
  });

  it('forgets the other instances totals at the top of the hour', () => {
    sut.applyTotals(HOUR, new Map([['acc-1', 1000]]));
    expect(sut.consume('acc-1', 1000).allowed).toBe(false);

    now = Date.UTC(2026, 10, 26, 11, 0, 0, 0);

    expect(sut.consume('acc-1', 1000)).toMatchObject({ allowed: true, remaining: 999 });
  });

  it('drops the unsynced admissions of a past hour', () => {
    consumeTimes('acc-1', 100, 3);

    now = Date.UTC(2026, 10, 26, 11, 0, 0, 0);
    const taken = sut.takeChanged();

    expect(taken.hour).toBe(HOUR + 1);
    expect(taken.totals.size).toBe(0);
  });
});

describe('rateLimitHeaders', () => {
  it('gives exactly the legacy and the IETF draft fields', () => {
    const decision: RateDecision = {
      allowed: true,
      limit: 1000,
      remaining: 998,
      resetAt: NEXT_TOP_OF_HOUR,
      secondsToReset: 2700,
    };

    expect(rateLimitHeaders(decision)).toEqual({
      'X-RateLimit-Limit': '1000',
      'X-RateLimit-Remaining': '998',
      'X-RateLimit-Reset': String(NEXT_TOP_OF_HOUR),
      'RateLimit-Policy': '"hourly";q=1000;w=3600',
      RateLimit: '"hourly";r=998;t=2700',
    });
  });

  it.each([
    ['a first admission', 1, 1000, '999', '"hourly";r=999;t=2700'],
    ['the last admission', 1000, 1000, '0', '"hourly";r=0;t=2700'],
    ['a refusal', 1001, 1000, '0', '"hourly";r=0;t=2700'],
  ])('matches the limiter decision for %s', (_, calls, limit, remaining, rateLimit) => {
    const now = Date.UTC(2026, 10, 26, 10, 15, 0);
    const sut = new HourlyRateLimiter(() => now);
    let decision!: RateDecision;
    for (let i = 0; i < calls; i++) decision = sut.consume('acc-1', limit);

    const headers = rateLimitHeaders(decision);

    expect(headers['X-RateLimit-Limit']).toBe(String(limit));
    expect(headers['X-RateLimit-Remaining']).toBe(remaining);
    expect(headers['X-RateLimit-Reset']).toBe(String(NEXT_TOP_OF_HOUR));
    expect(headers['RateLimit-Policy']).toBe(`"hourly";q=${limit};w=3600`);
    expect(headers.RateLimit).toBe(rateLimit);
  });
});
