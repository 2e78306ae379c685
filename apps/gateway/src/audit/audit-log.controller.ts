import { Controller, Get, HttpStatus, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type AuditEvent, AuditExportQuery, AuditLogQuery, type AuditPage, AuditRpc } from '#contracts';
import { ProblemError } from '#common';
import type { Identity } from '../auth/identity';
import { RpcClient } from '../rpc/rpc-client';
import { Access } from '../auth/access.decorator';

const EXPORT_PAGE = 500;
const CSV_COLUMNS = [
  'id',
  'occurred_at',
  'type',
  'outcome',
  'action',
  'key_id',
  'key_prefix',
  'client_id',
  'ip',
  'country',
  'city',
  'tool_type',
  'request_id',
  'stream',
  'version',
  'data',
] as const;

function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  // Quote everything that needs it; a leading = + - @ is neutralised against spreadsheet formula injection.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvLine(event: AuditEvent): string {
  const values: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    id: event.id,
    occurred_at: event.occurred_at,
    type: event.type,
    outcome: event.outcome,
    action: event.action,
    key_id: event.key_id,
    key_prefix: event.key_prefix,
    // The OAuth app (MCP) of a request or a content change made through it.
    client_id: event.meta.client_id ?? (event.data as { client_id?: unknown }).client_id ?? null,
    ip: event.ip,
    country: event.location?.country ?? null,
    city: event.location?.city ?? null,
    tool_type: event.tool_type,
    request_id: event.meta.request_id,
    stream: event.stream,
    version: event.version,
    data: event.data,
  };
  return `${CSV_COLUMNS.map((column) => csvField(values[column])).join(',')}\r\n`;
}

function checkRange(query: AuditLogQuery): void {
  if (query.from && query.to && Date.parse(query.from) > Date.parse(query.to)) {
    throw new ProblemError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', '`from` is after `to`', {
      validationErrors: [{ field: 'from', message: 'must not be after `to`' }],
    });
  }
}

/** The account's audit trail (PRODUCT.md §9.1): a session, or an API key with `cli`. */
@ApiTags('audit')
/** A session, or an API key with `cli` whatever integration it declares (PRODUCT.md §9.1). */
@Access({ mode: 'session_or_key', integration: 'cli', fixed: true })
@Controller('api/v1/audit-log')
export class AuditLogController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @ApiOperation({
    summary: 'Audit events, newest first (sort_order=asc: oldest first), with cursor pagination (`next_cursor`)',
  })
  list(@Query() query: AuditLogQuery, @Req() request: Request): Promise<AuditPage> {
    checkRange(query);
    return this.rpc.request<AuditPage>(AuditRpc.query, {
      account_id: (request.identity as Identity).account.id,
      query,
    });
  }

  /**
   * Streams any selection, page by page through the same cursor: the gateway holds one page at a time,
   * and a client that stops reading stops the export.
   */
  @Get('export')
  @ApiOperation({ summary: 'Export the selection as NDJSON or CSV (streamed)' })
  async export(@Query() query: AuditExportQuery, @Req() request: Request, @Res() response: Response): Promise<void> {
    checkRange(query);
    const { format, cursor: startCursor, limit: _limit, ...filters } = query;
    const accountId = (request.identity as Identity).account.id;
    const first = await this.rpc.request<AuditPage>(AuditRpc.query, {
      account_id: accountId,
      query: { ...filters, limit: EXPORT_PAGE, cursor: startCursor },
    });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    response.status(HttpStatus.OK);
    response.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
    response.setHeader(
      'Content-Disposition',
      `attachment; filename="audit-log-${stamp}.${format === 'csv' ? 'csv' : 'ndjson'}"`,
    );
    // HEAD gets the headers of the export, not a whole export run to be thrown away.
    if (request.method === 'HEAD') return void response.end();
    if (format === 'csv') response.write(`${CSV_COLUMNS.join(',')}\r\n`);
    let page: AuditPage | undefined = first;
    let aborted = false;
    request.once('close', () => (aborted = !response.writableFinished));
    while (page && !aborted) {
      const chunk = page.events
        .map((event) => (format === 'csv' ? csvLine(event) : `${JSON.stringify(event)}\n`))
        .join('');
      if (chunk && !response.write(chunk)) await drainedOrClosed(request, response);
      page = page.next_cursor
        ? await this.rpc.request<AuditPage>(AuditRpc.query, {
            account_id: accountId,
            query: { ...filters, limit: EXPORT_PAGE, cursor: page.next_cursor },
          })
        : undefined;
    }
    response.end();
  }
}

/** Waits until the client has read what was written, or has gone; leaves no listener behind either way. */
export function drainedOrClosed(request: Request, response: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      request.off('close', done);
      resolve();
    };
    response.once('drain', done);
    request.once('close', done);
  });
}
