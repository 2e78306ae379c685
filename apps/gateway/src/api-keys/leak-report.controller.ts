import { Body, Controller, HttpCode, HttpStatus, Inject, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { BlockList } from 'node:net';
import type { Request } from 'express';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { KeysRpc } from '#contracts';
import { ProblemError } from '#common';
import { Access } from '../auth/access.decorator';
import { VXK_PATTERN, sha256Hex } from '../auth/api-key-format';
import { requestClientIp } from '../http/client-address';
import { TRUSTED_PROXIES, requestMeta } from '../http/request-meta';
import { RpcClient } from '../rpc/rpc-client';

export class LeakReportDto {
  @ApiProperty({ description: 'the exposed token' })
  @IsString()
  @MaxLength(1024)
  token: string;

  @ApiPropertyOptional({ description: 'where it was found' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  source_url?: string;
}

const REPORTS_PER_HOUR_PER_IP = 60;
const HOUR_MS = 3600_000;

/**
 * Secret-scanning partners report exposed keys here (PRODUCT.md §11). Always 202 whatever the token
 * is (no oracle); a live vxk_ key is revoked with reason `leaked`. Limited per client IP.
 */
@ApiTags('api-keys')
@Access({ mode: 'public' })
@Controller('api/v1/keys')
export class LeakReportController {
  private readonly reportsByIp = new Map<string, { count: number; windowStart: number }>();

  constructor(
    private readonly rpc: RpcClient,
    @Inject(TRUSTED_PROXIES) private readonly trustedProxies: BlockList,
  ) {}

  @Post('report-leak')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Report an exposed API key; a live key is revoked at once' })
  async report(@Body() body: LeakReportDto, @Req() request: Request): Promise<{ status: 'accepted' }> {
    this.limit(requestClientIp(request, this.trustedProxies));
    const token = body.token.trim();
    if (VXK_PATTERN.test(token)) {
      await this.rpc.request(KeysRpc.reportLeak, {
        key_hash: sha256Hex(token),
        ...(body.source_url ? { source_url: body.source_url } : {}),
        meta: requestMeta(request, this.trustedProxies),
      });
    }
    return { status: 'accepted' };
  }

  private limit(ip: string): void {
    const now = Date.now();
    const entry = this.reportsByIp.get(ip);
    if (!entry || now - entry.windowStart >= HOUR_MS) {
      if (this.reportsByIp.size > 50_000) this.reportsByIp.clear();
      this.reportsByIp.set(ip, { count: 1, windowStart: now });
      return;
    }
    entry.count += 1;
    if (entry.count > REPORTS_PER_HOUR_PER_IP) {
      const retryAfter = Math.max(1, Math.ceil((entry.windowStart + HOUR_MS - now) / 1000));
      throw new ProblemError(
        HttpStatus.TOO_MANY_REQUESTS,
        'RATE_LIMIT_EXCEEDED',
        `too many reports from this address; retry in ${retryAfter} s`,
        {
          headers: { 'Retry-After': String(retryAfter) },
        },
      );
    }
  }
}
