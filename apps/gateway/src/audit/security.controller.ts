import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  Post,
  Put,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import type { BlockList } from 'node:net';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AlertsQuery, AlertsRpc, type Page, ResolveAlertDto, SecuritySettingsDto, isUuid } from '#contracts';
import { ProblemError } from '#common';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { Access } from '../auth/access.decorator';
import type { Identity } from '../auth/identity';
import { listEnvelope } from '../http/list-envelope';
import { RpcClient } from '../rpc/rpc-client';
import { TRUSTED_PROXIES, commandMeta } from '../http/request-meta';
import { NoBody } from '../http/no-body';

const accountOf = (request: Request): string => (request.identity as Identity).account.id;
/** The API key a decision on an alert came with, for its event's `meta.key_id`; nothing for the dashboard. */
const actingKeyOf = (request: Request): { acting_key_id?: string } => {
  const identity = request.identity as Identity;
  return identity.kind === 'api_key' ? { acting_key_id: identity.key.id } : {};
};

function alertId(id: string): string {
  if (!isUuid(id)) throw new ProblemError(HttpStatus.NOT_FOUND, 'RESOURCE_NOT_FOUND', 'no alert with this id');
  return id.toLowerCase();
}

/**
 * Security alerts of the account (PRODUCT.md §9.2): a session, or an API key with `cli` whatever
 * integration it declares, so an IDE-hook key never dismisses an alert.
 */
@ApiTags('security')
@Access({ mode: 'session_or_key', integration: 'cli', fixed: true })
@Controller('api/v1/security/alerts')
export class SecurityAlertsController {
  constructor(
    private readonly rpc: RpcClient,
    @Inject(TRUSTED_PROXIES) private readonly trustedProxies: BlockList,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Alerts, most recent first (status, rule, key_id filters; pagination)' })
  async list(@Query() query: AlertsQuery, @Req() request: Request) {
    return listEnvelope(
      'alerts',
      await this.rpc.request<Page<unknown>>(AlertsRpc.list, { account_id: accountOf(request), query }),
    );
  }

  @Get(':id')
  @ApiOperation({ summary: 'One alert' })
  get(@Param('id') id: string, @Req() request: Request): Promise<unknown> {
    return this.rpc.request(AlertsRpc.get, { account_id: accountOf(request), alert_id: alertId(id) });
  }

  @Post(':id/acknowledge')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Acknowledge an alert' })
  acknowledge(@NoBody() _none: undefined, @Param('id') id: string, @Req() request: Request): Promise<unknown> {
    return this.rpc.request(AlertsRpc.acknowledge, {
      account_id: accountOf(request),
      alert_id: alertId(id),
      meta: commandMeta(request, this.trustedProxies),
      ...actingKeyOf(request),
    });
  }

  @Post(':id/resolve')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Resolve an alert (legitimate | revoked_key | false_positive)' })
  resolve(@Param('id') id: string, @Body() body: ResolveAlertDto, @Req() request: Request): Promise<unknown> {
    return this.rpc.request(AlertsRpc.resolve, {
      account_id: accountOf(request),
      alert_id: alertId(id),
      body,
      meta: commandMeta(request, this.trustedProxies),
      ...actingKeyOf(request),
    });
  }
}

/** Security settings: dashboard sessions only. */
@ApiTags('security')
@Access({ mode: 'session' })
@Controller('api/v1/settings/security')
export class SecuritySettingsController {
  constructor(
    private readonly rpc: RpcClient,
    @Inject(TRUSTED_PROXIES) private readonly trustedProxies: BlockList,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Time zone, working hours, webhook URL, auto-revoke rules' })
  get(@Req() request: Request): Promise<SecuritySettingsDto> {
    return this.rpc.request(AlertsRpc.getSettings, { account_id: accountOf(request) });
  }

  @Put()
  @ApiOperation({ summary: 'Replace the security settings' })
  put(@Body() body: SecuritySettingsDto, @Req() request: Request): Promise<SecuritySettingsDto> {
    return this.rpc.request(AlertsRpc.putSettings, {
      account_id: accountOf(request),
      body,
      meta: commandMeta(request, this.trustedProxies),
    });
  }

  @Post('webhook-secret/rotate')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'A new webhook signing secret, in force at once (404 when no webhook is set); answers the settings',
  })
  rotateWebhookSecret(@NoBody() _none: undefined, @Req() request: Request): Promise<SecuritySettingsDto> {
    return this.rpc.request(AlertsRpc.rotateWebhookSecret, {
      account_id: accountOf(request),
      meta: commandMeta(request, this.trustedProxies),
    });
  }
}

/** Alerts tied to no account (e.g. a failed-auth burst against unknown keys), for operators. */
@ApiTags('admin')
@Access({ mode: 'public' })
@UseGuards(AdminTokenGuard)
@Controller('admin/v1/security/alerts')
export class AdminAlertsController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @ApiOperation({ summary: 'Alerts that cannot be tied to an account' })
  async list(@Query() query: AlertsQuery) {
    return listEnvelope('alerts', await this.rpc.request<Page<unknown>>(AlertsRpc.list, { account_id: null, query }));
  }
}
