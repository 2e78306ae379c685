import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { BlockList } from 'node:net';
import type { Request } from 'express';
import { type AccountView, KeysRpc, type LegacyImportResult, type Page, isUuid } from '#contracts';
import { ProblemError } from '#common';
import { Access } from '../auth/access.decorator';
import { KeyVerifier } from '../auth/key-verifier';
import { TRUSTED_PROXIES, commandMeta } from '../http/request-meta';
import { RpcClient } from '../rpc/rpc-client';
import { listEnvelope } from '../http/list-envelope';
import { AdminTokenGuard } from './admin-token.guard';
import { ListAccountsQuery, UpdateAccountDto } from './admin.dto';
import { parseImportLine } from './legacy-import.parser';

export const NDJSON_TYPE = /^application\/(x-)?ndjson\s*(;|$)/i;
export const LEGACY_IMPORT_PATH = '/admin/v1/legacy-keys/import';
const MAX_IMPORT_LINES = 10_000;

/** Operators' routes (PRODUCT.md §11): enabled by ADMIN_TOKEN, authenticated by it. */
@ApiTags('admin')
@Access({ mode: 'public' })
@UseGuards(AdminTokenGuard)
@Controller('admin/v1')
export class AdminController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly verifier: KeyVerifier,
    @Inject(TRUSTED_PROXIES) private readonly trustedProxies: BlockList,
  ) {}

  @Get('accounts')
  @ApiOperation({ summary: 'List accounts, or find one by email (paged: page, limit, sort_by, sort_order)' })
  async list(@Query() query: ListAccountsQuery) {
    return listEnvelope('accounts', await this.rpc.request<Page<AccountView>>(KeysRpc.adminListAccounts, query));
  }

  @Patch('accounts/:id')
  @ApiOperation({ summary: 'Change an account’s tier, custom hourly limit or status; takes effect at once' })
  async update(@Param('id') id: string, @Body() body: UpdateAccountDto, @Req() request: Request): Promise<AccountView> {
    if (!isUuid(id)) throw new ProblemError(HttpStatus.NOT_FOUND, 'RESOURCE_NOT_FOUND', 'no account with this id');
    const account = await this.rpc.request<AccountView>(KeysRpc.adminUpdateAccount, {
      account_id: id.toLowerCase(),
      ...body,
      meta: commandMeta(request, this.trustedProxies),
    });
    // As for keys: this instance forgets at once; the others on key-service's invalidation.
    this.verifier.cache.invalidate({ account_id: account.id });
    return account;
  }

  @Post('legacy-keys/import')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Import legacy keys from NDJSON (application/x-ndjson); idempotent, one result per line' })
  async importLegacyKeys(@Req() request: Request): Promise<LegacyImportResult> {
    if (!NDJSON_TYPE.test(request.headers['content-type'] ?? '')) {
      throw new ProblemError(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'UNSUPPORTED_MEDIA_TYPE',
        'send the lines as application/x-ndjson',
      );
    }
    const text = typeof request.body === 'string' ? request.body : '';
    const lines = text.split('\n');
    // A file's final newline ends its last line; it does not begin another one.
    if (lines.at(-1) === '') lines.pop();
    if (lines.length > MAX_IMPORT_LINES)
      throw new ProblemError(
        HttpStatus.PAYLOAD_TOO_LARGE,
        'PAYLOAD_TOO_LARGE',
        `at most ${MAX_IMPORT_LINES} lines per request`,
      );
    const parsed = lines.map((line, index) => parseImportLine(line, index + 1)).filter((line) => line !== undefined);
    const valid = parsed.flatMap((line) => (line.ok ? [line.value] : []));
    const imported = valid.length
      ? await this.rpc.request<LegacyImportResult>(
          KeysRpc.adminImportLegacy,
          { lines: valid, meta: commandMeta(request, this.trustedProxies) },
          30_000,
        )
      : { created: 0, existing: 0, failed: 0, results: [] };
    const invalid = parsed.flatMap((line) =>
      line.ok ? [] : [{ line: line.line, status: 'error' as const, error: line.error }],
    );
    return {
      created: imported.created,
      existing: imported.existing,
      failed: imported.failed + invalid.length,
      results: [...imported.results, ...invalid].sort((a, b) => a.line - b.line),
    };
  }
}
