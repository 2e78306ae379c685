import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { KeysRpc, RpcErrorCode } from '#contracts';
import { JsonLogger } from '#common';
import { NatsConnectionHolder } from '#messaging';
import { createMigratedDataSource } from '../../../../test/support/test-database';
import { type TestNatsServer, startNatsServer } from '../../../../test/support/nats-server';
import { AuditServiceMigrations } from '../migrations';
import type { Alert } from './alert-book';
import { AlertsRepository } from './alerts.repository';
import { AutoRevocationRetries, queueAutoRevocation } from './auto-revocations';

const logger = new JsonLogger('test', 'silent');

describe('auto-revocation retries (NATS + PostgreSQL)', () => {
  let nats: TestNatsServer;
  let connection: NatsConnectionHolder;
  let dataSource: DataSource;
  let closeDb: () => Promise<void>;

  beforeAll(async () => {
    nats = await startNatsServer();
    connection = await NatsConnectionHolder.connect({ servers: nats.url, name: 'auto-revocations-test' });
    ({ dataSource, close: closeDb } = await createMigratedDataSource('auto_revocations', AuditServiceMigrations));
  });
  afterAll(async () => {
    await connection.close();
    await nats.stop();
    await closeDb();
  });

  /** An open new_location alert whose auto-revoke key-service did not answer, queued as the detector does. */
  async function unconfirmedAlert(): Promise<Alert> {
    const at = new Date().toISOString();
    const alert: Alert = {
      id: randomUUID(),
      account_id: randomUUID(),
      rule: 'new_location',
      severity: 'medium',
      status: 'open',
      key_id: randomUUID(),
      key_prefix: 'vxk_0123abcd',
      dedup_key: `new_location:${randomUUID()}:AU`,
      summary: 'The key was used from AU, a country it was not used from in the last 30 days.',
      evidence: { observed: 'AU', auto_revoked: false },
      count: 1,
      first_seen: at,
      last_seen: at,
    };
    await dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO security_settings (account_id, timezone, auto_revoke_on) VALUES ($1, 'UTC', '{new_location}')`,
        [alert.account_id],
      );
      await new AlertsRepository(dataSource).save(alert, manager);
      await queueAutoRevocation(manager, alert, { key_id: alert.key_id as string }, 'req_test');
    });
    // Due now, rather than after the first retry's wait.
    await dataSource.query(`UPDATE detector_auto_revocations SET next_attempt_at = now() WHERE alert_id = $1`, [
      alert.id,
    ]);
    return alert;
  }

  const queued = async (alertId: string) =>
    (
      (await dataSource.query(`SELECT attempts FROM detector_auto_revocations WHERE alert_id = $1`, [alertId])) as {
        attempts: number;
      }[]
    )[0];

  it('tries again later while key-service does not answer, then records the revocation once it does', async () => {
    const alert = await unconfirmedAlert();
    const retries = new AutoRevocationRetries(dataSource, connection, logger);

    // Nobody answers on the subject: a failed attempt, tried again after a wait.
    expect(await retries.retryDue()).toBe(0);
    expect(await queued(alert.id)).toEqual({ attempts: 1 });
    expect(await retries.retryDue()).toBe(0); // not due yet
    expect(await queued(alert.id)).toEqual({ attempts: 1 });

    // key-service is back (a stand-in answers on its subject, recording the request).
    const requests: unknown[] = [];
    const responder = connection.connection.subscribe(KeysRpc.revokeKey, {
      callback: (_error, message) => {
        requests.push(message.json());
        message.respond(JSON.stringify({ response: {}, isDisposed: true }));
      },
    });
    try {
      await dataSource.query(`UPDATE detector_auto_revocations SET next_attempt_at = now() WHERE alert_id = $1`, [
        alert.id,
      ]);
      expect(await retries.retryDue()).toBe(1);
    } finally {
      responder.unsubscribe();
    }

    expect(requests).toEqual([
      { account_id: alert.account_id, key_id: alert.key_id, reason: 'anomaly', meta: { request_id: 'req_test' } },
    ]);
    expect(await queued(alert.id)).toBeUndefined();
    const stored = await new AlertsRepository(dataSource).find(alert.id);
    expect(stored?.summary).toBe(`${alert.summary} The key was revoked automatically.`);
    expect(stored?.evidence).toEqual({ observed: 'AU', auto_revoked: true });
    const events = (await dataSource.query(`SELECT event_type AS type, data FROM es_events WHERE stream_id = $1`, [
      `alert-${alert.id}`,
    ])) as { type: string; data: { auto_revoked?: boolean } }[];
    expect(events).toEqual([
      expect.objectContaining({ type: 'alert.updated', data: expect.objectContaining({ auto_revoked: true }) }),
    ]);
  });

  /** A stand-in for key-service on the revoke subject while `run` runs; answers with `answer`, records requests. */
  async function withKeyService<T>(answer: object, run: () => Promise<T>): Promise<{ result: T; requests: unknown[] }> {
    const requests: unknown[] = [];
    const responder = connection.connection.subscribe(KeysRpc.revokeKey, {
      callback: (_error, message) => {
        requests.push(message.json());
        message.respond(JSON.stringify({ ...answer, isDisposed: true }));
      },
    });
    try {
      return { result: await run(), requests };
    } finally {
      responder.unsubscribe();
    }
  }

  it.each([
    [
      'the alert was resolved meanwhile',
      (alert: Alert) => dataSource.query(`UPDATE alerts SET status = 'resolved' WHERE id = $1`, [alert.id]),
    ],
    [
      'the rule was taken out of auto_revoke_on',
      (alert: Alert) =>
        dataSource.query(`UPDATE security_settings SET auto_revoke_on = '{}' WHERE account_id = $1`, [
          alert.account_id,
        ]),
    ],
  ])('drops the retry without revoking when %s', async (_what, change) => {
    const alert = await unconfirmedAlert();
    await change(alert);

    const { result, requests } = await withKeyService({ response: {} }, () =>
      new AutoRevocationRetries(dataSource, connection, logger).retryDue(),
    );

    expect([result, requests]).toEqual([0, []]);
    expect(await queued(alert.id)).toBeUndefined();
    expect((await new AlertsRepository(dataSource).find(alert.id))?.evidence.auto_revoked).toBe(false);
  });

  it('claims nothing when the key was revoked for another reason before the retry', async () => {
    const alert = await unconfirmedAlert();

    const { result, requests } = await withKeyService({ response: { status: 'revoked', revoked_reason: 'user' } }, () =>
      new AutoRevocationRetries(dataSource, connection, logger).retryDue(),
    );

    expect([result, requests.length]).toEqual([0, 1]);
    expect(await queued(alert.id)).toBeUndefined();
    const stored = await new AlertsRepository(dataSource).find(alert.id);
    expect([stored?.summary, stored?.evidence.auto_revoked]).toEqual([alert.summary, false]);
  });

  it('ends the retries, the alert unchanged, when the key is not there to revoke', async () => {
    const alert = await unconfirmedAlert();
    const responder = connection.connection.subscribe(KeysRpc.revokeKey, {
      callback: (_error, message) => {
        message.respond(
          JSON.stringify({ err: { code: RpcErrorCode.ResourceNotFound, message: 'no such key' }, isDisposed: true }),
        );
      },
    });
    try {
      expect(await new AutoRevocationRetries(dataSource, connection, logger).retryDue()).toBe(0);
    } finally {
      responder.unsubscribe();
    }

    expect(await queued(alert.id)).toBeUndefined();
    expect((await new AlertsRepository(dataSource).find(alert.id))?.evidence).toEqual({
      observed: 'AU',
      auto_revoked: false,
    });
  });
});
