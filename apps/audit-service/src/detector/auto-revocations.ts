import type { LoggerService } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { KeysRpc, OAuthRpc, RpcErrorCode } from '#contracts';
import { EventStore, PeriodicSweep } from '#event-store';
import type { NatsConnectionHolder } from '#messaging';
import { type Alert, autoRevokedSentence } from './alert-book';
import { type AlertFacts, appendAlertEvent } from './alerts.repository';

/** What an alert's auto-revoke acts on: the key it names, or the app (grant) in its evidence. */
export type RevocationTarget = { key_id: string } | { grant_id: string };

/** How long key-service has to answer one revocation. */
const ANSWER_TIMEOUT_MS = 5_000;
/** How often due retries are looked for. */
const RETRY_EVERY_MS = 5_000;
/** The wait before retry n (from 0): doubling from 5 s, at most 10 minutes. */
export const retryDelayMs = (attempts: number): number => Math.min(5_000 * 2 ** attempts, 600_000);
/** After this long without key-service's confirmation, a retry is given up (and logged as an error). */
const GIVE_UP_AFTER_MS = 24 * 3_600_000;
/** Retries taken per look, each in its own transaction. */
const BATCH = 20;

/** The summary's sentence once the target is revoked. */
const doneSentence = (target: RevocationTarget): string => autoRevokedSentence('key_id' in target ? 'key' : 'app');

/**
 * Asks key-service to revoke the target with reason `anomaly`. Answers whether it is revoked now (`done`), will
 * never be (`gone`: no such key or app, or not the account's), or the answer did not come (`failed`: try again).
 */
export async function requestRevocation(
  nats: NatsConnectionHolder,
  accountId: string,
  target: RevocationTarget,
  requestId: string,
): Promise<{ outcome: 'done' | 'gone' } | { outcome: 'failed'; error: string }> {
  const subject = 'key_id' in target ? KeysRpc.revokeKey : OAuthRpc.revokeGrant;
  try {
    const reply = await nats.connection.request(
      subject,
      JSON.stringify({ account_id: accountId, ...target, reason: 'anomaly', meta: { request_id: requestId } }),
      { timeout: ANSWER_TIMEOUT_MS },
    );
    const answer = reply.json<{ err?: { code?: string }; response?: { revoked_reason?: string | null } }>();
    // A key revoked already for another reason (by its owner, a rotation) stays as it was: nothing was done here,
    // and the alert must not claim it.
    const revokedBefore = answer.response?.revoked_reason && answer.response.revoked_reason !== 'anomaly';
    if (!answer.err) return { outcome: revokedBefore ? 'gone' : 'done' };
    if (answer.err.code === RpcErrorCode.ResourceNotFound) return { outcome: 'gone' };
    return { outcome: 'failed', error: JSON.stringify(answer.err) };
  } catch (error) {
    return { outcome: 'failed', error: String(error) };
  }
}

/** The alert as it reads once its auto-revoke is done. */
export function revokedAlert(alert: Alert, target: RevocationTarget): Alert {
  return {
    ...alert,
    summary: `${alert.summary} ${doneSentence(target)}`,
    evidence: { ...alert.evidence, auto_revoked: true },
  };
}

/**
 * An auto-revoke key-service did not confirm when its alert opened (key-service restarting, NATS away): queued in
 * the alert's own transaction, so that it is as durable as the alert, and tried again after the commit until
 * key-service confirms. A stolen key must not stay live because one request went unanswered.
 */
export async function queueAutoRevocation(
  manager: EntityManager,
  alert: Alert,
  target: RevocationTarget,
  requestId: string,
): Promise<void> {
  await manager.query(
    `INSERT INTO detector_auto_revocations (alert_id, account_id, target, request_id, next_attempt_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) ON CONFLICT (alert_id) DO NOTHING`,
    [alert.id, alert.account_id, target, requestId, retryDelayMs(0) / 1000],
  );
}

interface QueuedRevocation {
  alert_id: string;
  account_id: string;
  target: RevocationTarget;
  request_id: string;
  attempts: number;
  created_at: Date;
}

/**
 * Tries the queued auto-revocations again (every replica may: each row is claimed with SKIP LOCKED). When
 * key-service confirms, the alert says so (summary, `evidence.auto_revoked: true`) and an `alert.updated` event
 * records it. A target that no longer exists or was revoked for another reason, an alert resolved meanwhile, or a
 * rule taken out of `auto_revoke_on` ends the retries, the alert unchanged.
 */
