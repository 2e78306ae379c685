import type { LoggerService } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { type EventEnvelope, KeysRpc, STREAMS, subjectForEventType } from '#contracts';
import { EventStore, IdempotentConsumer, type IdempotentConsumerOptions } from '#event-store';
import type { NatsConnectionHolder } from '#messaging';
import { type Alert, foldFinding } from './alert-book';
import { queueWebhook } from './webhooks';
import { AlertsRepository } from './alerts.repository';
import { DEFAULT_DETECTOR_CONFIG, Detector, type DetectorConfig, type WorkingHours } from './detector';
import { DetectorStateStore } from './detector-state-store';
import { prefixOwners } from '../audit-log/key-prefix-owners';
import { attributeByPrefix, unattributedPrefix } from './prefix-attribution';

interface AccountSettings {
  timezone: string;
  working_hours: Omit<WorkingHours, 'timezone'> | null;
  auto_revoke_on: string[];
}

/**
 * Runs the detector on the AUTH stream in audit-service. Each batch, in one transaction: the inbox
 * drops events already seen, the findings fold into alerts, `alert.raised` / `alert.updated` events go
 * to the outbox (→ ALERTS stream), and what the batch changed in the detector's state is saved, so a
 * restart resumes with what it learned and redeliveries raise nothing twice.
 */
