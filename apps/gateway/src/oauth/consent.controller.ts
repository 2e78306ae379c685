import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { BlockList } from 'node:net';
import type { Request } from 'express';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import {
  type AppUsage,
  AuditRpc,
  GRANT_SORT_FIELDS,
  OAUTH_SCOPES,
  type OAuthAuthorizationView,
  type OAuthRedirectView,
  type OAuthGrantView,
  OAuthRpc,
  type Page,
  PaginationQuery,
  isUuid,
} from '#contracts';
import { ProblemError } from '#common';
import { GatewayEnv } from '../config/gateway.env';
import { TRUSTED_PROXIES, commandMeta } from '../http/request-meta';
import { RpcClient } from '../rpc/rpc-client';
import { Access } from '../auth/access.decorator';
import { sha256Hex } from '../auth/api-key-format';
import type { Identity } from '../auth/identity';
import { listEnvelope } from '../http/list-envelope';
import { UsageQuery } from '../api-keys/api-keys.dto';
import { type AuthorizationCheck, AuthorizationRequests, type ValidAuthorization } from './authorization-requests';
import {
  AUTHORIZATION_PARAM_NAMES,
  type AuthorizationParams,
  newAuthorizationCode,
  publicOrigin,
  readParams,
  withQuery,
} from './oauth-protocol';
import { NoBody } from '../http/no-body';

/** An authorization request's parameters as the consent page passes them on (checked by AuthorizationRequests). */
export class AuthorizationRequestQuery implements AuthorizationParams {
  @ApiPropertyOptional({ example: 'code' }) @IsOptional() @IsString() @MaxLength(100) response_type?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) client_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) redirect_uri?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) code_challenge?: string;
  @ApiPropertyOptional({ example: 'S256' }) @IsOptional() @IsString() @MaxLength(100) code_challenge_method?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2048) state?: string;
  @ApiPropertyOptional({ example: 'content:read content:write' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  scope?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) resource?: string;
}

/** The user's answer to an authorization request: the request's own parameters, and the decision. */
export class AuthorizationDecisionDto extends AuthorizationRequestQuery {
  @ApiProperty({ enum: ['allow', 'deny'] })
  @IsIn(['allow', 'deny'])
  decision: 'allow' | 'deny';
}

export class ListGrantsParams extends PaginationQuery {
  @ApiPropertyOptional({ enum: GRANT_SORT_FIELDS, default: 'created_at' })
  @IsOptional()
  @IsIn(GRANT_SORT_FIELDS)
  sort_by: (typeof GRANT_SORT_FIELDS)[number] = 'created_at';

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  sort_order: 'asc' | 'desc' = 'desc';
}

function invalidRequest(detail: string, status: HttpStatus = HttpStatus.BAD_REQUEST): ProblemError {
  return new ProblemError(
    status,
    status === HttpStatus.NOT_FOUND ? 'RESOURCE_NOT_FOUND' : 'OAUTH_REQUEST_INVALID',
    detail,
  );
}

/** A request the consent page may show or answer; anything else is a problem+json for the page to show. */
function requireValid(check: AuthorizationCheck): ValidAuthorization {
  if (check.kind === 'valid') return check;
  if (check.kind === 'not_redirectable') throw invalidRequest(check.detail, check.status);
  throw invalidRequest(`${check.error}: ${check.description}`);
}

/**
 * The dashboard's side of the OAuth flow (PRODUCT.md §14): the consent page reads an authorization
 * request and answers it; Settings lists the connected apps (grants) and disconnects them. Sessions only:
 * an API key can never consent on a user's behalf.
 */
