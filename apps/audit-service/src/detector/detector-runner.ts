import type { LoggerService } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { type EventEnvelope, STREAMS, WorkingHoursDto, isTimeZone, subjectForEventType } from '#contracts';
import { EventStore, IdempotentConsumer, type IdempotentConsumerOptions } from '#event-store';
import type { NatsConnectionHolder } from '#messaging';
import { type Alert, foldFinding, isEscalation } from './alert-book';
import { queueWebhook } from './webhooks';
import { type RevocationTarget, queueAutoRevocation, requestRevocation, revokedAlert } from './auto-revocations';
import { AlertsRepository, appendAlertEvent } from './alerts.repository';
import {
  DEFAULT_DETECTOR_CONFIG,
  Detector,
  type DetectorConfig,
  RETIRED_STATE_MS,
  type WorkingHours,
  grantStateId,
  watchedStateId,
} from './detector';
import { DetectorLeadership, FencedError } from './detector-leadership';
import { DetectorStateStore } from './detector-state-store';
import { prefixOwners } from '../audit-log/key-prefix-owners';
import { attributeByPrefix, unattributedPrefix } from './prefix-attribution';

/** How often a standby replica tries to take the lead, and the leader checks that it still holds it. */
const LEADERSHIP_CHECK_MS = 2_000;
/** Security settings changed through another replica reach the leader's detector within about this. */
const SETTINGS_REFRESH_MS = 1_000;
/** Settings are read again this far back, for a change whose transaction committed late. */
const SETTINGS_OVERLAP_MS = 60_000;

/** What a resolution as legitimate teaches the detector (see `learn`). */
export interface Lesson {
  rule: Alert['rule'];
  key_id: string | null;
  evidence: Record<string, unknown>;
}

/** The state a resolution teaches: the alert's key, or the app (grant) an app's alert names in its evidence. */
export function lessonStateId(lesson: Lesson): string | undefined {
  if (lesson.key_id) return lesson.key_id;
  return typeof lesson.evidence.grant_id === 'string' ? grantStateId(lesson.evidence.grant_id) : undefined;
}

/** An account's security settings as stored: read as untrusted (a row may predate a validation rule). */
export interface AccountSettings {
  timezone: unknown;
  working_hours: unknown;
  auto_revoke_on: string[];
}

/**
 * The working hours of stored settings, or null when there are none, or when they break the rules of
 * `PUT /settings/security` (an unknown time zone, `[]`…): then the key's learned hours apply. A row the
 * detector cannot use must not make every event of the account fail (and be dead-lettered).
 */
export function usableWorkingHours(settings: AccountSettings): WorkingHours | null {
  const { timezone, working_hours: stored } = settings;
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored) || !isTimeZone(timezone)) return null;
  const hours = plainToInstance(WorkingHoursDto, stored);
  if (validateSync(hours).length > 0) return null;
  return { timezone, days: hours.days, start: hours.start, end: hours.end };
}

/**
 * Runs the detector on the AUTH stream in audit-service. Each batch, in one transaction: the inbox
 * drops events already seen, the findings fold into alerts, `alert.raised` / `alert.updated` events go
 * to the outbox (→ ALERTS stream), and what the batch changed in the detector's state is saved, so a
 * restart resumes with what it learned and redeliveries raise nothing twice.
 *
 * With several replicas, one runs the detector (DetectorLeadership) and the others stand by without
 * consuming; a standby takes over within LEADERSHIP_CHECK_MS of the leader's death. Whatever any
 * replica takes (resolutions as legitimate, security settings) reaches the leader through the database.
 */
