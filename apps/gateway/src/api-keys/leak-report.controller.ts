import { Body, Controller, HttpCode, HttpStatus, Inject, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { BlockList } from 'node:net';
import type { Request } from 'express';
import { IsOptional, IsString, MaxLength, ValidateBy } from 'class-validator';
import { KeysRpc, isHttpUrl } from '#contracts';
import { redactText } from '#common';
import { Access } from '../auth/access.decorator';
import { VXK_PATTERN, sha256Hex } from '../auth/api-key-format';
import { requestClientIp } from '../http/client-address';
import { FixedWindowLimiter } from '../http/fixed-window-limiter';
import { TRUSTED_PROXIES, requestMeta } from '../http/request-meta';
import { RpcClient } from '../rpc/rpc-client';

export class LeakReportDto {
  @ApiProperty({ description: 'the exposed token' })
  @IsString()
  @MaxLength(1024)
  token: string;

  @ApiPropertyOptional({
    description: 'where it was found: an http(s) URL without credentials, at most 512 characters',
  })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @ValidateBy({ name: 'isHttpUrl', validator: { validate: isHttpUrl, defaultMessage: () => 'must be an http(s) URL' } })
  source_url?: string;
}

/**
 * Secret-scanning partners report exposed keys here (PRODUCT.md §11). Always 202 whatever the token
 * is (no oracle); a live vxk_ key is revoked with reason `leaked`. Limited per client IP.
 */
@ApiTags('api-keys')
@Access({ mode: 'public' })
@Controller('api/v1/keys')
export class LeakReportController {
  private readonly reports = new FixedWindowLimiter(60, 3_600_000, 'reports');

  constructor(
    private readonly rpc: RpcClient,
    @Inject(TRUSTED_PROXIES) private readonly trustedProxies: BlockList,
  ) {}

  @Post('report-leak')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Report an exposed API key; a live key is revoked at once' })
  async report(@Body() body: LeakReportDto, @Req() request: Request): Promise<{ status: 'accepted' }> {
    this.reports.hit(requestClientIp(request, this.trustedProxies));
    const token = body.token.trim();
    if (VXK_PATTERN.test(token)) {
      await this.rpc.request(KeysRpc.reportLeak, {
        key_hash: sha256Hex(token),
        // Anyone may report: the URL is kept (in the key's history and the alert's evidence), but never a
        // key-shaped string in it (a scanner may quote the token in the link).
        ...(body.source_url ? { source_url: redactText(body.source_url) } : {}),
        meta: requestMeta(request, this.trustedProxies),
      });
    }
    return { status: 'accepted' };
  }
}
