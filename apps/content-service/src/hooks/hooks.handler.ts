import { createHash } from 'node:crypto';
import { Controller, Logger } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, Length, MaxLength, ValidateNested } from 'class-validator';
import {
  type AiToolSessionView,
  CONTEXT_HOOK_EVENTS,
  DomainError,
  type EventEnvelope,
  HOOK_TOOLS,
  type HookReceipt,
  type HookTool,
  HooksRpc,
  ListAiToolSessionsQuery,
  type Page,
  RpcErrorCode,
} from '#contracts';
import { Conditions, pageOf } from '../shared/content-query';
import { ActorDto, eventMeta } from '../shared/content-rpc.dto';
import { ContentStore } from '../shared/content-store';
import type { HookReceivedData } from './hook-sessions.projection';
import { type ContextMemory, anyWordTsQuery, contextText, projectCandidates } from './project-context';

/** The gateway refuses hooks over 1 MiB stored (in bytes); as characters, that is at most this many. */
const MAX_PAYLOAD_JSON = 1024 * 1024;

class RecordHookCommand {
  @ValidateNested()
  @Type(() => ActorDto)
  actor: ActorDto;

  @IsIn(HOOK_TOOLS)
  tool: HookTool;

  @IsString()
  @Length(1, 255)
  session_id: string;

  @IsString()
  @Length(1, 100)
  hook_event_name: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  tool_name?: string;

  @IsOptional()
  @IsString()
  @MaxLength(4096)
  cwd?: string;

  @IsOptional()
  @IsString()
  @MaxLength(2_000)
  prompt?: string;

  @IsString()
  @MaxLength(MAX_PAYLOAD_JSON)
  payload_json: string;

  @IsBoolean()
  truncated: boolean;
}

class ListSessionsCommand {
  @ValidateNested()
  @Type(() => ActorDto)
  actor: ActorDto;

  @IsIn(HOOK_TOOLS)
  tool: HookTool;

  @ValidateNested()
  @Type(() => ListAiToolSessionsQuery)
  query: ListAiToolSessionsQuery;
}

const SESSION_START_MEMORIES = 5;
const PROMPT_MEMORIES = 3;

/** One stream per session of a tool in an account; the session id is the client's text, so it is hashed. */
function sessionStream(accountId: string, tool: HookTool, sessionId: string): string {
  const digest = createHash('sha256').update(sessionId).digest('hex').slice(0, 32);
  return `ai_session-${accountId}:${tool}:${digest}`;
}

/** The hook JSON the gateway prepared; anything else is a broken caller, refused as invalid input. */
function parsePayload(json: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new DomainError(RpcErrorCode.ValidationFailed, 'payload_json must be a JSON object');
  return parsed as Record<string, unknown>;
}

const SORT = { last_seen: 'last_seen', first_seen: 'first_seen', hook_count: 'hook_count' } as const;
const SESSION_COLUMNS = [
  'session_id',
  'tool',
  'first_seen',
  'last_seen',
  'hook_count',
  'tools_used',
  'cwd',
  'last_hook_event',
] as const;

/** IDE hook endpoints (PRODUCT.md §10): each hook is a `hook.received` event of its session's stream. */
@Controller()
export class HooksHandler {
  private readonly logger = new Logger(HooksHandler.name);

  constructor(private readonly store: ContentStore) {}

  @MessagePattern(HooksRpc.record)
  async record(@Payload() command: RecordHookCommand): Promise<HookReceipt> {
    const accountId = command.actor.account_id;
    const data: HookReceivedData = {
      tool_type: command.tool,
      session_id: command.session_id,
      hook_event_name: command.hook_event_name,
      ...(command.tool_name !== undefined ? { tool_name: command.tool_name } : {}),
      ...(command.cwd !== undefined ? { cwd: command.cwd } : {}),
      payload: parsePayload(command.payload_json),
      ...(command.truncated ? { truncated: true as const } : {}),
    };
    const event = await this.append(sessionStream(accountId, command.tool, command.session_id), data, command);
    const receipt: HookReceipt = { id: event.id, created_at: event.occurred_at };
    if (
      command.tool === 'claude_code' &&
      (CONTEXT_HOOK_EVENTS as readonly string[]).includes(command.hook_event_name)
    ) {
      const prompt = command.hook_event_name === 'UserPromptSubmit' ? (command.prompt ?? '') : undefined;
      receipt.additional_context = await this.contextFor(accountId, command.cwd, prompt);
    }
    return receipt;
  }