export class DetectorRunner {
  /** Unset until started, and after a batch's transaction failed: then reloaded from what was committed. */
  private detector?: Detector;
  /** The detector's consumers: running only while this replica leads. */
  private consumers: IdempotentConsumer[] = [];
  private readonly leadership: DetectorLeadership;
  /** The fencing generation while this replica leads. */
  private generation?: number;
  private campaignTimer?: NodeJS.Timeout;
  /** The tail of the election's steps: one at a time. */
  private campaigning: Promise<void> = Promise.resolve();
  private stopped = false;
  private stepping = false;
  /** When settings were last read (this process's clock: it only spaces the reads). */
  private settingsReadAt = 0;
  /** The minute of event time of the last sweep of retired keys' rows. */
  private lastRetiredSweepMinute = -Infinity;
  /** The newest `updated_at` of the settings read (the database's clock). */
  private settingsWatermark = new Date(0);
  /** The tail of the detector's queue (see `inTurn`): its consumers' transactions and resolutions. */
  private processing: Promise<unknown> = Promise.resolve();
  private readonly alerts: AlertsRepository;
  private readonly events: EventStore;
  private readonly store: DetectorStateStore;
  private readonly workingHours = new Map<string, WorkingHours>();
  private readonly autoRevokeOn = new Map<string, Set<string>>();
  /** Accounts whose stored working hours the detector cannot use, already logged. */
  private readonly unusableHoursReported = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly nats: NatsConnectionHolder,
    private readonly logger: LoggerService,
    private readonly config: DetectorConfig = DEFAULT_DETECTOR_CONFIG,
    /** Keys whose state the detector keeps in memory before it lets them all go (they are stored). */
    private readonly maxKeysInMemory = 100_000,
  ) {
    this.alerts = new AlertsRepository(dataSource);
    this.events = new EventStore(dataSource);
    this.store = new DetectorStateStore(dataSource);
    this.leadership = new DetectorLeadership(dataSource);
  }

  /** Whether this replica runs the detector now. */
  get leading(): boolean {
    return this.generation !== undefined;
  }

  async start(): Promise<void> {
    // Every account's settings: the watermark starts at the epoch.
    await this.readChangedSettings(this.dataSource.manager);
    await this.campaign();
    if (this.stopped) return;
    this.campaignTimer = setInterval(() => {
      // A step still running (a slow heartbeat) is not queued behind.
      if (!this.stepping) void this.campaign();
    }, LEADERSHIP_CHECK_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.campaignTimer);
    await this.inCampaign(() => this.stepDown('stopping'));
  }

  private campaign(): Promise<void> {
    this.stepping = true;
    return this.inCampaign(() => this.campaignStep()).finally(() => {
      this.stepping = false;
    });
  }

  /** Runs one step of the election after the previous one. */
  private inCampaign(step: () => Promise<void>): Promise<void> {
    this.campaigning = this.campaigning.then(step).catch((error: unknown) => {
      this.logger.warn({ msg: 'detector election step failed', error: String(error) }, 'DetectorRunner');
    });
    return this.campaigning;
  }

  /** The leader checks that it still holds the lead; a standby tries to take it. */
  private async campaignStep(): Promise<void> {
    if (this.stopped) return;
    if (this.leading) {
      if (!(await this.leadership.stillHeld())) await this.stepDown('the connection holding the lead failed');
      return;
    }
    const generation = await this.leadership.tryAcquire();
    if (generation === undefined) return;
    this.generation = generation;
    // What a former leader learned is in the database: start from there.
    this.forget();
    this.logger.log({ msg: 'leading the detector', generation }, 'DetectorRunner');
    // Every consumer of the detector hands its batches over in the detector's turn.
    const detectorConsumer = (options: Omit<IdempotentConsumerOptions, 'handle' | 'exclusive' | 'onRollback'>) =>
      new IdempotentConsumer(this.nats, this.dataSource, this.logger, {
        ...options,
        handle: (events, manager) => this.process(events, manager),
        exclusive: (work) => this.inTurn(work),
        onRollback: () => this.forget(),
        // Fenced: another replica leads, and this one is stepping down. Its batch goes to the leader.
        isTransient: (error) => error instanceof FencedError,
      });
    this.consumers = [
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
      // OAuth grants revoked because a code or refresh token came back twice (PRODUCT.md §14).
      detectorConsumer({
        durable: 'audit-detector-oauth-revocations',
        stream: STREAMS.accounts.name,
        filterSubject: subjectForEventType('oauth.grant_revoked'),
        startAt: 'new',
      }),
    ];
    try {
      for (const consumer of this.consumers) await consumer.start();
    } catch (error) {
      // A leader that does not consume would hold the detector up: let another replica (or the next step) lead.
      await this.stepDown(`its consumers did not start: ${String(error)}`);
    }
  }

  /**
   * Stops consuming and lets the lead go; unconsumed and unacknowledged events go to the next leader.
   * The consumers stop first, while the generation is still this replica's: the batches they have
   * queued are handled (or, when another replica already leads, fenced and retried there).
   */
  private async stepDown(reason: string): Promise<void> {
    if (!this.leading) return;
    this.logger.warn({ msg: 'no longer leading the detector', reason, generation: this.generation }, 'DetectorRunner');
    for (const consumer of this.consumers.splice(0)) await consumer.stop();
    this.generation = undefined;
    this.forget();
    await this.leadership.release();
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
    const hours = usableWorkingHours(settings);
    if (hours) this.workingHours.set(accountId, hours);
    else this.workingHours.delete(accountId);
    const unusable = !hours && settings.working_hours !== null;
    // Once per such row: a changed row is read again on every refresh of its overlap window.
    if (unusable && !this.unusableHoursReported.has(accountId))
      this.logger.warn(
        { msg: 'unusable working hours in security settings: learned hours apply', account_id: accountId },
        'DetectorRunner',
      );
    if (unusable) this.unusableHoursReported.add(accountId);
    else this.unusableHoursReported.delete(accountId);
    this.autoRevokeOn.set(accountId, new Set(settings.auto_revoke_on));
  }

  /**
   * A resolution as legitimate teaches the detector (a trusted country, a usual hour). `record` writes the
   * resolution; in the same transaction, the lesson is queued for the leader, which applies it before the
   * next events it observes, whichever replica took the resolution.
   */
  async learn(alert: Alert, record: (manager: EntityManager) => Promise<void>): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await record(manager);
      await manager.query(
        `INSERT INTO detector_lessons (alert_id, rule, key_id, evidence) VALUES ($1, $2, $3, $4)
         ON CONFLICT (alert_id) DO NOTHING`,
        [alert.id, alert.rule, alert.key_id ?? null, JSON.stringify(alert.evidence)],
      );
    });
  }

  /** The detector, with the committed failure windows when there is none; keys are read as needed (`process`). */
  private async current(manager: EntityManager): Promise<Detector> {
    this.detector ??= new Detector(
      this.config,
      await this.store.loadWindows(manager),
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
    try {
      await DetectorLeadership.fence(manager, this.generation);
    } catch (error) {
      // Another replica leads: stop (this batch is not acknowledged and goes to the leader).
      if (error instanceof FencedError) void this.inCampaign(() => this.stepDown(error.message));
      throw error;
    }
    await this.readChangedSettings(manager);
    const detector = await this.current(manager);
    const lessons = await this.takeLessons(manager);
    // Failures that show only a key prefix belong to the account with that prefix (see prefix-attribution).
    const prefixes = delivered.map(unattributedPrefix).filter((prefix) => prefix !== undefined);
    const owners = await prefixOwners(prefixes, manager);
    // Rules run over event time. The gateway sends key.used and auth.failed in separate batch messages, so a
    // batch may hold a success before the failures that preceded it: put them back in the order they happened.
    // Each time is parsed once, not in every comparison (a batch holds up to 1,000 events).
    const timed = attributeByPrefix(delivered, (prefix) => owners.get(prefix))
      .map((event) => ({ event, at: Date.parse(event.occurred_at) }))
      .sort((a, b) => a.at - b.at);
    // The states of the keys these events and lessons are about, read once for those not in memory.
    const keyIds = new Set<string>();
    for (const { event } of timed) {
      const stateId = watchedStateId(event);
      if (stateId !== undefined) keyIds.add(stateId);
    }
    for (const lesson of lessons) {
      const stateId = lessonStateId(lesson);
      if (stateId !== undefined) keyIds.add(stateId);
    }
    detector.adoptKeys(
      await this.store.loadKeys(
        [...keyIds].filter((keyId) => !detector.holds(keyId)),
        manager,
      ),
    );
    for (const lesson of lessons) detector.learnLegitimate(lesson.rule, lessonStateId(lesson), lesson.evidence);
    await this.observeAll(detector, timed, manager);
    // Sorted: the last event is the latest (an empty batch gives NaN, which the sweep ignores).
    await this.sweepRetiredKeys(timed.at(-1)?.at ?? NaN, manager);
    // Everything is stored: a detector that holds too many keys lets them go and reads them again as needed.
    if (detector.keyCount > this.maxKeysInMemory) detector.releaseKeys();
  }

  /**
   * Once a minute of event time, deletes the rows of keys retired an hour before (as the detector does
   * for the keys it holds; the others are not in its memory).
   */
  private async sweepRetiredKeys(newest: number, manager: EntityManager): Promise<void> {
    const minute = Math.floor(newest / 60_000);
    if (!Number.isFinite(minute) || minute <= this.lastRetiredSweepMinute) return;
    this.lastRetiredSweepMinute = minute;
    await this.store.sweepRetired(newest - RETIRED_STATE_MS, manager);
  }

  /** Resolutions as legitimate taken since the last batch, by any replica (see `learn`). */
  private async takeLessons(manager: EntityManager): Promise<Lesson[]> {
    // As a SELECT: TypeORM answers a DELETE with [rows, count].
    return (await manager.query(
      `WITH taken AS (DELETE FROM detector_lessons RETURNING rule, key_id, evidence) SELECT * FROM taken`,
    )) as Lesson[];
  }

  /** Security settings changed through other replicas, read at most every SETTINGS_REFRESH_MS. */
  private async readChangedSettings(manager: EntityManager): Promise<void> {
    const now = Date.now();
    if (now - this.settingsReadAt < SETTINGS_REFRESH_MS) return;
    this.settingsReadAt = now;
    // From a little before the newest change read: a change whose transaction committed late has an older time.
    const changed = (await manager.query(
      `SELECT account_id, timezone, working_hours, auto_revoke_on, updated_at FROM security_settings
        WHERE updated_at >= $1::timestamptz - make_interval(secs => $2)`,
      [this.settingsWatermark, SETTINGS_OVERLAP_MS / 1000],
    )) as (AccountSettings & { account_id: string; updated_at: Date })[];
    for (const setting of changed) {
      this.applySettings(setting.account_id, setting);
      if (setting.updated_at > this.settingsWatermark) this.settingsWatermark = setting.updated_at;
    }
  }

  private async observeAll(
    detector: Detector,
    events: { event: EventEnvelope; at: number }[],
    manager: EntityManager,
  ): Promise<void> {
    for (const { event, at } of events) {
      for (const finding of detector.observe(event, at)) {
        const previous = await this.alerts.latest(finding.account_id, finding.dedup_key, manager);
        const folded = foldFinding(previous, finding, this.config.cooldownMs);
        const { opened } = folded;
        let alert = folded.alert;
        // A revoked_key_use alert's key is revoked or expired already: the rule is accepted in auto_revoke_on
        // (PRODUCT.md §9.2 lists every rule there), but there is nothing to revoke and nothing to claim.
        const autoRevokes =
          alert.rule !== 'revoked_key_use' && this.autoRevokeOn.get(alert.account_id ?? '')?.has(alert.rule);
        if (opened && alert.account_id && autoRevokes) {
          // A key's alert revokes the key; an app's (its grant in the evidence) disconnects the app.
          const target: RevocationTarget | undefined = alert.key_id
            ? { key_id: alert.key_id }
            : typeof alert.evidence.grant_id === 'string'
              ? { grant_id: alert.evidence.grant_id }
              : undefined;
          if (target) alert = await this.autoRevoke(alert, target, event.meta.request_id, manager);
        }
        await this.alerts.save(alert, manager);
        if (opened) await queueWebhook(alert, manager);
        else if (previous && isEscalation(previous.severity, alert.severity))
          await queueWebhook(alert, manager, 'alert.escalated');
        await appendAlertEvent(
          this.events,
          opened ? 'alert.raised' : 'alert.updated',
          alert,
          event.meta.request_id,
          manager,
        );
      }
    }
    await this.store.save(detector.takeChanges(), manager);
  }

  /**
   * Asks key-service to revoke the alert's key or app (reason `anomaly`) and says so in the alert. Unanswered, it
   * is queued in this transaction and tried again after the commit until key-service confirms (AutoRevocationRetries).
   */
  private async autoRevoke(
    alert: Alert,
    target: RevocationTarget,
    requestId: string,
    manager: EntityManager,
  ): Promise<Alert> {
    const answer = await requestRevocation(this.nats, alert.account_id as string, target, requestId);
    if (answer.outcome === 'done') return revokedAlert(alert, target);
    if (answer.outcome === 'failed') {
      this.logger.warn(
        { msg: 'auto-revoke not confirmed: tried again shortly', alert_id: alert.id, error: answer.error },
        'DetectorRunner',
      );
      await queueAutoRevocation(manager, alert, target, requestId);
    }
    return { ...alert, evidence: { ...alert.evidence, auto_revoked: false } };
  }
}
