import type { Request } from 'express';
import { MCP_TOOLS } from './mcp-tools';

const TOOL_ACTIONS = new Map(MCP_TOOLS.map((tool) => [tool.name, tool.action]));

/** The JSON-RPC methods this server answers (MCP 2025-06-18, tools and prompts). */
export const MCP_METHODS = ['initialize', 'ping', 'tools/list', 'tools/call', 'prompts/list', 'prompts/get'] as const;
export type McpMethod = (typeof MCP_METHODS)[number];
const KNOWN_METHODS: ReadonlySet<string> = new Set(MCP_METHODS);
export const isMcpMethod = (method: string): method is McpMethod => KNOWN_METHODS.has(method);

/** JSON-RPC error codes (JSON-RPC 2.0 §5.1) and the names the audit trail records them under. */
export const JsonRpcError = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
} as const;
const JSON_RPC_ERROR_NAMES: Record<number, string> = {
  [JsonRpcError.parseError]: 'PARSE_ERROR',
  [JsonRpcError.invalidRequest]: 'INVALID_REQUEST',
  [JsonRpcError.methodNotFound]: 'METHOD_NOT_FOUND',
  [JsonRpcError.invalidParams]: 'INVALID_PARAMS',
  [JsonRpcError.internal]: 'INTERNAL_ERROR',
};

const mcpErrors = new WeakMap<Request, string>();

/**
 * An MCP request can fail inside a 200 answer: a JSON-RPC error, or a tool call refused with `isError`.
 * The controller notes the code here (the REST code of a refused tool call, else the JSON-RPC error's name),
 * and the request's `oauth_token.used` records it as a failure.
 */
export function noteMcpError(request: Request, code: string | number): void {
  mcpErrors.set(request, typeof code === 'number' ? (JSON_RPC_ERROR_NAMES[code] ?? `JSONRPC_${code}`) : code);
}

export function mcpErrorOf(request: Request): string | null {
  return mcpErrors.get(request) ?? null;
}

/** What an accepted MCP request was, for its `oauth_token.used` event. */
export interface McpRequestFacts {
  /** The REST API's action for the same work (`memories.create`), else `mcp.<method>` (`mcp.tools_list`). */
  action: string;
  /** The JSON-RPC method, when the message named a known one. */
  mcp_method: string | null;
  /** The tool a `tools/call` named, when it is one of ours. */
  mcp_tool: string | null;
}

/**
 * The audit facts of one MCP message (the request body as parsed): tool calls and prompts count under the
 * REST API's actions, so that the audit log's `action` filter finds the same work whichever way it came;
 * a notification is `mcp.notification`. Only names this server defines are kept, never arguments. Pure.
 */
export function mcpRequestFacts(body: unknown): McpRequestFacts {
  const message = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<
    string,
    unknown
  >;
  // What the server refuses as no JSON-RPC 2.0 request is recorded as such, whatever method it named.
  const method = message.jsonrpc === '2.0' && typeof message.method === 'string' ? message.method : undefined;
  if (method !== undefined && !('id' in message))
    return { action: 'mcp.notification', mcp_method: null, mcp_tool: null };
  if (method === undefined || !isMcpMethod(method)) return { action: 'mcp.other', mcp_method: null, mcp_tool: null };
  if (method === 'tools/call') {
    const params = message.params as { name?: unknown } | undefined;
    const tool = typeof params?.name === 'string' && TOOL_ACTIONS.has(params.name) ? params.name : null;
    return { action: tool ? (TOOL_ACTIONS.get(tool) as string) : 'mcp.tools_call', mcp_method: method, mcp_tool: tool };
  }
  if (method === 'prompts/list') return { action: 'prompts.list', mcp_method: method, mcp_tool: null };
  // prompts/get answers the prompt's text with its arguments filled in: a render.
  if (method === 'prompts/get') return { action: 'prompts.render', mcp_method: method, mcp_tool: null };
  return { action: `mcp.${method.replace('/', '_')}`, mcp_method: method, mcp_tool: null };
}
