import { MCP_TOOLS } from './mcp-tools';

const TOOL_ACTIONS = new Map(MCP_TOOLS.map((tool) => [tool.name, tool.action]));

/** What an accepted MCP request was, for its `oauth_token.used` event. */
export interface McpRequestFacts {
  /** The REST API's action for the same work (`memories.create`), else `mcp.<method>` (`mcp.tools_list`). */
  action: string;
  /** The JSON-RPC method, when the message named a known one. */
  mcp_method: string | null;
  /** The tool a `tools/call` named, when it is one of ours. */
  mcp_tool: string | null;
}

/** Protocol methods this server answers; anything else is recorded as `mcp.other`, not as the client's text. */
const PROTOCOL_METHODS = new Set(['initialize', 'ping', 'tools/list', 'tools/call', 'prompts/list', 'prompts/get']);

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
  const method = typeof message.method === 'string' ? message.method : undefined;
  if (method !== undefined && !('id' in message))
    return { action: 'mcp.notification', mcp_method: null, mcp_tool: null };
  if (method === undefined || !PROTOCOL_METHODS.has(method))
    return { action: 'mcp.other', mcp_method: null, mcp_tool: null };
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
