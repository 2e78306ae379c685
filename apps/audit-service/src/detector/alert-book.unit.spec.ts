import { randomUUID } from 'node:crypto';
import { isUuid } from '#contracts';
import { type Alert, AlertBook, DEFAULT_COOLDOWN_MS, EVIDENCE_LIST_MAX, alertId, foldFinding } from './alert-book';
import type { Finding, Severity } from './detector';

const MINUTE = 60_000;
const START = Date.UTC(2026, 2, 2, 9, 0);
const ACCOUNT = randomUUID();
const KEY = randomUUID();
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function finding(at: number, overrides: Partial<Finding> = {}): Finding {
  return {
    rule: 'revoked_key_use',
    severity: 'medium',
    account_id: ACCOUNT,
    key_id: KEY,
    dedup_key: `revoked_key_use:${KEY}`,
    at: new Date(at).toISOString(),
    summary: `Someone tried to use a revoked key at ${new Date(at).toISOString()}.`,
    evidence: { observed: 'revoked', window: 'each attempt' },
    ...overrides,
  };
}

describe('AlertBook', () => {
  let sut: AlertBook;

  beforeEach(() => {
    sut = new AlertBook();
  });

  it('folds repeats into one open alert: count and last_seen move, first_seen and id stay', () => {
    const first = sut.record(finding(START));
    sut.record(finding(START + 10 * MINUTE));
    const last = sut.record(finding(START + 20 * MINUTE));

    expect(sut.alerts).toHaveLength(1);
    expect(last).toMatchObject({
      id: first.id,
      status: 'open',
      count: 3,
      first_seen: new Date(START).toISOString(),
      last_seen: new Date(START + 20 * MINUTE).toISOString(),
      summary: `Someone tried to use a revoked key at ${new Date(START + 20 * MINUTE).toISOString()}.`,
    });
    expect(sut.alerts[0]).toEqual(last);
  });

  it('opens an acknowledged alert again when a worse occurrence raises its severity, and only then', () => {
    const first = sut.record(finding(START));
    const acknowledged: Alert = { ...first, status: 'acknowledged' };
    const same = foldFinding(acknowledged, finding(START + MINUTE)).alert;
    const worse = foldFinding(acknowledged, finding(START + MINUTE, { severity: 'high' })).alert;

    expect([same.status, same.severity]).toEqual(['acknowledged', 'medium']);
    expect([worse.status, worse.severity]).toEqual(['open', 'high']);
  });

  it('keeps saying that the key was revoked automatically when a repeat folds in', () => {
    const revoked: Alert = {
      ...sut.record(finding(START)),
      summary: 'The key was used from AU. The key was revoked automatically.',
      evidence: { observed: 'AU', auto_revoked: true },
    };

    const folded = foldFinding(revoked, finding(START + MINUTE, { summary: 'The key was used from AU again.' })).alert;

    expect(folded.summary).toBe('The key was used from AU again. The key was revoked automatically.');
    expect(folded.evidence.auto_revoked).toBe(true);
  });

  it('counts an occurrence that arrives after a later one, keeping last_seen and the summary of the latest', () => {
    sut.record(finding(START, { evidence: { observed: 'revoked', ips: ['192.0.2.1'] } }));
    sut.record(finding(START + 20 * MINUTE, { evidence: { observed: 'revoked', ips: ['192.0.2.3'] } }));
    // Redelivered after a restart: an attempt made between the two.
    const late = sut.record(finding(START + 10 * MINUTE, { evidence: { observed: 'late', ips: ['192.0.2.2'] } }));

    expect(late).toMatchObject({
      count: 3,
      last_seen: new Date(START + 20 * MINUTE).toISOString(),
      summary: `Someone tried to use a revoked key at ${new Date(START + 20 * MINUTE).toISOString()}.`,
      evidence: { observed: 'revoked', ips: ['192.0.2.2', '192.0.2.1', '192.0.2.3'] },
    });
  });

  it('keeps the addresses and places of every repeat in the evidence, each once, and what was done', () => {
    const attempt = (at: number, ip: string, country: string, extra: Record<string, unknown> = {}) =>
      finding(at, {
        evidence: { observed: 'revoked', window: 'each attempt', ips: [ip], locations: [{ country }], ...extra },
      });
    sut.record(attempt(START, '192.0.2.1', 'GB', { auto_revoked: true }));
    sut.record(attempt(START + MINUTE, '192.0.2.2', 'FR'));
    const last = sut.record(attempt(START + 2 * MINUTE, '192.0.2.1', 'GB'));

    expect(last.evidence).toEqual({
      observed: 'revoked',
      window: 'each attempt',
      ips: ['192.0.2.1', '192.0.2.2'],
      locations: [{ country: 'GB' }, { country: 'FR' }],
      auto_revoked: true,
    });
  });

  it(`keeps the latest ${EVIDENCE_LIST_MAX} addresses of a long run of repeats`, () => {
    let last: Alert | undefined;
    for (let i = 0; i < EVIDENCE_LIST_MAX + 5; i += 1)
      last = sut.record(finding(START + i * MINUTE, { evidence: { observed: 'revoked', ips: [`192.0.2.${i}`] } }));

    expect(last?.evidence.ips).toHaveLength(EVIDENCE_LIST_MAX);
    expect((last?.evidence.ips as string[]).at(-1)).toBe(`192.0.2.${EVIDENCE_LIST_MAX + 4}`);
    expect((last?.evidence.ips as string[])[0]).toBe('192.0.2.5');
  });

  it.each<[Severity[], Severity]>([
    [['medium', 'high', 'low'], 'high'],
    [['low', 'medium', 'low'], 'medium'],
    [['high', 'low', 'medium'], 'high'],
  ])('only raises the severity: %j folds to %s', (severities, expected) => {
    severities.forEach((severity, i) => sut.record(finding(START + i * MINUTE, { severity })));

    expect(sut.alerts).toEqual([expect.objectContaining({ severity: expected, count: 3 })]);
  });

  it('opens a new alert after the open one is resolved, even within the cooldown', () => {
    const first = sut.record(finding(START));
    sut.resolve(first.id, 'false_positive', new Date(START + MINUTE).toISOString());

    const second = sut.record(finding(START + 2 * MINUTE));

    expect(second.id).not.toBe(first.id);
    expect(sut.alerts).toEqual([
      expect.objectContaining({
        id: first.id,
        status: 'resolved',
        count: 1,
        resolution: { resolution: 'false_positive', resolved_at: new Date(START + MINUTE).toISOString() },
      }),
      expect.objectContaining({ id: second.id, status: 'open', count: 1 }),
    ]);
  });

  it('folds a repeat within the cooldown since last_seen, however long the alert has been open', () => {
    for (let i = 0; i <= 6; i += 1) sut.record(finding(START + i * 50 * MINUTE));

    expect(sut.alerts).toEqual([expect.objectContaining({ count: 7 })]);
  });

  it('folds a repeat just within the cooldown of 1 hour', () => {
    sut.record(finding(START));

    sut.record(finding(START + DEFAULT_COOLDOWN_MS - 1));

    expect(DEFAULT_COOLDOWN_MS).toBe(60 * MINUTE);
    expect(sut.alerts).toEqual([expect.objectContaining({ count: 2 })]);
  });

  it('opens a new alert once the cooldown has passed since last_seen', () => {
    const first = sut.record(finding(START));
    sut.record(finding(START + 30 * MINUTE));

    const later = sut.record(finding(START + 30 * MINUTE + DEFAULT_COOLDOWN_MS + 1_000));

    expect(later.id).not.toBe(first.id);
    expect(sut.alerts.map((alert) => [alert.count, alert.status])).toEqual([
      [2, 'open'],
      [1, 'open'],
    ]);
  });

  it('keeps the same dedup key of different accounts apart', () => {
    sut.record(finding(START));

    sut.record(finding(START + MINUTE, { account_id: randomUUID() }));
    sut.record(finding(START + 2 * MINUTE, { account_id: null }));

    expect(sut.alerts.map((alert) => alert.count)).toEqual([1, 1, 1]);
  });

  it('keeps different dedup keys of one account apart', () => {
    sut.record(finding(START));

    sut.record(finding(START + MINUTE, { key_id: 'other', dedup_key: 'revoked_key_use:other' }));

    expect(sut.alerts).toHaveLength(2);
  });

  it('returns undefined when resolving an unknown alert', () => {
    expect(sut.resolve(randomUUID(), 'legitimate', new Date(START).toISOString())).toBeUndefined();
  });
});

