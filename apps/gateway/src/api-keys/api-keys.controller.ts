import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { BlockList } from 'node:net';
import type { Request } from 'express';
import {
  type ApiKeyView,
  type Integration,
  type KeyUsage,
  KeysRpc,
  MCP_SERVER_RETIRED,
  type Page,
  isUuid,
} from '#contracts';
import { ProblemError } from '#common';
import { integrationRetired } from '../http/gateway-problem.filter';
import { listEnvelope } from '../http/list-envelope';
import { TRUSTED_PROXIES, commandMeta } from '../http/request-meta';
import { RpcClient } from '../rpc/rpc-client';
import { Access } from '../auth/access.decorator';
import { generateApiKey } from '../auth/api-key-format';
import { KeyVerifier } from '../auth/key-verifier';
import type { Identity } from '../auth/identity';
import { CreateApiKeyDto, ListApiKeysQuery, RotateApiKeyDto, UpdateApiKeyDto, UsageQuery } from './api-keys.dto';
import { NoBody } from '../http/no-body';

export interface CreatedApiKey {
  api_key: ApiKeyView;
  full_key: string;
  key_prefix: string;
}

export interface ApiKeyList {
  api_keys: ApiKeyView[];
  total_count: number;
  page: number;
  per_page: number;
  total_pages: number;
}

/** A new key never gets mcp_server. (A change of integrations may keep it on a legacy key: key-service decides.) */
export function refuseRetired(integrations: Integration[] | undefined): void {
  if (integrations?.includes('mcp_server')) throw integrationRetired(MCP_SERVER_RETIRED);
}

const notFound = (): ProblemError =>
  new ProblemError(HttpStatus.NOT_FOUND, 'RESOURCE_NOT_FOUND', 'no API key with this id');

/**
 * Settings → API Keys (PRODUCT.md §3.3), dashboard sessions only. The gateway generates every key:
 * only its hash and display prefix go to key-service; the full key is in this one answer.
 */
@ApiTags('api-keys')
@Access({ mode: 'session' })
@Controller(['api/v1/settings/api-keys', 'api/v1/api-keys'])
export class ApiKeysController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly verifier: KeyVerifier,
    @Inject(TRUSTED_PROXIES) private readonly trustedProxies: BlockList,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key; the full key is shown only in this answer' })
  async create(@Body() body: CreateApiKeyDto, @Req() request: Request): Promise<CreatedApiKey> {
    refuseRetired(body.integrations);
    const key = generateApiKey();
    const apiKey = await this.rpc.request<ApiKeyView>(KeysRpc.createKey, {
      account_id: this.accountId(request),
      name: body.name,
      integrations: body.integrations,
      ...(body.expires_at ? { expires_at: new Date(body.expires_at).toISOString() } : {}),
      key_hash: key.hash,
      key_prefix: key.prefix,
      meta: commandMeta(request, this.trustedProxies),
    });
    return { api_key: apiKey, full_key: key.fullKey, key_prefix: key.prefix };
  }

  @Get()
  @ApiOperation({ summary: 'List API keys' })
  async list(@Query() query: ListApiKeysQuery, @Req() request: Request): Promise<ApiKeyList> {
    const page = await this.rpc.request<Page<ApiKeyView>>(KeysRpc.listKeys, {
      account_id: this.accountId(request),
      ...query,
    });
    return listEnvelope('api_keys', page);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One API key' })
  get(@Param('id') id: string, @Req() request: Request): Promise<ApiKeyView> {
    return this.rpc.request<ApiKeyView>(KeysRpc.getKey, this.owned(id, request));
  }

  @Get(':id/usage')
  @ApiOperation({ summary: 'Usage of a key over 24h, 7d, 30d or 90d: totals, breakdowns, series, locations, IPs' })
  usage(@Param('id') id: string, @Query() query: UsageQuery, @Req() request: Request): Promise<KeyUsage> {
    return this.rpc.request<KeyUsage>(KeysRpc.keyUsage, { ...this.owned(id, request), range: query.range });
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename a key or change its integrations' })
  async update(@Param('id') id: string, @Body() body: UpdateApiKeyDto, @Req() request: Request): Promise<ApiKeyView> {
    const updated = await this.rpc.request<ApiKeyView>(KeysRpc.updateKey, {
      ...this.owned(id, request),
      ...body,
      meta: commandMeta(request, this.trustedProxies),
    });
    this.forget(updated.id);
    return updated;
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke a key, at once, on every gateway' })
  async revoke(@NoBody() _none: undefined, @Param('id') id: string, @Req() request: Request): Promise<void> {
    const revoked = await this.rpc.request<ApiKeyView>(KeysRpc.revokeKey, {
      ...this.owned(id, request),
      reason: 'user',
      meta: commandMeta(request, this.trustedProxies),
    });
    this.forget(revoked.id);
  }

  @Post(':id/rotate')
  @ApiOperation({ summary: 'Replace a key by a new one; the old one is revoked now or when the grace period ends' })
  async rotate(
    @Param('id') id: string,
    @Body() body: RotateApiKeyDto,
    @Req() request: Request,
  ): Promise<CreatedApiKey & { replaces: string }> {
    const key = generateApiKey();
    const rotated = await this.rpc.request<{ api_key: ApiKeyView; replaces: string }>(KeysRpc.rotateKey, {
      ...this.owned(id, request),
      grace_period_seconds: body.grace_period_seconds ?? 0,
      key_hash: key.hash,
      key_prefix: key.prefix,
      meta: commandMeta(request, this.trustedProxies),
    });
    this.forget(rotated.replaces);
    return { api_key: rotated.api_key, full_key: key.fullKey, key_prefix: key.prefix, replaces: rotated.replaces };
  }

  /**
   * key-service's invalidation reaches this instance on another NATS connection than the reply, so
   * it may arrive a moment later: forget the key here too, so that the caller's very next request
   * already sees the change. Other instances rely on the invalidation.
   */
  private forget(keyId: string): void {
    this.verifier.cache.invalidate({ key_id: keyId });
  }

  private accountId(request: Request): string {
    return (request.identity as Identity).account.id;
  }

  /** A malformed id is as unknown as another account's key: 404, never a hint. */
  private owned(id: string, request: Request): { account_id: string; key_id: string } {
    if (!isUuid(id)) throw notFound();
    return { account_id: this.accountId(request), key_id: id.toLowerCase() };
  }
}
