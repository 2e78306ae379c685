import { Controller, Inject } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Type } from 'class-transformer';
import { IsOptional, IsUUID, ValidateIf, ValidateNested } from 'class-validator';
import { DataSource, type EntityManager } from 'typeorm';
import {
  AlertsQuery,
  AlertsRpc,
  DomainError,
  type Page,
  ResolveAlertDto,
  IsRequestMeta,
  RequestMetaDto,
  RpcErrorCode,
  SecuritySettingsDto,
  isLinkLocalUrl,
  isSafeWebhookUrl,
  toPage,
} from '#contracts';
import { EventStore } from '#event-store';
import type { Alert } from './alert-book';
import { AlertsRepository } from './alerts.repository';
import { DetectorRunner } from './detector-runner';

/** Whose alerts: an account's, or (operators) those tied to no account. */
class Scope {
  @ValidateIf((_, value) => value !== null)
  @IsUUID()
  account_id: string | null;
}

class ListAlertsCommand extends Scope {
  @ValidateNested()
  @Type(() => AlertsQuery)
  query: AlertsQuery;
}

class AlertRef extends Scope {
  @IsUUID()
  alert_id: string;
}

class AlertCommand extends AlertRef {
  /** Who asked (request id, IP, User-Agent): the meta of the alert.acknowledged / alert.resolved event. */
  @IsRequestMeta()
  meta: RequestMetaDto;

  /** The API key that asked (none from the dashboard): the event's `meta.key_id`, as for any change (§8). */
  @IsOptional()
  @IsUUID()
  acting_key_id?: string;
}

class ResolveAlertCommand extends AlertCommand {
  @ValidateNested()
  @Type(() => ResolveAlertDto)
  body: ResolveAlertDto;
}

class SettingsQuery {
  @IsUUID()
  account_id: string;
}

class RotateWebhookSecretCommand extends SettingsQuery {
  @IsRequestMeta()
  meta: RequestMetaDto;
}

class PutSettingsCommand extends SettingsQuery {
  @ValidateNested()
  @Type(() => SecuritySettingsDto)
  body: SecuritySettingsDto;

  /** Who changed them: the meta of the security_settings.changed event. */
  @IsRequestMeta()
  meta: RequestMetaDto;
}

const SETTINGS_FIELDS = ['timezone', 'working_hours', 'webhook_url', 'auto_revoke_on'] as const;

/** How long deliveries are signed with a rotated-out secret too: a day to change the receiver. */
export const PREVIOUS_SECRET_HOURS = 24;

/** The settings as an event may carry them: the webhook by its origin only (its path may be its credential). */
function settingsFacts(settings: SecuritySettingsDto | typeof DEFAULT_SETTINGS) {
  return {
    timezone: settings.timezone,
    working_hours: settings.working_hours ?? null,
    webhook: settings.webhook_url ? new URL(settings.webhook_url).origin : null,
    auto_revoke_on: settings.auto_revoke_on,
  };
}

/**
 * An alert as the API shows it (PRODUCT.md §9.2). `resolution` is what it was resolved as (the value a resolve
 * sends), with the note and the time beside it; a resolution is stored as one record.
 */
type AlertView = Omit<Alert, 'dedup_key' | 'account_id' | 'resolution'> & {
  resolution?: NonNullable<Alert['resolution']>['resolution'];
  resolution_note?: string | null;
  resolved_at?: string;
};
const view = ({ dedup_key: _dedup, account_id: _account, resolution, ...alert }: Alert): AlertView =>
  resolution
    ? {
        ...alert,
        resolution: resolution.resolution,
        resolution_note: resolution.note ?? null,
        resolved_at: resolution.resolved_at,
      }
    : alert;
const DEFAULT_SETTINGS = {
  timezone: 'UTC',
  working_hours: null,
  webhook_url: null,
  auto_revoke_on: [],
  webhook_secret: null,
};

export const ALLOW_PRIVATE_WEBHOOKS = Symbol('ALLOW_PRIVATE_WEBHOOKS');

type SettingsAnswer = SecuritySettingsDto & { webhook_secret: string | null };

/** Alerts API (PRODUCT.md §9.2) and security settings. Another account's alert is 404. */
@Controller()
export class AlertsHandler {
  private readonly alerts: AlertsRepository;
  private readonly events: EventStore;

  constructor(
    private readonly dataSource: DataSource,
    private readonly runner: DetectorRunner,
    @Inject(ALLOW_PRIVATE_WEBHOOKS) private readonly allowPrivateWebhooks: boolean,
  ) {
    this.alerts = new AlertsRepository(dataSource);
    this.events = new EventStore(dataSource);
  }