export class DetectorRunner {
  /** Unset until started, and after a batch's transaction failed: then reloaded from what was committed. */
  private detector?: Detector;
  private readonly consumers: IdempotentConsumer[] = [];
  /** The tail of the detector's queue (see `inTurn`): its consumers' transactions and resolutions. */
  private processing: Promise<unknown> = Promise.resolve();
  private readonly alerts: AlertsRepository;
  private readonly events: EventStore;
  private readonly store: DetectorStateStore;
  private readonly workingHours = new Map<string, WorkingHours>();
  private readonly autoRevokeOn = new Map<string, Set<string>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly nats: NatsConnectionHolder,
    private readonly logger: LoggerService,
    private readonly config: DetectorConfig = DEFAULT_DETECTOR_CONFIG,
  ) {
    this.alerts = new AlertsRepository(dataSource);
    this.events = new EventStore(dataSource);
    this.store = new DetectorStateStore(dataSource);
  }

  async start(): Promise<void> {
    const settings = (await this.dataSource.query(
      `SELECT account_id, timezone, working_hours, auto_revoke_on FROM security_settings`,
    )) as (AccountSettings & { account_id: string })[];
    for (const setting of settings) this.applySettings(setting.account_id, setting);
    await this.current();
    // Every consumer of the detector hands its batches over in the detector's turn.
    const detectorConsumer = (options: Omit<IdempotentConsumerOptions, 'handle' | 'exclusive' | 'onRollback'>) =>
      new IdempotentConsumer(this.nats, this.dataSource, this.logger, {
        ...options,
        handle: (events, manager) => this.process(events, manager),
        exclusive: (work) => this.inTurn(work),
        onRollback: () => this.forget(),
      });
    this.consumers.push(
      detectorConsumer({
        durable: 'audit-detector',
        stream: STREAMS.auth.name,
        batchSize: 1_000,
        // Alerts may come 100 ms later (PRODUCT.md allows seconds); fewer transactions under load.
        lingerMs: 100,
      }),
      // Revocations (leaks, PRODUCT.md §11; keys to forget) and expiries (keys to forget), one filter subject
      // per consumer on nats-server 2.9. Both start at new events: leaks reported before these consumers
      // existed were never promised an alert, so no flood of old ones.
      ...[
        ['audit-detector-revocations', 'key.revoked'],
        ['audit-detector-expirations', 'key.expired'],
      ].map(([durable, type]) =>
        detectorConsumer({
          durable,
          stream: STREAMS.keys.name,
          filterSubject: subjectForEventType(type),
          startAt: 'new',
        }),
      ),
    );
    for (const consumer of this.consumers) await consumer.start();
  }

  async stop(): Promise<void> {
    for (const consumer of this.consumers) await consumer.stop();
  }

  /**
   * Runs `work` after the detector's previous work has finished: one at a time, in arrival order. Every
   * transaction that changes the detector's state runs whole in a turn, commit included, so no other
   * one reads or writes that state before it is committed or, rolled back, forgotten.
   */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.processing.then(work);
    this.processing = turn.catch(() => undefined);
    return turn;
  }

  /** What the detector needs of an account's security settings: working hours and auto-revoke rules. */
  applySettings(accountId: string, settings: AccountSettings): void {
    if (settings.working_hours)
      this.workingHours.set(accountId, { ...settings.working_hours, timezone: settings.timezone });
    else this.workingHours.delete(accountId);
    this.autoRevokeOn.set(accountId, new Set(settings.auto_revoke_on));
  }

  /**
   * A resolution as legitimate teaches the detector (a trusted country, a usual hour): `record` writes the
   * resolution, in the same transaction as what the detector learned, in the detector's turn.
   */
  learn(alert: Alert, record: (manager: EntityManager) => Promise<void>): Promise<void> {
    return this.inTurn(async () => {
      try {
        await this.dataSource.transaction(async (manager) => {
          await record(manager);
          const detector = await this.current();
          detector.learnLegitimate(alert.rule, alert.key_id, alert.evidence);
          await this.store.save(detector.takeChanges(), manager);
        });
      } catch (error) {
        this.forget();
        throw error;
      }
    });
  }

  /** The detector, loaded from the committed state when there is none. */
  private async current(): Promise<Detector> {
    this.detector ??= new Detector(
      this.config,
      await this.store.load(),
      (accountId) => this.workingHours.get(accountId) ?? null,
    );
    return this.detector;
  }

  /**
   * A transaction that changed the detector failed (in the handler or at commit): its events will come
   * again, and the detector must not have learned from them. It is reloaded from the committed state
   * before the next transaction.
   */
  private forget(): void {
    this.detector = undefined;
  }

  async process(delivered: EventEnvelope[], manager: EntityManager): Promise<void> {
    const detector = await this.current();
    // Failures that show only a key prefix belong to the account with that prefix (see prefix-attribution).
    const prefixes = delivered.map(unattributedPrefix).filter((prefix) => prefix !== undefined);
    const owners = await prefixOwners(prefixes, manager);
    // Rules run over event time. The gateway sends key.used and auth.failed in separate batch messages, so a
    // batch may hold a success before the failures that preceded it: put them back in the order they happened.
    // Each time is parsed once, not in every comparison (a batch holds up to 1,000 events).
    const events = attributeByPrefix(delivered, (prefix) => owners.get(prefix))
      .map((event) => ({ event, at: Date.parse(event.occurred_at) }))
      .sort((a, b) => a.at - b.at)
      .map(({ event }) => event);
    await this.observeAll(detector, events, manager);
  }

  private async observeAll(detector: Detector, events: EventEnvelope[], manager: EntityManager): Promise<void> {
    for (const event of events) {
      for (const finding of detector.observe(event)) {
        const folded = foldFinding(await this.alerts.latest(finding.account_id, finding.dedup_key, manager), finding);
        const { opened } = folded;
        let alert = folded.alert;
        if (opened && alert.account_id && alert.key_id && this.autoRevokeOn.get(alert.account_id)?.has(alert.rule)) {
          alert = await this.autoRevoke(alert, event.meta.request_id);
        }
        await this.alerts.save(alert, manager);
        if (opened) await queueWebhook(alert, manager);
        await this.events.append(
          `alert-${alert.id}`,
          [
            {
              type: opened ? 'alert.raised' : 'alert.updated',
              data: {
                alert_id: alert.id,
                rule: alert.rule,
                severity: alert.severity,
                count: alert.count,
                key_id: alert.key_id ?? null,
                summary: alert.summary,
              },
            },
          ],
          {
            expectedVersion: 'any',
            meta: {
              request_id: event.meta.request_id,
              account_id: alert.account_id,
              ...(alert.key_id ? { key_id: alert.key_id } : {}),
            },
            manager,
          },
        );
      }
    }
    await this.store.save(detector.takeChanges(), manager);
  }

  /** Asks key-service to revoke the key (reason `anomaly`) and says so in the alert. */
  private async autoRevoke(alert: Alert, requestId: string): Promise<Alert> {
    try {
      const reply = await this.nats.connection.request(
        KeysRpc.revokeKey,
        JSON.stringify({
          account_id: alert.account_id,
          key_id: alert.key_id,
          reason: 'anomaly',
          meta: { request_id: requestId },
        }),
        { timeout: 5_000 },
      );
      const answer = reply.json<{ err?: unknown }>();
      if (answer.err) throw new Error(JSON.stringify(answer.err));
      return {
        ...alert,
        summary: `${alert.summary} The key was revoked automatically.`,
        evidence: { ...alert.evidence, auto_revoked: true },
      };
    } catch (error) {
      this.logger.warn({ msg: 'auto-revoke failed', alert_id: alert.id, error: String(error) }, 'DetectorRunner');
      return { ...alert, evidence: { ...alert.evidence, auto_revoked: false } };
    }
  }
}
