import type { EntityManager } from 'typeorm';
import type { EventEnvelope, HookTool } from '#contracts';
import type { Projection } from '#event-store';

/** What a `hook.received` event holds besides the hook's own JSON (`payload`). */
export interface HookReceivedData {
  tool_type: HookTool;
  session_id: string;
  hook_event_name: string;
  tool_name?: string;
  cwd?: string;
  /** The hook's JSON as stored (masked, long strings cut). */
  payload: Record<string, unknown>;
  /** Present, true, when a string of the payload was cut. */
  truncated?: true;
}

/** A session keeps at most this many distinct tool names: the list is a summary, not a log. */
export const MAX_TOOLS_PER_SESSION = 100;

/**
 * `ai_tool_sessions`, folded from `hook.received` (inline, rebuildable). Hooks of one session may arrive
 * out of order, so first/last seen are a min/max of event time and the latest event names the session's
 * last hook and directory.
 */
export class HookSessionsProjection implements Projection {
  readonly name = 'ai_tool_sessions';

  handles(eventType: string): boolean {
    return eventType === 'hook.received';
  }

  async apply(envelope: EventEnvelope, manager: EntityManager): Promise<void> {
    const data = envelope.data as unknown as HookReceivedData;
    await manager.query(
      `INSERT INTO ai_tool_sessions AS s
              (account_id, tool, session_id, first_seen, last_seen, hook_count, tools_used, cwd, last_hook_event)
       VALUES ($1, $2, $3, $4, $4, 1, CASE WHEN $5::text IS NULL THEN '{}'::text[] ELSE ARRAY[$5::text] END, $6, $7)
       ON CONFLICT (account_id, tool, session_id) DO UPDATE SET
         first_seen = least(s.first_seen, EXCLUDED.first_seen),
         last_seen = greatest(s.last_seen, EXCLUDED.last_seen),
         hook_count = s.hook_count + 1,
         tools_used = CASE
           WHEN $5::text IS NULL OR $5::text = ANY (s.tools_used) OR cardinality(s.tools_used) >= $8 THEN s.tools_used
           ELSE s.tools_used || $5::text END,
         cwd = CASE WHEN EXCLUDED.last_seen >= s.last_seen THEN coalesce(EXCLUDED.cwd, s.cwd) ELSE coalesce(s.cwd, EXCLUDED.cwd) END,
         last_hook_event = CASE WHEN EXCLUDED.last_seen >= s.last_seen THEN EXCLUDED.last_hook_event ELSE s.last_hook_event END`,
      [
        envelope.meta.account_id,
        data.tool_type,
        data.session_id,
        envelope.occurred_at,
        data.tool_name ?? null,
        data.cwd ?? null,
        data.hook_event_name,
        MAX_TOOLS_PER_SESSION,
      ],
    );
  }

  async reset(manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM ai_tool_sessions`);
  }
}
