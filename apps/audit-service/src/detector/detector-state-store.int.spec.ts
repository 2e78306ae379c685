import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createMigratedDataSource } from '../../../../test/support/test-database';
import { eventAt } from '../../../../test/support/events';
import { AuditServiceMigrations } from '../migrations';
import { DetectorStateRows1764210000000 } from '../migrations/1764210000000-detector-state-rows';
import { Detector } from './detector';
import { DetectorStateStore } from './detector-state-store';

const START = Date.UTC(2026, 2, 2, 9, 0);
const used = (keyId: string, at: number, country = 'GB') =>
  eventAt(
    'key.used',
    `usage-${keyId}`,
    at,
    { key_id: keyId, status: 200, ip: '192.0.2.10', location: { country, city: null } },
    randomUUID(),
  );

describe('DetectorStateStore (PostgreSQL)', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;
  let store: DetectorStateStore;

  beforeAll(async () => {
    ({ dataSource, close } = await createMigratedDataSource('detector_state', AuditServiceMigrations));
    store = new DetectorStateStore(dataSource);
  });
  afterAll(() => close());
  beforeEach(() => dataSource.query(`TRUNCATE detector_key_state, detector_windows`));

  const save = (detector: Detector) => dataSource.transaction((manager) => store.save(detector.takeChanges(), manager));
  const updatedAt = async (keyId: string) =>
    (
      (await dataSource.query(`SELECT updated_at FROM detector_key_state WHERE key_id = $1`, [keyId])) as {
        updated_at: Date;
      }[]
    )[0]?.updated_at.getTime();

  it('loads what was saved, and a batch rewrites only the keys it touched', async () => {
    const detector = new Detector();
    const [a, b] = [randomUUID(), randomUUID()];
    detector.observe(used(a, START));
    detector.observe(used(b, START));
    detector.observe(
      eventAt('auth.failed', 'auth-unattributed', START, { reason: 'unknown', ip: '198.51.100.7' }, null),
    );
    await save(detector);
    expect(await store.load()).toEqual(JSON.parse(JSON.stringify(detector.state)));

    const untouched = await updatedAt(a);
    await new Promise((resolve) => setTimeout(resolve, 20));
    detector.observe(used(b, START + 60_000, 'FR'));
    await save(detector);
    expect(await updatedAt(a)).toBe(untouched);
    expect(await updatedAt(b)).toBeGreaterThan(untouched as number);
    expect(await store.load()).toEqual(JSON.parse(JSON.stringify(detector.state)));

    // A revoked key's row goes an hour (of event time) after the revocation.
    const revocation = eventAt('key.revoked', `api_key-${a}`, START + 120_000, { reason: 'user' }, randomUUID());
    detector.observe({ ...revocation, meta: { ...revocation.meta, key_id: a } });
    await save(detector);
    expect(await updatedAt(a)).toBeDefined();
    detector.observe(used(b, START + 120_000 + 3_660_000));
    await save(detector);
    expect(await updatedAt(a)).toBeUndefined();
    expect(Object.keys((await store.load()).keys)).toEqual([b]);
  });

  it('writes the failure-window entries a batch touched and deletes those swept out', async () => {
    const detector = new Detector();
    const failure = (at: number, ip: string) =>
      eventAt('auth.failed', 'auth-unattributed', at, { reason: 'unknown', ip, key_prefix: 'vxk_0badc0de' }, null);
    detector.observe(failure(START, '198.51.100.1'));
    detector.observe(failure(START + 1, '198.51.100.2'));
    await save(detector);
    expect(await store.load()).toEqual(JSON.parse(JSON.stringify(detector.state)));

    detector.observe(failure(START + 3_600_000, '198.51.100.3'));
    await save(detector);
    const rows = (await dataSource.query(`SELECT bucket, name FROM detector_windows ORDER BY bucket, name`)) as {
      bucket: string;
      name: string;
    }[];
    expect(rows).toEqual([
      { bucket: 'failuresByIp', name: '198.51.100.3' },
      { bucket: 'failuresByPrefix', name: 'vxk_0badc0de' },
    ]);
    expect(await store.load()).toEqual(JSON.parse(JSON.stringify(detector.state)));
  });

  it('starts empty', async () => {
    expect(await store.load()).toEqual({ keys: {}, failuresByIp: {}, failuresByPrefix: {}, burstIps: {} });
  });

  it('moves the old single document into rows when migrating, and back when reverting', async () => {
    const detector = new Detector();
    const keyId = randomUUID();
    detector.observe(used(keyId, START));
    detector.observe(
      eventAt('auth.failed', 'auth-unattributed', START, { reason: 'unknown', ip: '198.51.100.7' }, null),
    );
    const before = JSON.parse(JSON.stringify(detector.state));
    const runner = dataSource.createQueryRunner();
    const migration = new DetectorStateRows1764210000000();
    const documents = async () => ((await runner.query(`SELECT state FROM detector_state`)) as { state: object }[])[0];
    try {
      await migration.down(runner);
      expect((await documents()).state).toEqual({ keys: {}, failuresByIp: {}, failuresByPrefix: {}, burstIps: {} });
      await runner.query(`UPDATE detector_state SET state = $1`, [JSON.stringify(before)]);
      await migration.up(runner);
      expect(await runner.hasTable('detector_state')).toBe(false);
      expect(await store.load()).toEqual(before);
      await migration.down(runner);
      expect((await documents()).state).toEqual(before);
    } finally {
      if (!(await runner.hasTable('detector_key_state'))) await migration.up(runner);
      await runner.release();
    }
  });
});
