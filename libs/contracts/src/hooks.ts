import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PaginationQuery } from './pagination';

/**
 * IDE hook endpoints (PRODUCT.md §10): Claude Code and Cursor post their hook JSON; content-service
 * stores each as a `hook.received` event and keeps a projection of the sessions they belong to.
 */
export const HOOK_TOOLS = ['claude_code', 'cursor'] as const;
export type HookTool = (typeof HOOK_TOOLS)[number];

export const HooksRpc = {
  record: 'content.rpc.hooks.record',
  sessions: 'content.rpc.hooks.sessions',
} as const;

/** Claude Code's hook events whose answer may carry `hookSpecificOutput.additionalContext`. */
export const CONTEXT_HOOK_EVENTS = ['SessionStart', 'UserPromptSubmit'] as const;

/** What the gateway sends content-service for one hook: the fields it read out, and the whole (masked) JSON. */
export interface RecordHookRequest {
  tool: HookTool;
  session_id: string;
  hook_event_name: string;
  tool_name?: string;
  cwd?: string;
  /** The start of the user's prompt (UserPromptSubmit), to rank memories by. */
  prompt?: string;
  /**
   * The hook's whole JSON as stored (masked, long strings cut), as text: content-service parses it in one
   * step instead of letting the RPC's DTO transformation walk a client-made object key by key.
   */
  payload_json: string;
  /** Whether a string of it was cut. */
  truncated: boolean;
}

export interface HookReceipt {
  /** The id of the stored `hook.received` event. */
  id: string;
  created_at: string;
  /** Memories for the project of `cwd`, for SessionStart and UserPromptSubmit of Claude Code only. */
  additional_context?: string;
}

export interface AiToolSessionView {
  session_id: string;
  tool: HookTool;
  first_seen: string;
  last_seen: string;
  hook_count: number;
  /** Distinct `tool_name`s of the session's hooks, in the order first seen. */
  tools_used: string[];
  /** The latest working directory (Claude Code's `cwd`, Cursor's first workspace root), if any was sent. */
  cwd: string | null;
  last_hook_event: string;
}

export const AI_TOOL_SESSION_SORTS = ['last_seen', 'first_seen', 'hook_count'] as const;

export class ListAiToolSessionsQuery extends PaginationQuery {
  @ApiPropertyOptional({ enum: AI_TOOL_SESSION_SORTS, default: 'last_seen' })
  @IsOptional()
  @IsIn(AI_TOOL_SESSION_SORTS)
  sort_by: (typeof AI_TOOL_SESSION_SORTS)[number] = 'last_seen';

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  sort_order: 'asc' | 'desc' = 'desc';
}
