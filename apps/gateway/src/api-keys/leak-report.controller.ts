import { Body, Controller, HttpCode, HttpStatus, Inject, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { BlockList } from 'node:net';
import type { Request } from 'express';
import { KeysRpc, isHttpUrl } from '#contracts';
import { redactText } from '#common';
import { Access } from '../auth/access.decorator';
import { VXK_PATTERN, sha256Hex } from '../auth/api-key-format';
import { requestClientIp } from '../http/client-address';
import { FixedWindowLimiter } from '../http/fixed-window-limiter';
import { TRUSTED_PROXIES, commandMeta } from '../http/request-meta';
import { RpcClient } from '../rpc/rpc-client';

/** The documented body (OpenAPI). It is read by readLeakReport, never refused: see there. */
export class LeakReportDto {
  @ApiProperty({ description: 'the exposed token', maxLength: 1024 })
  token: string;

  @ApiPropertyOptional({
    description:
      'where it was found: kept when it is an http(s) URL without credentials of at most 512 characters, else left out',
  })
  source_url?: string;
}

/**
 * What a report carries that can be acted on. PRODUCT.md §11 answers 202 always: a report is never refused for
 * its shape (a scanner that sends other fields, or a `git@` link, still gets its key revoked), so nothing here
 * is validated into a 400. A token that is not a string names no key; a source that is not a plain http(s) URL
 * is not kept.
 */
export function readLeakReport(body: unknown): { token: string; source_url?: string } | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { token, source_url: source } = body as Record<string, unknown>;
  if (typeof token !== 'string' || token.length > 1024) return undefined;
  const kept = typeof source === 'string' && source.length <= 512 && isHttpUrl(source) ? source : undefined;
  return { token: token.trim(), ...(kept ? { source_url: kept } : {}) };
}

/**
 * Secret-scanning partners report exposed keys here (PRODUCT.md §11). Always 202 whatever the body
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
  @ApiBody({ type: LeakReportDto })
  @ApiOperation({ summary: 'Report an exposed API key; a live key is revoked at once. Always 202.' })
  async report(@Body() body: unknown, @Req() request: Request): Promise<{ status: 'accepted' }> {
    this.reports.hit(requestClientIp(request, this.trustedProxies));
    const report = readLeakReport(body);
    if (report && VXK_PATTERN.test(report.token)) {
      await this.rpc.request(KeysRpc.reportLeak, {
        key_hash: sha256Hex(report.token),
        // Anyone may report: the URL is kept (in the key's history and the alert's evidence), but never a
        // key-shaped string in it (a scanner may quote the token in the link).
        ...(report.source_url ? { source_url: redactText(report.source_url) } : {}),
        meta: commandMeta(request, this.trustedProxies),
      });
    }
    return { status: 'accepted' };
  }
}
