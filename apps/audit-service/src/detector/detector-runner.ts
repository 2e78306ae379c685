import type { LoggerService } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { type EventEnvelope, STREAMS } from '#contracts';
import { EventStore, IdempotentConsumer } from '#event-store';
import type { NatsConnectionHolder } from '#messaging';
import { type Alert, foldFinding } from './alert-book';
import { AlertsRepository } from './alerts.repository';
import { DEFAULT_DETECTOR_CONFIG, Detector, type DetectorState, type WorkingHours, emptyState } from './detector';

/**
 * Runs the detector on the AUTH stream in audit-service. Each batch, in one transaction: the inbox
 * drops events already seen, the findings fold into alerts, `alert.raised` / `alert.updated` events go
 * to the outbox (→ ALERTS stream), and the detector's state is saved, so a restart resumes with what
 * it learned and redeliveries raise nothing twice.
 */
export class DetectorRunner {
  private detector?: Detector;
  private consumer?: IdempotentConsumer;
  private readonly alerts: AlertsRepository;
  private readonly events: EventStore;
  readonly workingHours = new Map<string, WorkingHours>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly nats: NatsConnectionHolder,
    private readonly logger: LoggerService,
  ) {
    this.alerts = new AlertsRepository(dataSource);
    this.events = new EventStore(dataSource);
  }

  async start(): Promise<void> {
    const [row] = (await this.dataSource.query(`SELECT state FROM detector_state WHERE id = 1`)) as {
      state: DetectorState;
    }[];
    const settings = (await this.dataSource.query(
      `SELECT account_id, timezone, working_hours FROM security_settings WHERE working_hours IS NOT NULL`,
    )) as { account_id: string; timezone: string; working_hours: Omit<WorkingHours, 'timezone'> }[];
    for (const setting of settings)
      this.workingHours.set(setting.account_id, { ...setting.working_hours, timezone: setting.timezone });
    this.detector = new Detector(
      DEFAULT_DETECTOR_CONFIG,
      row?.state ?? emptyState(),
      (accountId) => this.workingHours.get(accountId) ?? null,
    );
    this.consumer = new IdempotentConsumer(this.nats, this.dataSource, this.logger, {
      durable: 'audit-detector',
      stream: STREAMS.auth.name,
      batchSize: 1_000,
      lingerMs: 50,
      handle: (events, manager) => this.process(events, manager),
    });
    await this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }

  /** A resolution as legitimate teaches the detector (a trusted country, a usual hour). */
  async learn(alert: Alert, manager: EntityManager): Promise<void> {
    if (!this.detector) return;
    this.detector.learnLegitimate(alert.rule, alert.key_id, alert.evidence);
    await this.saveState(manager);
  }

  async process(events: EventEnvelope[], manager: EntityManager): Promise<void> {
    const detector = this.detector as Detector;
    // If the transaction fails, the batch will come again: the detector must not have learned from it.
    const before = structuredClone(detector.state);
    try {
      await this.observeAll(detector, events, manager);
    } catch (error) {
      this.detector = new Detector(
        DEFAULT_DETECTOR_CONFIG,
        before,
        (accountId) => this.workingHours.get(accountId) ?? null,
      );
      throw error;
    }
  }

  private async observeAll(detector: Detector, events: EventEnvelope[], manager: EntityManager): Promise<void> {
    for (const event of events) {
      for (const finding of detector.observe(event)) {
        const { alert, opened } = foldFinding(
          await this.alerts.latest(finding.account_id, finding.dedup_key, manager),
          finding,
        );
        await this.alerts.save(alert, manager);
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
    await this.saveState(manager);
  }

  private async saveState(manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO detector_state (id, state) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
      [JSON.stringify(this.detector?.state ?? emptyState())],
    );
  }
}
