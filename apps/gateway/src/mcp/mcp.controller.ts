import { All, Controller, HttpStatus, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import type { BlockList } from 'node:net';
import type { Request, Response } from 'express';
import {
  ContentRpc,
  type OAuthScope,
  type Page,
  type PromptView,
  RenderPromptDto,
  type RenderResult,
  RpcErrorCode,
} from '#contracts';
import { BEARER_CHALLENGE, ProblemError, redactText } from '#common';
import { GatewayEnv } from '../config/gateway.env';
import { TRUSTED_PROXIES } from '../http/request-meta';
import { HttpValidationPipe } from '../http/validation.pipe';
import { RpcCallError, RpcClient } from '../rpc/rpc-client';
import { Access } from '../auth/access.decorator';
import type { Identity } from '../auth/identity';
import { ContentReads } from '../content/content-reads';
import { contentActor } from '../content/content-actor';
import { MCP_PATH, publicOrigin, resourceMetadataUrl } from '../oauth/oauth-protocol';
import { McpEndpointDoc } from '../oauth/oauth.openapi';
import { JsonRpcError, isMcpMethod, noteMcpError } from './mcp-action';
import { MCP_TOOLS, type McpTool, ToolArgumentError, type ToolContext } from './mcp-tools';

/** Protocol revisions this server speaks, newest first (MCP 2025-06-18, Streamable HTTP). */
const PROTOCOL_VERSIONS = ['2025-06-18', '2025-03-26'];
/** Assumed when a client sends no MCP-Protocol-Version header (the transport spec's rule). */
const DEFAULT_PROTOCOL_VERSION = '2025-03-26';
const PROMPTS_PER_PAGE = 50;

type JsonRpcId = string | number;
type OAuthIdentity = Extract<Identity, { kind: 'oauth' }>;

class JsonRpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** What a failed tool call tells the model: the REST API's error code, message and field errors. */
function toolError(error: unknown): { code: string; text: string } {
  const described = (code: string, message: string, fields?: { field: string; message: string }[]) => {
    // Each field once, then what is wrong with it (class-validator's messages often start with the field's name).
    const listed = fields
      ?.map(
        (item) =>
          `${item.field}: ${item.message.startsWith(`${item.field} `) ? item.message.slice(item.field.length + 1) : item.message}`,
      )
      .join('; ');
    // The REST answer points at its `validation_errors`; a tool result has none but the list here.
    const said = listed ? message.replace(/: see validation_errors$/, '') : message;
    return { code, text: `${code}: ${said}${listed ? ` (${listed})` : ''}` };
  };
  if (error instanceof ToolArgumentError) return described('VALIDATION_FAILED', error.message);
  if (error instanceof ProblemError) return described(error.code, error.detail, error.extras.validationErrors);
  if (error instanceof RpcCallError)
    return described(error.body.code, error.body.message, error.body.validation_errors);
  return described('INTERNAL_ERROR', 'the tool failed; retry later');
}

/** What a write answers a token without `content:read`: the item's address and version, none of its content. */
function whereWritten(item: unknown): Record<string, unknown> {
  const fields = (item ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    ['id', 'project', 'slug', 'version', 'updated_at']
      .filter((name) => name in fields)
      .map((name) => [name, fields[name]]),
  );
}

/**
 * The MCP endpoint (PRODUCT.md §14): Streamable HTTP, MCP 2025-06-18, stateless. Each POST carries one
 * JSON-RPC message and gets one JSON answer (no server-initiated stream, so GET and DELETE are 405).
 * The guard admits OAuth access tokens issued for this resource only; the tools act as the token's
 * account through the same content RPCs as the REST API.
 */
@Access({ mode: 'oauth' })
@Controller(MCP_PATH.slice(1))
export class McpController {
  private readonly validation = new HttpValidationPipe();

  constructor(
    private readonly rpc: RpcClient,
    private readonly reads: ContentReads,
    private readonly config: GatewayEnv,
    @Inject(TRUSTED_PROXIES) private readonly trusted: BlockList,
  ) {}

  @Post()
  @McpEndpointDoc()
  async serve(@Req() request: Request, @Res() response: Response): Promise<void> {
    // No Origin check: every request needs a bearer token, which a browser never sends on its own, so a
    // page that rebinds a name to this server has nothing to act with; browser-based clients may call (CORS).
    const origin = publicOrigin(request, this.trusted, this.config.PUBLIC_URL);
    const version = request.headers['mcp-protocol-version'];
    if (version !== undefined && !PROTOCOL_VERSIONS.includes(String(version))) {
      // A refusal of the transport (MCP: 400), before any JSON-RPC message is read: problem+json, as every
      // HTTP error of the platform (PRODUCT.md §1).
      noteMcpError(request, 'UNSUPPORTED_PROTOCOL_VERSION');
      throw new ProblemError(
        HttpStatus.BAD_REQUEST,
        'UNSUPPORTED_PROTOCOL_VERSION',
        `unsupported MCP-Protocol-Version "${String(version).slice(0, 40)}": this server speaks ${PROTOCOL_VERSIONS.join(', ')}`,
      );
    }

    const message = request.body as Record<string, unknown> | undefined;
    const isObject = typeof message === 'object' && message !== null && !Array.isArray(message);
    const id = isObject && (typeof message.id === 'string' || typeof message.id === 'number') ? message.id : null;
    if (!isObject || message.jsonrpc !== '2.0') {
      return this.answerError(
        request,
        response,
        id,
        JsonRpcError.invalidRequest,
        Array.isArray(message)
          ? 'send one JSON-RPC 2.0 message (batches are not part of MCP 2025-06-18)'
          : isObject
            ? 'jsonrpc must be "2.0"'
            : 'send one JSON-RPC 2.0 message: a JSON object',
      );
    }
    if (typeof message.method !== 'string') {
      // A response to a server request (this server sends none) or garbage: acknowledged, nothing to answer.
      if ('result' in message || 'error' in message) return void response.status(HttpStatus.ACCEPTED).end();
      return this.answerError(request, response, id, JsonRpcError.invalidRequest, 'method is required');
    }
    if (!('id' in message)) {
      // Notifications (notifications/initialized, notifications/cancelled…) need no answer.
      return void response.status(HttpStatus.ACCEPTED).end();
    }
    if (id === null)
      return this.answerError(request, response, null, JsonRpcError.invalidRequest, 'id must be a string or a number');

    const identity = request.identity as OAuthIdentity;
    try {
      const result = await this.dispatch(message.method, message.params, identity, request, origin);
      response.status(HttpStatus.OK).json({ jsonrpc: '2.0', id, result });
    } catch (error) {
      if (error instanceof JsonRpcFailure) return this.answerError(request, response, id, error.code, error.message);
      throw error;
    }
  }

  /** Any other method, after the same authentication: there is no event stream to GET and no session to DELETE. */
  @All()
  @ApiExcludeEndpoint()
  refuseOtherMethods(@Res({ passthrough: true }) response: Response): never {
    response.setHeader('Allow', 'POST');
    throw new ProblemError(
      HttpStatus.METHOD_NOT_ALLOWED,
      'METHOD_NOT_ALLOWED',
      'this MCP endpoint answers each POST with JSON and offers no event stream: send JSON-RPC messages with POST',
    );
  }

  private answerError(request: Request, response: Response, id: JsonRpcId | null, code: number, message: string): void {
    noteMcpError(request, code);
    response.status(HttpStatus.OK).json({ jsonrpc: '2.0', id, error: { code, message } });
  }

  private async dispatch(
    method: string,
    rawParams: unknown,
    identity: OAuthIdentity,
    request: Request,
    origin: string,
  ): Promise<unknown> {
    const params = (typeof rawParams === 'object' && rawParams !== null ? rawParams : {}) as Record<string, unknown>;
    if (!isMcpMethod(method))
      throw new JsonRpcFailure(JsonRpcError.methodNotFound, `unknown method "${method.slice(0, 100)}"`);
    switch (method) {
      case 'initialize': {
        // The version the client asks for; without one in params, the one its header names (checked above).
        const header = request.headers['mcp-protocol-version'];
        const asked =
          typeof params.protocolVersion === 'string'
            ? params.protocolVersion
            : typeof header === 'string'
              ? header
              : DEFAULT_PROTOCOL_VERSION;
        return {
          protocolVersion: PROTOCOL_VERSIONS.includes(asked) ? asked : PROTOCOL_VERSIONS[0],
          capabilities: { tools: { listChanged: false }, prompts: { listChanged: false } },
          serverInfo: { name: 'vibexp', title: 'VibeXP', version: '0.1.0' },
          instructions:
            'Your VibeXP prompts, artifacts and memories. Search first, then get what you need; memories record facts and decisions per project.',
        };
      }
      case 'ping':
        return {};
      case 'tools/list':
        return {
          tools: this.toolsFor(identity).map(({ name, title, description, inputSchema, annotations }) => ({
            name,
            title,
            description,
            inputSchema,
            annotations,
          })),
        };
      case 'tools/call':
        return this.callTool(params, identity, request, origin);
      case 'prompts/list':
        return this.listPrompts(params, identity, request, origin);
      case 'prompts/get':
        return this.getPrompt(params, identity, request, origin);
      default: {
        // Every method of MCP_METHODS has its case (the audit trail names requests by that list).
        const unanswered: never = method;
        throw new Error(`no case for MCP method ${String(unanswered)}`);
      }
    }
  }

  private toolsFor(identity: OAuthIdentity): McpTool[] {
    return MCP_TOOLS.filter((tool) => identity.scopes.includes(tool.scope));
  }

  private context(request: Request): ToolContext {
    return {
      rpc: this.rpc,
      reads: this.reads,
      actor: contentActor(request, this.trusted),
      validate: async <T>(dto: new () => T, input: unknown) =>
        (await this.validation.transform(input, { type: 'body', metatype: dto })) as T,
    };
  }

  /** A tool's failure is its result (`isError`), so the model reads why; an unknown tool is a protocol error. */
  private async callTool(
    params: Record<string, unknown>,
    identity: OAuthIdentity,
    request: Request,
    origin: string,
  ): Promise<unknown> {
    if (typeof params.name !== 'string')
      throw new JsonRpcFailure(JsonRpcError.invalidParams, 'params.name is required: the name of the tool to call');
    const tool = MCP_TOOLS.find((candidate) => candidate.name === params.name);
    if (!tool)
      throw new JsonRpcFailure(
        JsonRpcError.invalidParams,
        `unknown tool "${redactText(String(params.name).slice(0, 1_000)).slice(0, 100)}"`,
      );
    this.requireScope(identity, tool.scope, origin, request);
    const args = params.arguments ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args))
      throw new JsonRpcFailure(JsonRpcError.invalidParams, 'arguments must be an object');
    try {
      const written = await tool.run(args as Record<string, unknown>, this.context(request));
      // A token that may write but not read learns where its write went, not the item's content.
      const result =
        tool.scope === 'content:write' && !identity.scopes.includes('content:read') ? whereWritten(written) : written;
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
    } catch (error) {
      if (error instanceof ProblemError || error instanceof RpcCallError || error instanceof ToolArgumentError) {
        if (error instanceof RpcCallError && error.body.code === RpcErrorCode.Unavailable) throw error;
        const refused = toolError(error);
        noteMcpError(request, refused.code);
        return { content: [{ type: 'text', text: refused.text }], isError: true };
      }
      throw error;
    }
  }

  /** Published prompts with `mcp_expose`, as MCP prompts named by slug; the cursor is the next page number. */
  private async listPrompts(
    params: Record<string, unknown>,
    identity: OAuthIdentity,
    request: Request,
    origin: string,
  ): Promise<unknown> {
    this.requireScope(identity, 'content:read', origin, request);
    const page = params.cursor === undefined ? 1 : Number(params.cursor);
    if (!Number.isInteger(page) || page < 1 || page > 10_000)
      throw new JsonRpcFailure(JsonRpcError.invalidParams, 'cursor is not one this server gave');
    const actor = contentActor(request, this.trusted);
    const list = await this.rpc.request<Page<PromptView>>(ContentRpc.list('prompt'), {
      actor,
      query: {
        page,
        limit: PROMPTS_PER_PAGE,
        status: 'published',
        mcp_expose: true,
        sort_by: 'name',
        sort_order: 'asc',
      },
    });
    const prompts = [];
    // One at a time: a page is at most 50 small reads, and a burst of them would crowd out other requests.
    for (const prompt of list.items) {
      let names: string[] = [];
      try {
        const answer = await this.rpc.request<{ placeholders: string[] }>(ContentRpc.placeholders, {
          actor,
          locator: { id: prompt.id },
        });
        names = answer.placeholders;
      } catch (error) {
        // A prompt whose references are broken (a cycle) is still listed; prompts/get says what is wrong.
        if (!(error instanceof RpcCallError) || error.body.code === RpcErrorCode.Unavailable) throw error;
      }
      prompts.push({
        name: prompt.slug,
        title: prompt.name,
        ...(prompt.description ? { description: prompt.description } : {}),
        arguments: names.map((name) => ({ name, required: false })),
      });
    }
    return { prompts, ...(page < list.total_pages ? { nextCursor: String(page + 1) } : {}) };
  }

  private async getPrompt(
    params: Record<string, unknown>,
    identity: OAuthIdentity,
    request: Request,
    origin: string,
  ): Promise<unknown> {
    this.requireScope(identity, 'content:read', origin, request);
    const name = params.name;
    const args = params.arguments ?? {};
    if (typeof name !== 'string' || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name) || name.length > 255)
      throw new JsonRpcFailure(JsonRpcError.invalidParams, 'name must be the slug of a listed prompt');
    if (
      typeof args !== 'object' ||
      args === null ||
      Array.isArray(args) ||
      Object.values(args).some((value) => typeof value !== 'string')
    )
      throw new JsonRpcFailure(JsonRpcError.invalidParams, 'arguments must map names to strings');
    const actor = contentActor(request, this.trusted);
    let prompt: PromptView;
    try {
      prompt = await this.reads.get<PromptView>('prompt', { slug: name }, actor);
    } catch (error) {
      if (error instanceof RpcCallError && error.body.code === RpcErrorCode.ResourceNotFound)
        throw new JsonRpcFailure(JsonRpcError.invalidParams, `no prompt "${name}" is offered`);
      throw error;
    }
    if (prompt.status !== 'published' || !prompt.mcp_expose)
      throw new JsonRpcFailure(JsonRpcError.invalidParams, `no prompt "${name}" is offered`);
    let rendered: RenderResult;
    try {
      const body = await this.validation.transform({ placeholders: args }, { type: 'body', metatype: RenderPromptDto });
      rendered = await this.rpc.request<RenderResult>(ContentRpc.render, { actor, locator: { id: prompt.id }, body });
    } catch (error) {
      if (
        error instanceof ProblemError ||
        (error instanceof RpcCallError && error.body.code !== RpcErrorCode.Unavailable)
      )
        throw new JsonRpcFailure(JsonRpcError.invalidParams, toolError(error).text);
      throw error;
    }
    return {
      ...(prompt.description ? { description: prompt.description } : {}),
      messages: [{ role: 'user', content: { type: 'text', text: rendered.rendered_body } }],
    };
  }

  /** MCP authorization: a token without the scope gets 403 insufficient_scope, naming the scope to ask for. */
  private requireScope(identity: OAuthIdentity, scope: OAuthScope, origin: string, request: Request): void {
    if (identity.scopes.includes(scope)) return;
    // Its oauth_token.used names the refusal, as a tool's own refusal is named.
    noteMcpError(request, 'INSUFFICIENT_SCOPE');
    throw new ProblemError(
      HttpStatus.FORBIDDEN,
      'INSUFFICIENT_SCOPE',
      `this needs the ${scope} scope: connect again and allow it`,
      {
        headers: {
          'WWW-Authenticate': `${BEARER_CHALLENGE}, error="insufficient_scope", scope="${scope}", resource_metadata="${resourceMetadataUrl(origin)}"`,
        },
      },
    );
  }
}
