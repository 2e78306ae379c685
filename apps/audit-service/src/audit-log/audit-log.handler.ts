import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Type } from 'class-transformer';
import { IsUUID, ValidateNested } from 'class-validator';
import { DataSource } from 'typeorm';
import {
  type AuditEvent,
  AuditLogQuery,
  type AuditPage,
  AuditRpc,
  DomainError,
  isRfc3339DateTime,
  isUuid,
} from '#contracts';

class AuditQueryCommand {
  @IsUUID()
  account_id: string;

  @ValidateNested()
  @Type(() => AuditLogQuery)
  query: AuditLogQuery;
}

interface Cursor {
  t: string;
  id: string;
  /** Only for `sort_order=asc` (cursors given out before it existed are all newest-first). */
  o?: 'asc';
}

/**
 * The cursor is the position (time, id) of the last row, and the order it was read in: opaque to clients, checked
 * on the way back in.
 */
export function encodeCursor(position: Cursor): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string, order: 'asc' | 'desc' = 'desc'): Cursor {
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    // not ours: refused below
  }
  // `null`, a number, a list: no position at all.
  const { t, id, o } = (typeof position === 'object' && position !== null ? position : {}) as Partial<Cursor>;
  if (!isRfc3339DateTime(t) || !isUuid(id) || (o !== undefined && o !== 'asc'))
    throw DomainError.invalidField('cursor', 'is not a cursor this API gave out');
  if ((o ?? 'desc') !== order)
    throw DomainError.invalidField('cursor', `was given out for sort_order=${o ?? 'desc'}: send that order with it`);
  return o ? { t, id, o } : { t, id };
}

/** The event data one page carries at most (more than one event's worth only when they are small). */
const PAGE_BYTES = 16 * 1024 * 1024;

interface AuditLogRow {
  data_bytes: number;
  event_id: string;
  event_type: string;
  stream: string;
  stream_version: number;
  occurred_at: Date;
  data: Record<string, unknown>;
  meta: AuditEvent['meta'];
  outcome: AuditEvent['outcome'];
  action: string;
  ip: string | null;
  location: AuditEvent['location'];
  tool_type: string | null;
  key_id: string | null;
  key_prefix: string | null;
}

/**
 * `GET /api/v1/audit-log` (PRODUCT.md §9.1): the account's events, newest first, with a keyset cursor
 * on (occurred_at, event_id). Positions never change, so paging never repeats an event nor skips one
 * that was there when paging began, however many arrive meanwhile (a late arrival older than the
 * cursor is still ahead of it). `sort_order=asc` reads the other way: oldest first, where a late arrival
 * older than the cursor is behind it.
 */
@Controller()
export class AuditLogHandler {
  constructor(private readonly dataSource: DataSource) {}

  @MessagePattern(AuditRpc.query)
  async query(@Payload() command: AuditQueryCommand): Promise<AuditPage> {
    const { query } = command;
    if (query.from && query.to && Date.parse(query.from) > Date.parse(query.to)) {
      throw DomainError.invalidField('from', 'must not be after `to`');
    }
    const clauses = ['account_id = $1'];
    const params: unknown[] = [command.account_id];
    const add = (sql: string, value: unknown): void => {
      params.push(value);
      clauses.push(sql.replace('?', `$${params.length}`));
    };
    if (query.type) {
      const types = query.type.split(',');
      const exact = types.filter((t) => !t.endsWith('.*'));
      const prefixes = types.filter((t) => t.endsWith('.*')).map((t) => `${t.slice(0, -1)}%`);
      const alternatives: string[] = [];
      if (exact.length) {
        params.push(exact);
        alternatives.push(`event_type = ANY($${params.length}::text[])`);
      }
      if (prefixes.length) {
        params.push(prefixes);
        alternatives.push(`event_type LIKE ANY($${params.length}::text[])`);
      }
      clauses.push(`(${alternatives.join(' OR ')})`);
    }
    if (query.key_id) add('key_id = ?', query.key_id);
    // Stored lowercase at ingest (see clientIdOf), with a partial index of its own.
    if (query.client_id) add('client_id = ?', query.client_id.toLowerCase());
    if (query.action) add('action = ?', query.action);
    if (query.outcome) add('outcome = ?', query.outcome);
    if (query.ip) add('ip = ?', query.ip);
    if (query.from) add('occurred_at >= ?', query.from);
    if (query.to) add('occurred_at <= ?', query.to);
    const ascending = query.sort_order === 'asc';
    if (query.cursor) {
      const position = decodeCursor(query.cursor, query.sort_order);
      params.push(position.t, position.id);
      clauses.push(
        `(occurred_at, event_id) ${ascending ? '>' : '<'} ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
      );
    }
    const order = ascending ? 'ASC' : 'DESC';
    params.push(query.limit + 1);
    const rows = (await this.dataSource.query(
      `SELECT event_id, event_type, stream, stream_version, occurred_at, data, meta, outcome, action, ip, location, tool_type, key_id, key_prefix,
              octet_length(data::text) AS data_bytes
         FROM audit_log WHERE ${clauses.join(' AND ')} ORDER BY occurred_at ${order}, event_id ${order} LIMIT $${params.length}`,
      params,
    )) as AuditLogRow[];
    // Content events carry whole documents (up to 1 MiB each): a page stops at PAGE_BYTES of event data, at
    // least one event, and the cursor goes on from there. So no reply outgrows what NATS carries in a few chunks.
    let end = 0;
    for (let bytes = 0; end < Math.min(rows.length, query.limit); end += 1) {
      bytes += rows[end].data_bytes;
      if (end > 0 && bytes > PAGE_BYTES) break;
    }
    const page = rows.slice(0, end);
    return {
      events: page.map((row) => ({
        id: row.event_id,
        type: row.event_type,
        stream: row.stream,
        version: row.stream_version,
        occurred_at: row.occurred_at.toISOString(),
        data: row.data,
        meta: row.meta,
        outcome: row.outcome,
        action: row.action,
        ip: row.ip,
        location: row.location,
        tool_type: row.tool_type,
        key_id: row.key_id,
        key_prefix: row.key_prefix,
      })),
      next_cursor:
        rows.length > page.length
          ? encodeCursor({
              t: page[page.length - 1].occurred_at.toISOString(),
              id: page[page.length - 1].event_id,
              ...(ascending ? { o: 'asc' as const } : {}),
            })
          : null,
    };
  }
}
