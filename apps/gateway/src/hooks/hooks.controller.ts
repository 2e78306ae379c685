import { Controller, Get, HttpCode, HttpStatus, Inject, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { BlockList } from 'node:net';
import type { Request } from 'express';
import {
  type AiToolSessionView,
  type HookReceipt,
  type HookTool,
  HooksRpc,
  ListAiToolSessionsQuery,
  type Page,
} from '#contracts';
import { Access } from '../auth/access.decorator';
import { contentActor } from '../content/content-actor';
import { listEnvelope } from '../http/list-envelope';
import { TRUSTED_PROXIES } from '../http/request-meta';
import { RpcClient } from '../rpc/rpc-client';
import { parseHook } from './hook-payload';

/** The answer to a hook (PRODUCT.md §10), in the shape Claude Code reads `hookSpecificOutput` from. */
export interface HookAnswer {
  status: 'success';
  data: { id: string; created_at: string };
  hookSpecificOutput?: { hookEventName: string; additionalContext: string };
}

function hookBody(required: string[], example: Record<string, unknown>) {
  return {
    schema: {
      type: 'object',
      required,
      additionalProperties: true,
      example,
    },
    description: 'The tool’s hook JSON, unchanged: every field is kept (key-shaped text is masked before storage)',
  };
}

/**
 * IDE hook endpoints (PRODUCT.md §10). They need the `ai_tools` integration (unless the request
 * declares another with X-VibeXP-Integration), and take a dashboard session as well.
 */
@ApiTags('ai-tools')
@Access({ mode: 'session_or_key', integration: 'ai_tools' })
@Controller('api/v1')
export class HooksController {
  constructor(
    private readonly rpc: RpcClient,
    @Inject(TRUSTED_PROXIES) private readonly trusted: BlockList,
  ) {}

  @Post('claude-code/hooks')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary:
      'Store one Claude Code hook; SessionStart and UserPromptSubmit also get hookSpecificOutput.additionalContext (memories of the project of cwd)',
  })
  @ApiBody(
    hookBody(['session_id', 'hook_event_name'], {
      session_id: 'abc123',
      hook_event_name: 'PostToolUse',
      cwd: '/home/ann/src/my-app',
      tool_name: 'Bash',
      tool_input: { command: 'npm test' },
    }),
  )
  claudeCode(@Req() request: Request): Promise<HookAnswer> {
    return this.record('claude_code', request);
  }

  @Post('cursor-ide/hooks')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Store one Cursor hook (conversation_id stands in for session_id)' })
  @ApiBody(
    hookBody(['conversation_id', 'hook_event_name'], {
      conversation_id: 'c0ffee',
      hook_event_name: 'beforeShellExecution',
      command: 'npm test',
      workspace_roots: ['/home/ann/src/my-app'],
    }),
  )
  cursor(@Req() request: Request): Promise<HookAnswer> {
    return this.record('cursor', request);
  }

  @Get('ai-tools/claude-code/sessions')
  @ApiOperation({ summary: 'Claude Code sessions seen through hooks (sort_by last_seen|first_seen|hook_count)' })
  claudeCodeSessions(@Query() query: ListAiToolSessionsQuery, @Req() request: Request) {
    return this.sessions('claude_code', query, request);
  }

  @Get('ai-tools/cursor-ide/sessions')
  @ApiOperation({ summary: 'Cursor sessions seen through hooks (sort_by last_seen|first_seen|hook_count)' })
  cursorSessions(@Query() query: ListAiToolSessionsQuery, @Req() request: Request) {
    return this.sessions('cursor', query, request);
  }

  /** The body is read from the request, not through a DTO: the tools' JSON is taken whole (parseHook checks it). */
  private async record(tool: HookTool, request: Request): Promise<HookAnswer> {
    const hook = parseHook(tool, request.body);
    const receipt = await this.rpc.request<HookReceipt>(HooksRpc.record, {
      actor: contentActor(request, this.trusted),
      ...hook,
    });
    return {
      status: 'success',
      data: { id: receipt.id, created_at: receipt.created_at },
      ...(receipt.additional_context !== undefined
        ? {
            hookSpecificOutput: { hookEventName: hook.hook_event_name, additionalContext: receipt.additional_context },
          }
        : {}),
    };
  }

  private async sessions(tool: HookTool, query: ListAiToolSessionsQuery, request: Request) {
    const page = await this.rpc.request<Page<AiToolSessionView>>(HooksRpc.sessions, {
      actor: contentActor(request, this.trusted),
      tool,
      query,
    });
    return listEnvelope('sessions', page);
  }
}
