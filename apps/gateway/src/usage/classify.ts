/**
 * What kind of tool made a request, which client program, and which action (PRODUCT.md §7), from
 * facts the gateway has anyway: the User-Agent, the route, the declared integration. Pure.
 */
import { BoundedMemo } from './bounded-memo';

export type ToolType = 'cli' | 'claude_code' | 'cursor' | 'ai_tools' | 'api';

export interface RequestFacts {
  method: string;
  /** The route template as the router matched it, e.g. `/api/v1/prompts/:id/render`. */
  route: string;
  /** The request path, for wildcard routes (artifacts) whose action depends on the suffix. */
  path: string;
  userAgent: string | undefined;
  /** `X-VibeXP-Integration` as sent (already validated), if any. */
  declaredIntegration: string | undefined;
}

export interface Classification {
  tool_type: ToolType;
  /** The User-Agent's product, lower-cased (`curl`, `axios`, `python-requests`), or null. */
  client: string | null;
  action: string;
}

const CLI_AGENT = /^vibexp-cli\//i;
const CLAUDE_AGENT = /claude[- ]?code|claude-cli/i;
const CURSOR_AGENT = /\bcursor\//i;

/** `curl/8.5.0` → `curl`; `Mozilla/5.0 (…)` → `mozilla`; nothing usable → null. */
export function clientProduct(userAgent: string | undefined): string | null {
  const product = userAgent?.trim().slice(0, 200).split(/[\s/]/)[0]?.toLowerCase();
  return product && /^[a-z0-9._+-]{1,40}$/.test(product) ? product : null;
}

function toolType(facts: RequestFacts, resource: string): ToolType {
  const agent = facts.userAgent ?? '';
  // A hook route names its tool whoever carries the call: the hooks `vibexp hooks install` writes run
  // `vibexp hooks send`, whose User-Agent is the CLI's, but the work is Claude Code's or Cursor's.
  if (resource === 'hooks.claude_code') return 'claude_code';
  if (resource === 'hooks.cursor') return 'cursor';
  if (CLI_AGENT.test(agent)) return 'cli';
  if (CLAUDE_AGENT.test(agent)) return 'claude_code';
  if (CURSOR_AGENT.test(agent)) return 'cursor';
  if (facts.declaredIntegration === 'ai_tools') return 'ai_tools';
  return 'api';
}

const VERBS: Record<string, string> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'update',
  DELETE: 'delete',
};

const isParameter = (segment: string): boolean => segment.startsWith(':') || segment.startsWith('*');
const snake = (segment: string): string => segment.replace(/-/g, '_');

/**
 * The resource a route is about, and the segments after it. `settings/` and `security/` group routes in
 * the URL without naming a resource: Settings → API Keys answers at two paths with one name
 * (api_keys.list, api_keys.rotate…), alerts live under `security/alerts`, and `settings/security` is the
 * account's security settings.
 */
function resourceOf(segments: string[]): { resource: string; rest: string[]; singleton: boolean } {
  const [first = 'unknown', second] = segments;
  if (first === 'settings' && second === 'security')
    return { resource: 'security_settings', rest: segments.slice(2), singleton: true };
  if ((first === 'settings' || first === 'security') && second !== undefined && !isParameter(second))
    return { resource: snake(second), rest: segments.slice(2), singleton: false };
  return { resource: snake(first), rest: segments.slice(1), singleton: false };
}

/** The route of a request refused before routing (an unknown path, a body that is not JSON): no action. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** `<resource>.<verb>`: prompts.list, prompts.get, artifacts.update, hooks.claude_code, search.query, auth.me… */
export function actionOf(method: string, route: string, path: string): string {
  if (route === UNMATCHED_ROUTE) return 'unknown';
  const segments = route
    .replace(/^\/api\/v1\//, '')
    .split('/')
    .filter(Boolean);
  const [first, second] = segments;
  if (first === 'auth') return `auth.${second ?? 'unknown'}`;
  // /mcp/v1/<server>: one action per MCP server (its tools are calls inside the request).
  if (first === 'mcp') return `mcp.${segments[2] ?? 'unknown'}`;
  if (first === 'search') return 'search.query';
  if (first === 'claude-code') return 'hooks.claude_code';
  if (first === 'cursor-ide') return 'hooks.cursor';
  // /ai-tools/{claude-code|cursor-ide}/sessions: one list, whichever tool's.
  if (first === 'ai-tools') return 'ai_tool_sessions.list';
  if (first === 'artifacts' && second?.startsWith('*')) {
    if (/\/versions\/[^/]+\/restore\/?$/.test(path)) return 'artifacts.restore';
    if (/\/versions\/?$/.test(path)) return 'artifacts.versions';
    return `artifacts.${VERBS[method] ?? 'unknown'}`;
  }
  const { resource, rest, singleton } = resourceOf(segments);
  const verb = VERBS[method] ?? 'unknown';
  // The collection (or a singleton such as the security settings) itself.
  if (rest.length === 0) return `${resource}.${verb === 'get' && !singleton ? 'list' : verb}`;
  // A named operation on the collection: audit-log/export, keys/report-leak.
  if (!isParameter(rest[0])) return `${resource}.${snake(rest[0])}`;
  // One item, or an operation on it: prompts/:id/render, api-keys/:id/rotate, alerts/:id/acknowledge.
  const [, operation, , after] = rest;
  if (operation === undefined) return `${resource}.${verb}`;
  if (operation === 'versions') return after === 'restore' ? `${resource}.restore` : `${resource}.versions`;
  return `${resource}.${snake(operation)}`;
}

function classifyNow(facts: RequestFacts): Classification {
  const action = actionOf(facts.method, facts.route, facts.path);
  return { tool_type: toolType(facts, action), client: clientProduct(facts.userAgent), action };
}

/**
 * Requests repeat their facts (one tool, one User-Agent, a handful of routes): answers are remembered
 * by those facts. Only what the answer depends on is part of the key: the declared integration counts
 * only as `ai_tools` or not, and wildcard routes, whose action depends on the whole path, are not
 * remembered (a key per path would let a client fill the memory with paths).
 */
const remembered = new BoundedMemo(5_000, (key) => {
  const [method, route, aiTools, userAgent] = JSON.parse(key) as [string, string, boolean, string | null];
  return Object.freeze(
    classifyNow({
      method,
      route,
      path: route,
      declaredIntegration: aiTools ? 'ai_tools' : undefined,
      userAgent: userAgent ?? undefined,
    }),
  );
});

export function classify(facts: RequestFacts): Classification {
  if (facts.route.includes('*')) return classifyNow(facts);
  const aiTools = facts.declaredIntegration === 'ai_tools';
  return remembered.get(JSON.stringify([facts.method, facts.route, aiTools, facts.userAgent ?? null]));
}