  @MessagePattern(HooksRpc.sessions)
  sessions(@Payload() command: ListSessionsCommand): Promise<Page<AiToolSessionView>> {
    const { query } = command;
    return pageOf(
      this.store.dataSource,
      'ai_tool_sessions',
      SESSION_COLUMNS,
      new Conditions(command.actor.account_id).add('tool = ?', command.tool),
      SORT[query.sort_by],
      query,
      (row) => ({
        session_id: row.session_id as string,
        tool: row.tool as HookTool,
        first_seen: (row.first_seen as Date).toISOString(),
        last_seen: (row.last_seen as Date).toISOString(),
        hook_count: row.hook_count as number,
        tools_used: row.tools_used as string[],
        cwd: (row.cwd as string | null) ?? null,
        last_hook_event: row.last_hook_event as string,
      }),
      { select: SESSION_COLUMNS.join(', '), tieBreak: 'session_id' },
    );
  }

  /**
   * Appends to the session's stream. Hooks of one session can arrive at once (Claude Code runs a tool's
   * hooks in parallel); a transaction lock on the stream orders them, so none loses a version race.
   */
  private append(stream: string, data: HookReceivedData, command: RecordHookCommand): Promise<EventEnvelope> {
    return this.store.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [stream]);
      const { events } = await this.store.events.append(
        stream,
        [{ type: 'hook.received', data: data as unknown as Record<string, unknown> }],
        { expectedVersion: 'any', meta: eventMeta(command.actor), manager },
      );
      return events[0];
    });
  }

  /**
   * The hook is stored by now: a failure to look up memories costs the context, not the answer (a 500
   * would have the tool send the hook again).
   */
  private async contextFor(accountId: string, cwd: string | undefined, prompt: string | undefined): Promise<string> {
    try {
      return contextText(await this.memoriesFor(accountId, cwd, prompt));
    } catch (error) {
      this.logger.warn(`memories for a hook could not be read; answering without context: ${String(error)}`);
      return '';
    }
  }

  /**
   * The active memories of the projects `cwd` can be in. At SessionStart: the most specific project
   * first, then the most recently changed. At UserPromptSubmit: only memories that share a word with the
   * prompt, best match first, so each prompt does not repeat the same context.
   */
  private async memoriesFor(accountId: string, cwd: string | undefined, prompt: string | undefined) {
    // Compared without case: on macOS and Windows `Billing/API` and `billing/api` are one folder.
    const projects = cwd ? projectCandidates(cwd).map((project) => project.toLowerCase()) : [];
    if (projects.length === 0) return [];
    const depth = `cardinality(string_to_array(project, '/'))`;
    if (prompt === undefined) {
      return (await this.store.dataSource.query(
        `SELECT title, text, project FROM memories
          WHERE account_id = $1 AND status = 'active' AND lower(project) = ANY ($2::text[])
          ORDER BY ${depth} DESC, updated_at DESC, id LIMIT $3`,
        [accountId, projects, SESSION_START_MEMORIES],
      )) as ContextMemory[];
    }
    const tsquery = anyWordTsQuery(prompt);
    if (!tsquery) return [];
    return (await this.store.dataSource.query(
      `SELECT title, text, project FROM memories, to_tsquery('english', $3) AS query
        WHERE account_id = $1 AND status = 'active' AND lower(project) = ANY ($2::text[]) AND search @@ query
        ORDER BY ts_rank_cd(search, query) DESC, ${depth} DESC, updated_at DESC, id LIMIT $4`,
      [accountId, projects, tsquery, PROMPT_MEMORIES],
    )) as ContextMemory[];
  }
}