  @MessagePattern(AlertsRpc.list)
  async list(@Payload() command: ListAlertsCommand): Promise<Page<AlertView>> {
    const { query } = command;
    const { items, total } = await this.alerts.list(command.account_id, query, query.page, query.limit);
    return toPage(items.map(view), total, query);
  }

  @MessagePattern(AlertsRpc.get)
  async get(@Payload() command: AlertRef): Promise<AlertView> {
    return view(await this.owned(command));
  }

  @MessagePattern(AlertsRpc.acknowledge)
  async acknowledge(@Payload() command: AlertCommand): Promise<AlertView> {
    const alert = await this.owned(command);
    if (alert.status !== 'open') return view(alert);
    const acknowledged: Alert = { ...alert, status: 'acknowledged' };
    const changed = await this.dataSource.transaction(async (manager) => {
      if (!(await this.alerts.acknowledge(alert.id, manager))) return false;
      await this.record('alert.acknowledged', acknowledged, {}, command, manager);
      return true;
    });
    // Resolved meanwhile (a resolve sent at the same time): the alert as it is now.
    return view(changed ? acknowledged : await this.owned(command));
  }

  @MessagePattern(AlertsRpc.resolve)
  async resolve(@Payload() command: ResolveAlertCommand): Promise<AlertView> {
    const alert = await this.owned(command);
    const resolved: Alert = {
      ...alert,
      status: 'resolved',
      resolution: {
        resolution: command.body.resolution,
        ...(command.body.note ? { note: command.body.note } : {}),
        resolved_at: new Date().toISOString(),
      },
    };
    const record = async (manager: EntityManager) => {
      // A person decided: an auto-revoke still waiting for key-service is not wanted any more. Removed before the
      // alert is changed, the order in which the retry locks them too (no deadlock with a retry under way).
      await manager.query(`DELETE FROM detector_auto_revocations WHERE alert_id = $1`, [resolved.id]);
      await this.alerts.decide(resolved, manager);
      await this.record('alert.resolved', resolved, { ...resolved.resolution }, command, manager);
    };
    if (command.body.resolution === 'legitimate') await this.runner.learn(resolved, record);
    else await this.dataSource.transaction(record);
    return view(resolved);
  }

  /** The decision as an event on the alert's stream (PRODUCT.md §8), in the transaction that stores it. */
  private async record(
    type: 'alert.acknowledged' | 'alert.resolved',
    alert: Alert,
    facts: object,
    command: AlertCommand,
    manager: EntityManager,
  ): Promise<void> {
    await this.events.append(
      `alert-${alert.id}`,
      [
        {
          type,
          data: {
            alert_id: alert.id,
            rule: alert.rule,
            severity: alert.severity,
            // The key the alert is about; `meta.key_id` is the key that made the decision (none from the dashboard).
            ...(alert.key_id ? { key_id: alert.key_id } : {}),
            ...facts,
          },
        },
      ],
      {
        expectedVersion: 'any',
        meta: {
          ...command.meta,
          account_id: alert.account_id,
          ...(command.acting_key_id ? { key_id: command.acting_key_id } : {}),
        },
        manager,
      },
    );
  }

  /** With `webhook_secret`: the key of the webhooks' HMAC signature, made when a webhook is first set. */
  @MessagePattern(AlertsRpc.getSettings)
  async settings(@Payload() query: SettingsQuery): Promise<SettingsAnswer> {
    const [row] = (await this.dataSource.query(
      `SELECT timezone, working_hours, webhook_url, auto_revoke_on, webhook_secret FROM security_settings WHERE account_id = $1`,
      [query.account_id],
    )) as SettingsAnswer[];
    return row ?? DEFAULT_SETTINGS;
  }

