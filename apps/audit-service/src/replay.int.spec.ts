import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Alert, alertId } from './detector/alert-book';
import { eventAt } from '../../../test/support/events';

const ROOT = resolve(__dirname, '../../..');
const REPLAY = 'dist/apps/audit-service/src/replay.js';
const MINUTE = 60_000;
const START = Date.UTC(2026, 2, 2, 9, 0);
const ACCOUNT = randomUUID();
const KEY = randomUUID();
const ATTACKER = '198.51.100.23';
const MALFORMED_LINES = ['{not json', '{"id":"x"}', '[1,2]', '"just a string"', 'null'];

/** A key in normal use, a burst of 12 failures from one IP, a revoked-key attempt, and malformed lines among them. */
function scenario(): string[] {
  const used = (at: number) =>
    eventAt(
      'key.used',
      `usage-${KEY}`,
      at,
      {
        key_id: KEY,
        key_prefix: 'vxk_1a2b3c4d',
        status: 200,
        ip: '192.0.2.10',
        location: { country: 'GB', city: 'London' },
      },
      ACCOUNT,
    );
  const events = [
    used(START),
    used(START + 30_000),
    ...Array.from({ length: 12 }, (_, i) =>
      eventAt(
        'auth.failed',
        'auth-unattributed',
        START + MINUTE + i * 10_000,
        { reason: 'unknown', ip: ATTACKER },
        null,
      ),
    ),
    eventAt(
      'auth.failed',
      `auth-${ACCOUNT}`,
      START + 10 * MINUTE,
      { reason: 'revoked', ip: '203.0.113.9', key_id: randomUUID(), key_prefix: 'vxk_0badc0de' },
      ACCOUNT,
    ),
    used(START + 11 * MINUTE),
  ].map((event) => JSON.stringify(event));
  // Malformed lines and a blank one spread through the file.
  return [...MALFORMED_LINES.slice(0, 2), ...events.slice(0, 5), '', ...MALFORMED_LINES.slice(2), ...events.slice(5)];
}

function replay(args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [REPLAY, ...args], { cwd: ROOT, encoding: 'utf8', input, timeout: 30_000 });
}

function alertsOf(stdout: string): Alert[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Alert);
}

