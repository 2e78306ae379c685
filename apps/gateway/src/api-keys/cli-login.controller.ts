import { Body, Controller, HttpCode, HttpStatus, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { createHash, randomBytes } from 'node:crypto';
import type { BlockList } from 'node:net';
import type { Request, Response } from 'express';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { type ApiKeyView, KeysRpc } from '#contracts';
import { ProblemError } from '#common';
import { Access } from '../auth/access.decorator';
import { generateApiKey, sha256Hex } from '../auth/api-key-format';
import type { Identity } from '../auth/identity';
import { requestClientIp } from '../http/client-address';
import { FixedWindowLimiter } from '../http/fixed-window-limiter';
import { TRUSTED_PROXIES, commandMeta } from '../http/request-meta';
import { throttleKey } from '../oauth/oauth-protocol';
import { RpcClient } from '../rpc/rpc-client';
import { type CreatedApiKey, refuseRetired } from './api-keys.controller';
import { CreateApiKeyDto } from './api-keys.dto';

/** base64url without padding, 43 characters: 32 random bytes, or a SHA-256 digest (RFC 7636 S256). */
const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/;

/** The user's approval of a CLI login, on the dashboard's page: the key's name, integrations and expiry, and the CLI's request. */
export class CliAuthorizationDto extends CreateApiKeyDto {
  @ApiProperty({ minimum: 1024, maximum: 65535, description: 'the port of the CLI’s server on 127.0.0.1' })
  @IsInt()
  @Min(1024)
  @Max(65535)
  port: number;

  @ApiProperty({ description: 'the CLI’s value, sent back unchanged: 16 to 128 base64url characters' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{16,128}$/, { message: 'must be 16 to 128 base64url characters' })
  state: string;

  @ApiProperty({ description: 'BASE64URL(SHA-256(code_verifier)) (RFC 7636 S256)' })
  @IsString()
  @Matches(BASE64URL_43, { message: 'must be the S256 challenge: 43 base64url characters' })
  code_challenge: string;
}

export class CliTokenDto {
  @ApiProperty({ description: 'the one-time code the CLI’s server received' })
  @IsString()
  @Matches(BASE64URL_43, { message: 'is not a code this API gave out' })
  code: string;

  @ApiProperty({ description: 'the CLI’s PKCE verifier: 43 to 128 unreserved characters (RFC 7636)' })
  @IsString()
  @Matches(/^[A-Za-z0-9._~-]{43,128}$/, { message: 'must be 43 to 128 unreserved characters' })
  code_verifier: string;
}

/**
 * `vibexp auth login --web`: the CLI gets a new API key through the browser, where the user is signed in and
 * chooses its name and integrations. Like OAuth's authorization code with PKCE (RFC 7636, RFC 8252 §7.3), but
 * for an API key: the dashboard's approval sends the browser to the CLI's server on 127.0.0.1 with a one-time
 * code, and the CLI trades that code and its verifier for the key. The key is made at that trade, so it is
 * never in a URL, a browser's history or key-service's tables; the code is good once, for CLI_LOGIN_TTL_S.
 */
@ApiTags('api-keys')
@Controller('api/v1/cli')
export class CliLoginController {
  /** The trade is anonymous (the code is the credential): limited per client address (an IPv6 /64), as OAuth's is. */
  private readonly exchanges = new FixedWindowLimiter(60, 3_600_000, 'CLI logins');

  constructor(
    private readonly rpc: RpcClient,
    @Inject(TRUSTED_PROXIES) private readonly trustedProxies: BlockList,
  ) {}

  @Post('authorizations')
  @Access({ mode: 'session' })
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Approve a CLI login (dashboard): answers where to send the browser, the CLI’s 127.0.0.1' })
  async authorize(
    @Body() body: CliAuthorizationDto,
    @Req() request: Request,
  ): Promise<{ redirect_to: string; expires_at: string }> {
    refuseRetired(body.integrations);
    const code = randomBytes(32).toString('base64url');
    const identity = request.identity as Extract<Identity, { kind: 'session' }>;
    const { expires_at } = await this.rpc.request<{ expires_at: string }>(KeysRpc.authorizeCliLogin, {
      account_id: identity.account.id,
      session_id: identity.sessionId,
      meta: commandMeta(request, this.trustedProxies),
      code_hash: sha256Hex(code),
      code_challenge: body.code_challenge,
      name: body.name,
      integrations: body.integrations,
      ...(body.expires_at ? { expires_at: new Date(body.expires_at).toISOString() } : {}),
    });
    // Always the loopback address and this path: the approval can send the browser nowhere else.
    const callback = `http://127.0.0.1:${body.port}/callback?${new URLSearchParams({ code, state: body.state })}`;
    return { redirect_to: callback, expires_at };
  }

  @Post('token')
  @Access({ mode: 'public' })
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'The CLI trades its one-time code and PKCE verifier for the new API key, once' })
  async token(
    @Body() body: CliTokenDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CreatedApiKey> {
    response.setHeader('Cache-Control', 'no-store');
    this.exchanges.hit(throttleKey(requestClientIp(request, this.trustedProxies)));
    const key = generateApiKey();
    const { api_key } = await this.rpc.request<{ api_key: ApiKeyView | null }>(KeysRpc.exchangeCliLogin, {
      code_hash: sha256Hex(body.code),
      verifier_challenge: createHash('sha256').update(body.code_verifier).digest('base64url'),
      key_hash: key.hash,
      key_prefix: key.prefix,
      meta: commandMeta(request, this.trustedProxies),
    });
    if (!api_key)
      throw new ProblemError(
        HttpStatus.BAD_REQUEST,
        'INVALID_GRANT',
        'the code is unknown, expired or already used, or the code_verifier does not match: run `vibexp auth login --web` again',
      );
    return { api_key, full_key: key.fullKey, key_prefix: key.prefix };
  }
}
