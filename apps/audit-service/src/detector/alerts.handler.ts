import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Type } from 'class-transformer';
import { IsUUID, ValidateIf, ValidateNested } from 'class-validator';
import { DataSource } from 'typeorm';
import {
  AlertsQuery,
  AlertsRpc,
  DomainError,
  type Page,
  ResolveAlertDto,
  RpcErrorCode,
  SecuritySettingsDto,
} from '#contracts';
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

class AlertCommand extends Scope {
  @IsUUID()
  alert_id: string;
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

class PutSettingsCommand extends SettingsQuery {
  @ValidateNested()
  @Type(() => SecuritySettingsDto)
  body: SecuritySettingsDto;
}

type AlertView = Omit<Alert, 'dedup_key' | 'account_id'>;
const view = ({ dedup_key: _dedup, account_id: _account, ...alert }: Alert): AlertView => alert;
const DEFAULT_SETTINGS = { timezone: 'UTC', working_hours: null, webhook_url: null, auto_revoke_on: [] };

/** Alerts API (PRODUCT.md §9.2) and security settings. Another account's alert is 404. */
@Controller()
export class AlertsHandler {
  private readonly alerts: AlertsRepository;

  constructor(
    private readonly dataSource: DataSource,
    private readonly runner: DetectorRunner,
  ) {
    this.alerts = new AlertsRepository(dataSource);
  }

  @MessagePattern(AlertsRpc.list)
  async list(@Payload() command: ListAlertsCommand): Promise<Page<AlertView>> {
    const { query } = command;
    const { items, total } = await this.alerts.list(command.account_id, query, query.page, query.limit);
    return {
      items: items.map(view),
      total_count: total,
      page: query.page,
      per_page: query.limit,
      total_pages: Math.ceil(total / query.limit),
    };
  }

  @MessagePattern(AlertsRpc.get)
  async get(@Payload() command: AlertCommand): Promise<AlertView> {
    return view(await this.owned(command));
  }

  @MessagePattern(AlertsRpc.acknowledge)
  async acknowledge(@Payload() command: AlertCommand): Promise<AlertView> {
    const alert = await this.owned(command);
    if (alert.status !== 'open') return view(alert);
    const acknowledged: Alert = { ...alert, status: 'acknowledged' };
    await this.dataSource.transaction((manager) => this.alerts.save(acknowledged, manager));
    return view(acknowledged);
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
    await this.dataSource.transaction(async (manager) => {
      await this.alerts.save(resolved, manager);
      if (command.body.resolution === 'legitimate') await this.runner.learn(resolved, manager);
    });
    return view(resolved);
  }

  @MessagePattern(AlertsRpc.getSettings)
  async settings(@Payload() query: SettingsQuery): Promise<SecuritySettingsDto> {
    const [row] = (await this.dataSource.query(
      `SELECT timezone, working_hours, webhook_url, auto_revoke_on FROM security_settings WHERE account_id = $1`,
      [query.account_id],
    )) as SecuritySettingsDto[];
    return row ?? DEFAULT_SETTINGS;
  }

  @MessagePattern(AlertsRpc.putSettings)
  async putSettings(@Payload() command: PutSettingsCommand): Promise<SecuritySettingsDto> {
    const { body } = command;
    const settings = {
      timezone: body.timezone,
      working_hours: body.working_hours ?? null,
      webhook_url: body.webhook_url ?? null,
      auto_revoke_on: body.auto_revoke_on,
    };
    await this.dataSource.query(
      `INSERT INTO security_settings (account_id, timezone, working_hours, webhook_url, auto_revoke_on) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account_id) DO UPDATE SET timezone = EXCLUDED.timezone, working_hours = EXCLUDED.working_hours,
         webhook_url = EXCLUDED.webhook_url, auto_revoke_on = EXCLUDED.auto_revoke_on, updated_at = now()`,
      [command.account_id, settings.timezone, settings.working_hours, settings.webhook_url, settings.auto_revoke_on],
    );
    if (settings.working_hours)
      this.runner.workingHours.set(command.account_id, { ...settings.working_hours, timezone: settings.timezone });
    else this.runner.workingHours.delete(command.account_id);
    return settings;
  }

  private async owned(command: AlertCommand): Promise<Alert> {
    const alert = await this.alerts.find(command.alert_id);
    if (!alert || alert.account_id !== command.account_id)
      throw new DomainError(RpcErrorCode.ResourceNotFound, 'no alert with this id');
    return alert;
  }
}
