import { type Integration, MCP_SERVER_RETIRED, type RevokeReason, RpcErrorCode } from '#contracts';
import { DomainError } from '#contracts';

/** The api-key aggregate: its events, its state, `evolve` and the decisions. Pure: no I/O, time is passed in. */

export type ApiKeyEvent =
  | {
      type: 'key.created';
      data: {
        key_id: string;
        account_id: string;
        name: string;
        key_prefix: string;
        integrations: Integration[];
        expires_at: string | null;
        replaces: string | null;
        /** Only for a key made by `vibexp auth login --web`: who approved it (the event's meta is the CLI's trade). */
        approved_by?: BrowserApproval;
      };
    }
  | {
      type: 'key.legacy_imported';
      data: {
        key_id: string;
        account_id: string;
        name: string;
        key_prefix: string;
        integrations: Integration[];
        original_created_at: string | null;
        last_used_at: string | null;
        notes: string | null;
      };
    }
  | { type: 'key.renamed'; data: { name: string } }
  | { type: 'key.integrations_changed'; data: { integrations: Integration[] } }
  | { type: 'key.rotated'; data: { replaced_by: string; grace_period_seconds: number; revoke_at: string } }
  | { type: 'key.revoked'; data: { reason: RevokeReason; key_prefix?: string; source_url?: string } }
  | { type: 'key.expired'; data: { expires_at: string } };

/**
 * The dashboard request that approved a CLI login: the session (its id, never its token) and where it came from,
 * so that the audit log shows which browser let which terminal have a key.
 */
export interface BrowserApproval {
  session_id: string;
  request_id: string;
  ip?: string;
  user_agent?: string;
  approved_at: string;
}

export interface ApiKeyState {
  id: string;
  accountId: string;
  name: string;
  integrations: Integration[];
  status: 'active' | 'revoked';
  expiresAt: string | null;
  replacedBy: string | null;
  revokeAt: string | null;
  version: number;
}

export const ALL_INTEGRATIONS: Integration[] = ['ai_tools', 'cli', 'mcp_server'];

export function apiKeyStream(keyId: string): string {
  return `api_key-${keyId}`;
}

export function evolve(state: ApiKeyState | null, event: ApiKeyEvent): ApiKeyState {
  switch (event.type) {
    case 'key.created':
    case 'key.legacy_imported':
      return {
        id: event.data.key_id,
        accountId: event.data.account_id,
        name: event.data.name,
        integrations: event.data.integrations,
        status: 'active',
        expiresAt: event.type === 'key.created' ? event.data.expires_at : null,
        replacedBy: null,
        revokeAt: null,
        version: 1,
      };
  }
  if (!state) throw new Error(`${event.type} before the key was created`);
  const next = { ...state, version: state.version + 1 };
  switch (event.type) {
    case 'key.renamed':
      return { ...next, name: event.data.name };
    case 'key.integrations_changed':
      return { ...next, integrations: event.data.integrations };
    case 'key.rotated':
      return { ...next, replacedBy: event.data.replaced_by, revokeAt: event.data.revoke_at };
    case 'key.revoked':
    case 'key.expired':
      return { ...next, status: 'revoked', revokeAt: null };
  }
}

export function fold(events: ApiKeyEvent[]): ApiKeyState | null {
  return events.reduce<ApiKeyState | null>(evolve, null);
}

/**
 * A key is changed only while it works: not revoked, and not past its `expires_at` or the end of its rotation's
 * grace period either, which the scheduler records up to a second later (decideDue): a key the gateway already
 * refuses must not be renamed as active, or rotated into a successor that is born expired.
 */
function requireActive(state: ApiKeyState, now: Date): void {
  if (state.status !== 'active')
    throw new DomainError(RpcErrorCode.KeyRevoked, 'the key is revoked and cannot be changed');
  const [due] = decideDue(state, now);
  if (due)
    throw new DomainError(
      RpcErrorCode.KeyRevoked,
      due.type === 'key.expired'
        ? 'the key has expired and cannot be changed'
        : 'the key is revoked (its rotation’s grace period is over) and cannot be changed',
    );
}