export class AutoRevocationRetries {
  private readonly sweep: PeriodicSweep;
  private readonly events: EventStore;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly nats: NatsConnectionHolder,
    private readonly logger: LoggerService,
    everyMs = RETRY_EVERY_MS,
  ) {
    this.events = new EventStore(dataSource);
    this.sweep = new PeriodicSweep('auto-revocation retries', () => this.retryDue(), logger, {
      everyMs,
      firstAfterMs: everyMs,
    });
  }

  start(): void {
    this.sweep.start();
  }

  stop(): Promise<void> {
    this.stopping = true;
    return this.sweep.stop();
  }

  /** Tries every due revocation once; answers how many key-service confirmed. */
  async retryDue(): Promise<number> {
    let confirmed = 0;
    // A stopping service takes no more: each can wait 5 s for key-service.
    for (let taken = 0; taken < BATCH && !this.stopping; taken += 1) {
      const outcome = await this.dataSource.transaction((manager) => this.retryNext(manager));
      if (outcome === 'none') break;
      if (outcome === 'done') confirmed += 1;
    }
    return confirmed;
  }

  private async retryNext(manager: EntityManager): Promise<'none' | 'done' | 'gone' | 'failed'> {
    const [queued] = (await manager.query(
      `SELECT alert_id, account_id, target, request_id, attempts, created_at FROM detector_auto_revocations
        WHERE next_attempt_at <= now() ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
    )) as QueuedRevocation[];
    if (!queued) return 'none';
    if (!(await this.stillWanted(manager, queued))) {
      await this.forget(manager, queued);
      return 'gone';
    }
    const answer = await requestRevocation(this.nats, queued.account_id, queued.target, queued.request_id);
    if (answer.outcome === 'failed') {
      if (Date.now() - new Date(queued.created_at).getTime() > GIVE_UP_AFTER_MS) {
        this.logger.error(
          { msg: 'auto-revoke given up after 24 h', alert_id: queued.alert_id, error: answer.error },
          'AutoRevocationRetries',
        );
        await this.forget(manager, queued);
      } else {
        await manager.query(
          `UPDATE detector_auto_revocations SET attempts = attempts + 1,
             next_attempt_at = now() + make_interval(secs => $2) WHERE alert_id = $1`,
          [queued.alert_id, retryDelayMs(queued.attempts + 1) / 1000],
        );
      }
      return 'failed';
    }
    await this.forget(manager, queued);
    if (answer.outcome === 'done') await this.recordRevoked(manager, queued);
    return answer.outcome;
  }

  /**
   * Whether the revocation is still what the account asked for: its alert not resolved (a person decided about it
   * meanwhile: legitimate, a false positive), and its rule still in `auto_revoke_on`. Read without locking the
   * alert: the detector folds attacks into it meanwhile, and a resolution removes this retry first (its row is
   * what both lock, in the same order: the retry, then the alert).
   */
  private async stillWanted(manager: EntityManager, queued: QueuedRevocation): Promise<boolean> {
    const [alert] = (await manager.query(
      `SELECT a.status, a.rule, s.auto_revoke_on FROM alerts a
         LEFT JOIN security_settings s ON s.account_id = a.account_id
        WHERE a.id = $1`,
      [queued.alert_id],
    )) as { status: string; rule: string; auto_revoke_on: string[] | null }[];
    return Boolean(alert && alert.status !== 'resolved' && alert.auto_revoke_on?.includes(alert.rule));
  }

  private async forget(manager: EntityManager, queued: QueuedRevocation): Promise<void> {
    await manager.query(`DELETE FROM detector_auto_revocations WHERE alert_id = $1`, [queued.alert_id]);
  }

  /** The alert says the revocation is done, and its stream records it (`alert.updated`). */
  private async recordRevoked(manager: EntityManager, queued: QueuedRevocation): Promise<void> {
    const sentence = doneSentence(queued.target);
    // TypeORM answers an UPDATE … RETURNING with [rows, count].
    const [[alert]] = (await manager.query(
      `UPDATE alerts SET summary = summary || ' ' || $2, evidence = evidence || '{"auto_revoked": true}'::jsonb,
         updated_at = now() WHERE id = $1 AND status <> 'resolved'
       RETURNING id, account_id, rule, severity, status, count, key_id, summary`,
      [queued.alert_id, sentence],
    )) as [AlertFacts[], number];
    if (!alert) return;
    await appendAlertEvent(this.events, 'alert.updated', alert, queued.request_id, manager, { auto_revoked: true });
  }
}