describe('replay (built CLI)', () => {
  let workDir: string;
  let file: string;

  beforeAll(() => {
    if (!existsSync(join(ROOT, REPLAY))) throw new Error(`${REPLAY} is missing: build first (npm test does)`);
    workDir = mkdtempSync(join(process.env.TEST_WORK_DIR ?? tmpdir(), 'replay-'));
    file = join(workDir, 'scenario.ndjson');
    writeFileSync(file, `${scenario().join('\n')}\n`);
  });

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('gives the same alerts, ids included, on two runs over the same file', () => {
    const first = replay([file]);
    const second = replay([file]);

    expect(first.status).toBe(0);
    expect(second.status).toBe(0);
    expect(first.stdout).not.toBe('');
    expect(second.stdout).toBe(first.stdout);
  });

  it('prints the alerts of the scenario as NDJSON: one folded burst and one revoked-key attempt', () => {
    const { status, stdout } = replay([file]);

    expect(status).toBe(0);
    const alerts = alertsOf(stdout);
    expect(alerts.map((alert) => alert.rule).sort()).toEqual(['failed_auth_burst', 'revoked_key_use']);
    expect(alerts.find((alert) => alert.rule === 'failed_auth_burst')).toMatchObject({
      severity: 'medium',
      status: 'open',
      account_id: null,
      dedup_key: `failed_auth_burst:ip:${ATTACKER}`,
      count: 3,
      first_seen: new Date(START + MINUTE + 9 * 10_000).toISOString(),
      last_seen: new Date(START + MINUTE + 11 * 10_000).toISOString(),
    });
    expect(alerts.find((alert) => alert.rule === 'revoked_key_use')).toMatchObject({
      severity: 'medium',
      account_id: ACCOUNT,
      count: 1,
    });
  });

  it('counts the malformed lines on stderr instead of crashing on them', () => {
    const { status, stderr } = replay([file]);

    expect(status).toBe(0);
    expect(stderr).toMatch(/^16 events, 5 malformed lines, 2 alerts, /m);
  });

  it('reads batch lines (as the gateway publishes key.used / auth.failed) like their events one by one', () => {
    const events = scenario()
      .filter((line) => line !== '' && !MALFORMED_LINES.includes(line))
      .map((line) => JSON.parse(line) as unknown);
    const batched = `${JSON.stringify({ batch_id: randomUUID(), events })}\n`;

    const fromBatch = replay(['-'], batched);

    expect(fromBatch.status).toBe(0);
    expect(fromBatch.stderr).toMatch(/^16 events, 0 malformed lines, 2 alerts, /m);
    expect(alertsOf(fromBatch.stdout).map((alert) => [alert.rule, alert.count])).toEqual(
      alertsOf(replay([file]).stdout).map((alert) => [alert.rule, alert.count]),
    );
  });

  it('ties failures that show only a key prefix to the account whose key in the input has it', () => {
    const owner = randomUUID();
    const prefix = 'vxk_5eed1e55';
    const birth = eventAt('key.created', `api_key-${randomUUID()}`, START, { key_prefix: prefix }, owner);
    const failures = Array.from({ length: 5 }, (_, i) =>
      eventAt(
        'auth.failed',
        'auth-unattributed',
        START + MINUTE + i * 1_000,
        { reason: 'unknown', key_prefix: prefix, ip: `192.0.2.${i + 1}` },
        null,
      ),
    );
    const withBirth = replay(['-'], [birth, ...failures].map((event) => JSON.stringify(event)).join('\n'));
    const withoutBirth = replay(['-'], failures.map((event) => JSON.stringify(event)).join('\n'));

    expect(alertsOf(withBirth.stdout)).toEqual([
      expect.objectContaining({ rule: 'failed_auth_burst', account_id: owner, key_prefix: prefix }),
    ]);
    expect(alertsOf(withoutBirth.stdout)).toEqual([
      expect.objectContaining({ rule: 'failed_auth_burst', account_id: null, key_prefix: prefix }),
    ]);
  });

  it('follows an account’s working hours and its alerts’ resolutions in the input, as the live detector does', () => {
    const account = randomUUID();
    const key = randomUUID();
    const revoked = randomUUID();
    const saturday = Date.UTC(2026, 2, 7, 10, 0);
    const settings = eventAt(
      'security_settings.changed',
      `security_settings-${account}`,
      START,
      {
        changed: ['timezone', 'working_hours'],
        timezone: 'Europe/Berlin',
        working_hours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' },
        webhook: null,
        auto_revoke_on: [],
      },
      account,
    );
    const used = eventAt(
      'key.used',
      `usage-${key}`,
      saturday,
      { key_id: key, key_prefix: 'vxk_5a7d0000', status: 200, ip: '192.0.2.10' },
      account,
    );
    const attempt = (at: number) =>
      eventAt(
        'auth.failed',
        `auth-${account}`,
        at,
        { reason: 'revoked', ip: '203.0.113.9', key_id: revoked, key_prefix: 'vxk_0badf00d' },
        account,
      );
    const first = attempt(START + MINUTE);
    const resolved = eventAt(
      'alert.resolved',
      'alert-x',
      START + 2 * MINUTE,
      {
        alert_id: alertId(account, `revoked_key_use:${revoked}`, first.occurred_at),
        rule: 'revoked_key_use',
        severity: 'medium',
        resolution: 'revoked_key',
        resolved_at: new Date(START + 2 * MINUTE).toISOString(),
      },
      account,
    );
    const input = [settings, first, resolved, attempt(START + 3 * MINUTE), used];

    const alerts = alertsOf(replay(['-'], input.map((event) => JSON.stringify(event)).join('\n')).stdout);

    expect(alerts.map((alert) => [alert.rule, alert.status, alert.count])).toEqual([
      ['revoked_key_use', 'resolved', 1],
      ['revoked_key_use', 'open', 1],
      ['off_hours', 'open', 1],
    ]);
    expect(alerts[2].summary).toContain('(Mon–Fri 09:00–17:00, Europe/Berlin)');
  });

  it('takes the cooldown from --config: a repeat after it opens a new alert', () => {
    const attempts = [0, 10 * MINUTE].map((offset) =>
      eventAt(
        'auth.failed',
        `auth-${ACCOUNT}`,
        START + offset,
        { reason: 'revoked', ip: '203.0.113.9', key_id: KEY, key_prefix: 'vxk_1a2b3c4d' },
        ACCOUNT,
      ),
    );
    const input = attempts.map((event) => JSON.stringify(event)).join('\n');

    expect(alertsOf(replay(['-'], input).stdout).map((alert) => alert.count)).toEqual([2]);
    expect(
      alertsOf(replay(['--config', '{"cooldownMs":300000}', '-'], input).stdout).map((alert) => alert.count),
    ).toEqual([1, 1]);
  });

  it('reads the events from stdin as well', () => {
    const fromFile = replay([file]);

    const fromStdin = replay(['-'], `${scenario().join('\n')}\n`);

    expect(fromStdin.status).toBe(0);
    expect(alertsOf(fromStdin.stdout).map((alert) => [alert.rule, alert.count])).toEqual(
      alertsOf(fromFile.stdout).map((alert) => [alert.rule, alert.count]),
    );
  });

  it('answers --help with its usage, and names an unknown option', () => {
    const help = replay(['--help']);
    expect([help.status, help.stdout]).toEqual([
      0,
      expect.stringContaining('Usage: node dist/apps/audit-service/src/replay.js'),
    ]);
    const unknown = replay(['--verbose']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('replay: unknown option --verbose');
  });
});