export function decideRename(state: ApiKeyState, name: string, now: Date): ApiKeyEvent[] {
  requireActive(state, now);
  return state.name === name ? [] : [{ type: 'key.renamed', data: { name } }];
}

/** mcp_server may stay on a key that has it (a legacy key, PRODUCT.md §3.2), never be added to one. */
export function decideIntegrations(state: ApiKeyState, integrations: Integration[], now: Date): ApiKeyEvent[] {
  requireActive(state, now);
  if (integrations.includes('mcp_server') && !state.integrations.includes('mcp_server')) {
    throw new DomainError(RpcErrorCode.IntegrationRetired, MCP_SERVER_RETIRED);
  }
  const same =
    integrations.length === state.integrations.length && integrations.every((i) => state.integrations.includes(i));
  if (same) return [];
  // mcp_server alone grants nothing (MCP clients use OAuth), and its rotation would make a key of none.
  if (!integrations.some((integration) => integration !== 'mcp_server')) {
    throw new DomainError(RpcErrorCode.IntegrationRetired, MCP_SERVER_RETIRED);
  }
  return [{ type: 'key.integrations_changed', data: { integrations } }];
}

/** Revoking a revoked key changes nothing (DELETE is idempotent). */
export function decideRevoke(state: ApiKeyState, reason: RevokeReason): ApiKeyEvent[] {
  return state.status === 'revoked' ? [] : [{ type: 'key.revoked', data: { reason } }];
}

/**
 * A live key found in public (PRODUCT.md §11): revoked as `leaked`, with its display prefix and where it
 * was found (when told), so that the alert raised from this event can say which key and where.
 */
export function decideReportedLeak(
  state: ApiKeyState,
  report: { keyPrefix: string; sourceUrl?: string },
): ApiKeyEvent[] {
  if (state.status === 'revoked') return [];
  const data = {
    reason: 'leaked' as const,
    key_prefix: report.keyPrefix,
    ...(report.sourceUrl ? { source_url: report.sourceUrl } : {}),
  };
  return [{ type: 'key.revoked', data }];
}

/**
 * The old key's side of a rotation: it learns its successor and, without a grace period, is revoked
 * at once; with one, it is revoked when `revoke_at` passes (the scheduler appends key.revoked).
 */
export function decideRotate(
  state: ApiKeyState,
  replacedBy: string,
  gracePeriodSeconds: number,
  now: Date,
): ApiKeyEvent[] {
  requireActive(state, now);
  // Its successor gets its integrations but the retired mcp_server: a key holding that alone would leave it none.
  if (!state.integrations.some((integration) => integration !== 'mcp_server')) {
    throw new DomainError(
      RpcErrorCode.IntegrationRetired,
      `the key holds only the retired mcp_server: add ai_tools or cli to it first, or create a new key. ${MCP_SERVER_RETIRED}`,
    );
  }
  if (state.replacedBy) {
    throw new DomainError(
      RpcErrorCode.KeyAlreadyRotated,
      'the key has already been rotated: its successor is in replaced_by, and this key is revoked when the grace period ends',
    );
  }
  const revokeAt = new Date(now.getTime() + gracePeriodSeconds * 1000).toISOString();
  const rotated: ApiKeyEvent = {
    type: 'key.rotated',
    data: { replaced_by: replacedBy, grace_period_seconds: gracePeriodSeconds, revoke_at: revokeAt },
  };
  return gracePeriodSeconds === 0 ? [rotated, { type: 'key.revoked', data: { reason: 'rotated' } }] : [rotated];
}

/** Due work for the scheduler: the end of a grace period, or an expiry. */
export function decideDue(state: ApiKeyState, now: Date): ApiKeyEvent[] {
  if (state.status !== 'active') return [];
  if (state.revokeAt && Date.parse(state.revokeAt) <= now.getTime())
    return [{ type: 'key.revoked', data: { reason: 'rotated' } }];
  if (state.expiresAt && Date.parse(state.expiresAt) <= now.getTime())
    return [{ type: 'key.expired', data: { expires_at: state.expiresAt } }];
  return [];
}