  @MessagePattern(AlertsRpc.putSettings)
  async putSettings(@Payload() command: PutSettingsCommand): Promise<SettingsAnswer> {
    const { body } = command;
    if (body.webhook_url && !this.allowPrivateWebhooks && !isSafeWebhookUrl(body.webhook_url)) {
      throw DomainError.invalidField('webhook_url', 'must not point at this machine or a private network');
    }
    if (body.webhook_url && isLinkLocalUrl(body.webhook_url)) {
      throw DomainError.invalidField('webhook_url', 'must not point at a link-local address (cloud metadata services)');
    }
    const row = await this.dataSource.transaction(async (manager) => {
      // The settings before, locked: a change is an event (PRODUCT.md §8), saying which fields changed. An
      // account without a row gets the defaults' row first, so that two first PUTs at once are compared in turn.
      await manager.query(
        `INSERT INTO security_settings (account_id, timezone, working_hours, webhook_url, auto_revoke_on, webhook_secret)
         VALUES ($1, $2, NULL, NULL, '{}', NULL) ON CONFLICT (account_id) DO NOTHING`,
        [command.account_id, DEFAULT_SETTINGS.timezone],
      );
      const [before] = (await manager.query(
        `SELECT timezone, working_hours, webhook_url, auto_revoke_on FROM security_settings WHERE account_id = $1 FOR UPDATE`,
        [command.account_id],
      )) as SecuritySettingsDto[];
      const [after] = (await manager.query(
        `INSERT INTO security_settings (account_id, timezone, working_hours, webhook_url, auto_revoke_on, webhook_secret)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (account_id) DO UPDATE SET timezone = EXCLUDED.timezone, working_hours = EXCLUDED.working_hours,
           webhook_url = EXCLUDED.webhook_url, auto_revoke_on = EXCLUDED.auto_revoke_on,
           webhook_secret = coalesce(security_settings.webhook_secret, EXCLUDED.webhook_secret), updated_at = now()
         RETURNING timezone, working_hours, webhook_url, auto_revoke_on, webhook_secret`,
        [
          command.account_id,
          body.timezone,
          body.working_hours ?? null,
          body.webhook_url ?? null,
          body.auto_revoke_on,
          // The signing secret is made when a webhook is first set, not before.
          body.webhook_url ? randomBytes(32).toString('hex') : null,
        ],
      )) as SettingsAnswer[];
      const old = before ?? DEFAULT_SETTINGS;
      // The rules as a set: the same ones in another order are no change.
      const comparable = (settings: typeof old, field: (typeof SETTINGS_FIELDS)[number]) =>
        JSON.stringify(field === 'auto_revoke_on' ? [...settings.auto_revoke_on].sort() : (settings[field] ?? null));
      const changed = SETTINGS_FIELDS.filter((field) => comparable(old, field) !== comparable(after, field));
      if (changed.length > 0) await this.recordSettingsChange(command, changed, after, manager);
      return after;
    });
    this.runner.applySettings(command.account_id, row);
    return row;
  }

  /**
   * A new webhook signing secret, in force at once: every delivery sent from now on, retries of older ones
   * included, is signed with it, and for PREVIOUS_SECRET_HOURS with the one it replaces too, in headers of their
   * own, so that the receiver can be changed after the rotation. Recorded as `security_settings.changed` naming
   * `webhook_secret` (never its value).
   */
  @MessagePattern(AlertsRpc.rotateWebhookSecret)
  async rotateWebhookSecret(@Payload() command: RotateWebhookSecretCommand): Promise<SettingsAnswer> {
    return this.dataSource.transaction(async (manager) => {
      // An UPDATE … RETURNING answers [rows, count] through TypeORM.
      const [rows] = (await manager.query(
        `UPDATE security_settings SET previous_webhook_secret = webhook_secret,
           previous_secret_until = now() + make_interval(hours => $3), webhook_secret = $2, updated_at = now()
         WHERE account_id = $1 AND webhook_url IS NOT NULL
         RETURNING timezone, working_hours, webhook_url, auto_revoke_on, webhook_secret`,
        [command.account_id, randomBytes(32).toString('hex'), PREVIOUS_SECRET_HOURS],
      )) as [SettingsAnswer[], number];
      const after = rows[0];
      if (!after)
        throw new DomainError(RpcErrorCode.ResourceNotFound, 'no webhook is set: there is no signing secret to rotate');
      await this.recordSettingsChange(command, ['webhook_secret'], after, manager);
      return after;
    });
  }

  /** `security_settings.changed` (PRODUCT.md §8 "every state change"), in the transaction that made the change. */
  private async recordSettingsChange(
    command: RotateWebhookSecretCommand,
    changed: string[],
    after: SettingsAnswer,
    manager: EntityManager,
  ): Promise<void> {
    await this.events.append(
      `security-settings-${command.account_id}`,
      [{ type: 'security_settings.changed', data: { changed, ...settingsFacts(after) } }],
      { expectedVersion: 'any', meta: { ...command.meta, account_id: command.account_id }, manager },
    );
  }

  private async owned(command: AlertRef): Promise<Alert> {
    const alert = await this.alerts.find(command.alert_id);
    if (!alert || alert.account_id !== command.account_id)
      throw new DomainError(RpcErrorCode.ResourceNotFound, 'no alert with this id');
    return alert;
  }
}
