import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createMigratedDataSource } from '../../../../test/support/test-database';
import { AuditServiceMigrations } from '../migrations';
import type { Alert } from './alert-book';
import { AlertsRepository } from './alerts.repository';

describe('AlertsRepository decisions (PostgreSQL)', () => {
  let dataSource: DataSource;
  let closeDb: () => Promise<void>;
  let alerts: AlertsRepository;

  beforeAll(async () => {
    ({ dataSource, close: closeDb } = await createMigratedDataSource('alert_decisions', AuditServiceMigrations));
    alerts = new AlertsRepository(dataSource);
  });
  afterAll(() => closeDb());

  async function stored(status: Alert['status']): Promise<Alert> {
    const at = new Date().toISOString();
    const alert: Alert = {
      id: randomUUID(),
      account_id: randomUUID(),
      rule: 'revoked_key_use',
      severity: 'medium',
      status,
      dedup_key: `revoked_key_use:${randomUUID()}`,
      summary: 'Someone tried to use a revoked key.',
      evidence: { observed: 'revoked', window: 'each attempt' },
      count: 1,
      first_seen: at,
      last_seen: at,
    };
    await alerts.save(alert, dataSource.manager);
    return alert;
  }

  it('acknowledges an open alert', async () => {
    const alert = await stored('open');
    expect(await alerts.acknowledge(alert.id, dataSource.manager)).toBe(true);
    expect((await alerts.find(alert.id))?.status).toBe('acknowledged');
  });

  it('stores an acknowledged alert opened again by a worse occurrence as open; a fold never undoes a resolution', async () => {
    const acknowledged = await stored('open');
    await alerts.acknowledge(acknowledged.id, dataSource.manager);
    await alerts.save({ ...acknowledged, status: 'open', severity: 'high', count: 2 }, dataSource.manager);
    expect(await alerts.find(acknowledged.id)).toMatchObject({ status: 'open', severity: 'high', count: 2 });

    const resolved = await stored('open');
    const resolution = { resolution: 'legitimate' as const, resolved_at: new Date().toISOString() };
    await alerts.decide({ ...resolved, status: 'resolved', resolution }, dataSource.manager);
    await alerts.save({ ...resolved, status: 'open', count: 2 }, dataSource.manager);
    expect(await alerts.find(resolved.id)).toMatchObject({ status: 'resolved', resolution });
  });

  it('leaves a resolution that came first as it is (the acknowledge of a race read the alert open)', async () => {
    const alert = await stored('open');
    const resolution = { resolution: 'false_positive' as const, resolved_at: new Date().toISOString() };
    await alerts.decide({ ...alert, status: 'resolved', resolution }, dataSource.manager);
    expect(await alerts.acknowledge(alert.id, dataSource.manager)).toBe(false);
    expect(await alerts.find(alert.id)).toMatchObject({ status: 'resolved', resolution });
  });
});