@ApiTags('oauth')
@Access({ mode: 'session' })
@Controller('api/v1')
export class ConsentController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly requests: AuthorizationRequests,
    private readonly config: GatewayEnv,
    @Inject(TRUSTED_PROXIES) private readonly trusted: BlockList,
  ) {}

  private async checked(source: unknown, request: Request): Promise<ValidAuthorization> {
    const read = readParams(source, AUTHORIZATION_PARAM_NAMES);
    if (!('params' in read))
      throw invalidRequest(`${'repeated' in read ? read.repeated : read.notString} must be sent once, as a string`);
    return requireValid(
      await this.requests.check(read.params, publicOrigin(request, this.trusted, this.config.PUBLIC_URL)),
    );
  }

  @Get('oauth/authorization')
  @ApiOperation({ summary: 'What an OAuth authorization request asks for (the consent page)' })
  async describe(@Query() query: AuthorizationRequestQuery, @Req() request: Request): Promise<OAuthAuthorizationView> {
    const valid = await this.checked(query, request);
    return {
      client: {
        client_id: valid.client.client_id,
        client_name: valid.client.client_name,
        client_uri: valid.client.client_uri,
      },
      redirect_uri: valid.redirectUri,
      scopes: valid.scopes.map((name) => ({ name, description: OAUTH_SCOPES[name] })),
      resource: valid.resource,
    };
  }

  /** Allow: a one-time code for the client; deny: `access_denied`. Either way, where the browser goes next. */
  @Post('oauth/authorization')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Answer an OAuth authorization request: allow or deny' })
  async decide(@Body() body: AuthorizationDecisionDto, @Req() request: Request): Promise<OAuthRedirectView> {
    const { decision, ...params } = body;
    const valid = await this.checked(params, request);
    const iss = publicOrigin(request, this.trusted, this.config.PUBLIC_URL);
    if (decision === 'deny')
      return {
        redirect_to: withQuery(valid.redirectUri, {
          error: 'access_denied',
          error_description: 'the user denied access',
          state: valid.state,
          iss,
        }),
      };
    const code = newAuthorizationCode();
    await this.rpc.request(OAuthRpc.issueCode, {
      account_id: (request.identity as Identity).account.id,
      client_id: valid.client.client_id,
      redirect_uri: valid.redirectUri,
      redirect_uri_given: valid.redirectUriGiven,
      code_challenge: valid.codeChallenge,
      scopes: valid.scopes,
      resource: valid.resource,
      code_hash: sha256Hex(code),
      meta: commandMeta(request, this.trusted),
    });
    return { redirect_to: withQuery(valid.redirectUri, { code, state: valid.state, iss }) };
  }

  @Get('settings/oauth/grants')
  @ApiOperation({ summary: 'Connected apps: the MCP clients this account has authorized' })
  async grants(@Query() query: ListGrantsParams, @Req() request: Request) {
    const page = await this.rpc.request<Page<OAuthGrantView>>(OAuthRpc.listGrants, {
      account_id: (request.identity as Identity).account.id,
      page: query.page,
      limit: query.limit,
      sort_by: query.sort_by,
      sort_order: query.sort_order,
    });
    return listEnvelope('grants', page);
  }

  @Get('settings/oauth/grants/:id/usage')
  @ApiOperation({
    summary: 'Usage of a connected app over 24h, 7d, 30d or 90d: totals, breakdowns, series, locations, IPs',
    description:
      'The counterpart of a key’s usage for an app connected over MCP, from its `oauth_token.used` events in the ' +
      'audit log (a disconnected app’s history too). 404 for a grant this account never made.',
  })
  async usage(@Param('id') id: string, @Query() query: UsageQuery, @Req() request: Request): Promise<AppUsage> {
    if (!isUuid(id)) throw new ProblemError(HttpStatus.NOT_FOUND, 'RESOURCE_NOT_FOUND', 'no such connected app');
    const accountId = (request.identity as Identity).account.id;
    // The grant from key-service (this account's, disconnected or not; ids as it spells them), its counts from
    // the audit log.
    const grant = await this.rpc.request<OAuthGrantView>(OAuthRpc.getGrant, { account_id: accountId, grant_id: id });
    const counts = await this.rpc.request<Omit<AppUsage, 'client_name'>>(AuditRpc.appUsage, {
      account_id: accountId,
      grant_id: grant.id,
      client_id: grant.client_id,
      range: query.range,
    });
    return { ...counts, client_name: grant.client_name };
  }

  @Delete('settings/oauth/grants/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Disconnect an app: its access and refresh tokens stop working at once' })
  async disconnect(@NoBody() _none: undefined, @Param('id') id: string, @Req() request: Request): Promise<void> {
    if (!isUuid(id)) throw new ProblemError(HttpStatus.NOT_FOUND, 'RESOURCE_NOT_FOUND', 'no such connected app');
    await this.rpc.request(OAuthRpc.revokeGrant, {
      account_id: (request.identity as Identity).account.id,
      grant_id: id,
      meta: commandMeta(request, this.trusted),
    });
  }
}