describe('foldFinding', () => {
  it('folds into an acknowledged alert', () => {
    const { alert } = foldFinding(undefined, finding(START));
    const acknowledged: Alert = { ...alert, status: 'acknowledged' };

    const folded = foldFinding(acknowledged, finding(START + MINUTE));

    expect(folded).toEqual({ alert: expect.objectContaining({ status: 'acknowledged', count: 2 }), opened: false });
  });

  it('does not change the alert it folds into', () => {
    const { alert } = foldFinding(undefined, finding(START));
    const snapshot = structuredClone(alert);

    foldFinding(alert, finding(START + MINUTE, { severity: 'high' }));

    expect(alert).toEqual(snapshot);
  });

  it('names the key a repeat names when the alert named none (a burst, then a success), and keeps a key once named', () => {
    const burst = { rule: 'failed_auth_burst' as const, dedup_key: 'failed_auth_burst:prefix:vxk_aaaaaaaa' };
    const { alert } = foldFinding(
      undefined,
      finding(START, { ...burst, key_id: undefined, key_prefix: 'vxk_aaaaaaaa' }),
    );
    const other = randomUUID();

    const named = foldFinding(alert, finding(START + MINUTE, { ...burst, key_prefix: 'vxk_aaaaaaaa' })).alert;
    const kept = foldFinding(named, finding(START + 2 * MINUTE, { ...burst, key_id: other })).alert;

    expect([alert.key_id, alert.key_prefix]).toEqual([undefined, 'vxk_aaaaaaaa']);
    expect([named.key_id, named.key_prefix]).toEqual([KEY, 'vxk_aaaaaaaa']);
    expect([kept.key_id, kept.key_prefix]).toEqual([KEY, 'vxk_aaaaaaaa']);
  });

  it('keeps the prefix a burst was against when another key succeeds, naming that key in the evidence', () => {
    const burst = { rule: 'failed_auth_burst' as const, dedup_key: 'failed_auth_burst:prefix:vxk_aaaaaaaa' };
    const { alert } = foldFinding(
      undefined,
      finding(START, { ...burst, key_id: undefined, key_prefix: 'vxk_aaaaaaaa' }),
    );

    const folded = foldFinding(alert, finding(START + MINUTE, { ...burst, key_prefix: 'vxk_bbbbbbbb' })).alert;

    expect([folded.key_id, folded.key_prefix]).toEqual([undefined, 'vxk_aaaaaaaa']);
    expect(folded.evidence).toMatchObject({ succeeded_key_id: KEY, succeeded_key_prefix: 'vxk_bbbbbbbb' });
  });

  it('takes a custom cooldown', () => {
    const { alert } = foldFinding(undefined, finding(START));

    expect(foldFinding(alert, finding(START + 5 * MINUTE), 10 * MINUTE).opened).toBe(false);
    expect(foldFinding(alert, finding(START + 15 * MINUTE), 10 * MINUTE).opened).toBe(true);
  });
});

