import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { subjectForEventType } from '#contracts';
import { JsonLogger } from '#common';
import { NatsConnectionHolder, provisionStreams } from '#messaging';
import { createMigratedDataSource } from '../../../../test/support/test-database';
import { type TestNatsServer, startNatsServer } from '../../../../test/support/nats-server';
import { eventAt } from '../../../../test/support/events';
import { waitFor } from '../../../../test/support/wait';
import { AuditServiceMigrations } from '../migrations';
import { DEFAULT_DETECTOR_CONFIG } from './detector';
import { DetectorRunner } from './detector-runner';
import { DetectorStateStore } from './detector-state-store';

const logger = new JsonLogger('test', 'silent');

describe('DetectorRunner (JetStream + PostgreSQL)', () => {
  let nats: TestNatsServer;
  let connection: NatsConnectionHolder;
  let dataSource: DataSource;
  let closeDb: () => Promise<void>;
  let runner: DetectorRunner | undefined;

  beforeAll(async () => {
    nats = await startNatsServer();
    connection = await NatsConnectionHolder.connect({ servers: nats.url, name: 'detector-runner-test' });
    await provisionStreams(await connection.manager());
    ({ dataSource, close: closeDb } = await createMigratedDataSource('detector_runner', AuditServiceMigrations));
  });
  afterAll(async () => {
    await runner?.stop();
    await connection.close();
    await nats.stop();
    await closeDb();
  });

  it('learns a batch once when its first transaction fails at commit and the batch is handled again', async () => {
    // A deferred trigger fails the first commit that writes a key's state, after the handler has returned.
    await dataSource.query(`CREATE SEQUENCE fail_once`);
    await dataSource.query(`
      CREATE FUNCTION fail_first_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('fail_once') = 1 THEN RAISE EXCEPTION 'injected commit failure'; END IF;
        RETURN NULL;
      END $$`);
    await dataSource.query(`
      CREATE CONSTRAINT TRIGGER fail_first_commit AFTER INSERT OR UPDATE ON detector_key_state
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_first_commit()`);

    runner = new DetectorRunner(dataSource, connection, logger);
    await runner.start();
    const keyId = randomUUID();
    const at = Date.now();
    const events = Array.from({ length: 5 }, () =>
      eventAt('key.used', `usage-${keyId}`, at, { key_id: keyId, status: 200, ip: '192.0.2.10' }, randomUUID()),
    );
    connection.connection.publish(subjectForEventType('key.used'), JSON.stringify({ batch_id: randomUUID(), events }));

    const windowCount = async () =>
      (
        (await dataSource.query(`SELECT state FROM detector_key_state WHERE key_id = $1`, [keyId])) as {
          state: { windowCount: number };
        }[]
      )[0]?.state.windowCount;
    await waitFor(windowCount, (count) => count !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));

    const [{ failures }] = (await dataSource.query(`SELECT last_value AS failures FROM fail_once`)) as {
      failures: string;
    }[];
    expect(Number(failures)).toBeGreaterThan(1);
    expect(await windowCount()).toBe(5);
  });

  it('raises a burst of failures that show only a key prefix for the one account with a key of that prefix', async () => {
    if (!runner) {
      runner = new DetectorRunner(dataSource, connection, logger);
      await runner.start();
    }
    const owner = randomUUID();
    const ownPrefix = `vxk_${randomUUID().slice(0, 8)}`;
    const sharedPrefix = `vxk_${randomUUID().slice(0, 8)}`;
    await dataSource.query(
      `INSERT INTO audit_key_prefixes (key_prefix, key_id, account_id) VALUES ($1, $2, $3), ($4, $5, $3), ($4, $6, $7)`,
      [ownPrefix, randomUUID(), owner, sharedPrefix, randomUUID(), randomUUID(), randomUUID()],
    );
    const at = Date.now();
    const failures = (prefix: string) =>
      Array.from({ length: 5 }, (_, i) =>
        eventAt(
          'auth.failed',
          'auth-unattributed',
          at + i,
          { reason: 'unknown', key_prefix: prefix, ip: `198.51.100.${i + 1}` },
          null,
        ),
      );
    connection.connection.publish(
      subjectForEventType('auth.failed'),
      JSON.stringify({ batch_id: randomUUID(), events: [...failures(ownPrefix), ...failures(sharedPrefix)] }),
    );

    const alertsFor = async () =>
      (await dataSource.query(
        `SELECT account_id, key_prefix FROM alerts WHERE rule = 'failed_auth_burst' AND key_prefix = ANY($1)`,
        [[ownPrefix, sharedPrefix]],
      )) as { account_id: string | null; key_prefix: string }[];
    await waitFor(alertsFor, (alerts) => alerts.length >= 2);
    // A prefix two accounts have keys with stays with the operators.
    expect(Object.fromEntries((await alertsFor()).map((alert) => [alert.key_prefix, alert.account_id]))).toEqual({
      [ownPrefix]: owner,
      [sharedPrefix]: null,
    });
  });

  it('keeps detecting for accounts whose stored working hours it cannot use, as if they had none', async () => {
    if (!runner) {
      runner = new DetectorRunner(dataSource, connection, logger);
      await runner.start();
    }
    const unusable: [timezone: string, workingHours: unknown][] = [
      ['UTC', []],
      ['UTC', {}],
      ['UTC', '09:00-17:00'],
      ['UTC', { days: 'weekdays', start: '09:00', end: '17:00' }],
      ['Mars/Olympus', { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }],
    ];
    const accounts = unusable.map(([timezone, workingHours]) => ({
      id: randomUUID(),
      keyId: randomUUID(),
      timezone,
      workingHours,
    }));
    for (const account of accounts)
      await dataSource.query(
        `INSERT INTO security_settings (account_id, timezone, working_hours) VALUES ($1, $2, $3::jsonb)`,
        [account.id, account.timezone, JSON.stringify(account.workingHours)],
      );
    // Settings are read again at most every second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    for (const account of accounts) {
      const events = [
        eventAt(
          'key.used',
          `usage-${account.keyId}`,
          Date.now(),
          { key_id: account.keyId, status: 200, ip: '192.0.2.10' },
          account.id,
        ),
      ];
      connection.connection.publish(
        subjectForEventType('key.used'),
        JSON.stringify({ batch_id: randomUUID(), events }),
      );
    }

    const observed = async () =>
      (
        (await dataSource.query(`SELECT count(*)::int AS count FROM detector_key_state WHERE key_id = ANY($1)`, [
          accounts.map((account) => account.keyId),
        ])) as { count: number }[]
      )[0].count;
    expect(await waitFor(observed, (count) => count === accounts.length)).toBe(accounts.length);
  });

  describe('keys in memory', () => {
    const stateOf = async (keyId: string) =>
      (
        (await dataSource.query(`SELECT state FROM detector_key_state WHERE key_id = $1`, [keyId])) as {
          state: { windowCount: number };
        }[]
      )[0]?.state;
    const use = async (keyId: string, count: number, at = Date.now()) => {
      const events = Array.from({ length: count }, (_, i) =>
        eventAt('key.used', `usage-${keyId}`, at + i, { key_id: keyId, status: 200, ip: '192.0.2.10' }, randomUUID()),
      );
      connection.connection.publish(
        subjectForEventType('key.used'),
        JSON.stringify({ batch_id: randomUUID(), events }),
      );
    };
    const until = async (condition: () => Promise<boolean>) => expect(await waitFor(condition, Boolean)).toBe(true);

    it('reads a key when an event needs it, and past its bound lets the keys go and reads them again', async () => {
      await runner?.stop();
      runner = new DetectorRunner(dataSource, connection, logger, DEFAULT_DETECTOR_CONFIG, 1);
      await runner.start();
      const loadKeys = jest.spyOn(DetectorStateStore.prototype, 'loadKeys');
      try {
        const [a, b] = [randomUUID(), randomUUID()];
        await use(a, 3);
        await until(async () => (await stateOf(a))?.windowCount === 3);
        await use(b, 2); // two keys held: over the bound of 1, both go once stored
        await until(async () => (await stateOf(b))?.windowCount === 2);
        loadKeys.mockClear();
        await use(a, 4);
        await until(async () => (await stateOf(a))?.windowCount === 7);
        expect(loadKeys.mock.calls.map(([keyIds]) => keyIds)).toContainEqual([a]);
        // Read from its row, not started afresh: the 4 new uses count on top of the 3 stored.
        expect(((await loadKeys.mock.results.at(-1)!.value) as [string][]).map(([keyId]) => keyId)).toEqual([a]);
      } finally {
        loadKeys.mockRestore();
      }
    });

    it('sweeps the rows of keys retired over an hour ago, which it does not hold, once a minute of event time', async () => {
      const [old, recent, used] = [randomUUID(), randomUUID(), randomUUID()];
      const later = Date.now() + 2 * 60_000; // a minute not swept yet
      await dataSource.query(`INSERT INTO detector_key_state (key_id, state) VALUES ($1, $2), ($3, $4)`, [
        old,
        { windowCount: 1, retiredAt: later - 2 * 3_600_000 },
        recent,
        { windowCount: 1, retiredAt: later - 600_000 },
      ]);
      await use(used, 1, later);
      await until(async () => (await stateOf(used)) !== undefined);
      expect(await stateOf(old)).toBeUndefined();
      expect(await stateOf(recent)).toBeDefined();
    });
  });
});