describe('alertId', () => {
  const firstSeen = new Date(START).toISOString();

  it('is deterministic', () => {
    expect(alertId(ACCOUNT, `revoked_key_use:${KEY}`, firstSeen)).toBe(
      alertId(ACCOUNT, `revoked_key_use:${KEY}`, firstSeen),
    );
    expect(foldFinding(undefined, finding(START)).alert.id).toBe(alertId(ACCOUNT, `revoked_key_use:${KEY}`, firstSeen));
  });

  it('differs by account, dedup key and first sighting', () => {
    const ids = new Set([
      alertId(ACCOUNT, 'failed_auth_burst:ip:192.0.2.1', firstSeen),
      alertId(null, 'failed_auth_burst:ip:192.0.2.1', firstSeen),
      alertId(randomUUID(), 'failed_auth_burst:ip:192.0.2.1', firstSeen),
      alertId(ACCOUNT, 'failed_auth_burst:ip:192.0.2.2', firstSeen),
      alertId(ACCOUNT, 'failed_auth_burst:ip:192.0.2.1', new Date(START + 1).toISOString()),
    ]);

    expect(ids.size).toBe(5);
  });

  it.each([
    ['an account', ACCOUNT, `revoked_key_use:${KEY}`],
    ['no account', null, 'failed_auth_burst:ip:198.51.100.23'],
    ['an empty dedup key', ACCOUNT, ''],
  ])('has the shape of a version-4 UUID (%s)', (_label, accountId, dedupKey) => {
    const id = alertId(accountId, dedupKey, firstSeen);

    expect(id).toMatch(UUID_V4);
    expect(isUuid(id)).toBe(true);
  });
});
