import type { EntityManager } from 'typeorm';
import type { EventEnvelope } from '#contracts';
import type { Projection } from '#event-store';
import type { ApiKeyEvent } from './domain/api-key';

/**
 * `api_keys`: one row per key, folded from key.* lifecycle events. The usage columns
 * (last_used_*, request_count) belong to the usage fold and are left alone here.
 */
export class ApiKeysProjection implements Projection {
  readonly name = 'api_keys';

  handles(eventType: string): boolean {
    return eventType.startsWith('key.') && eventType !== 'key.used';
  }

  async apply(envelope: EventEnvelope, manager: EntityManager): Promise<void> {
    const event = { type: envelope.type, data: envelope.data } as ApiKeyEvent;
    const keyId = envelope.stream.slice('api_key-'.length);
    const at = envelope.occurred_at;
    const set = (assignments: string, values: unknown[]): Promise<unknown> =>
      manager.query(`UPDATE api_keys SET ${assignments}, updated_at = $2, version = $3 WHERE id = $1`, [
        keyId,
        at,
        envelope.version,
        ...values,
      ]);
    switch (event.type) {
      case 'key.created':
        await manager.query(
          `INSERT INTO api_keys (id, account_id, name, key_prefix, integrations, is_legacy, status, created_at, updated_at, expires_at, replaces, version)
           VALUES ($1, $2, $3, $4, $5, false, 'active', $6, $6, $7, $8, $9)
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, key_prefix = EXCLUDED.key_prefix, integrations = EXCLUDED.integrations,
             is_legacy = false, status = 'active', created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
             expires_at = EXCLUDED.expires_at, replaces = EXCLUDED.replaces, version = EXCLUDED.version`,
          [
            keyId,
            event.data.account_id,
            event.data.name,
            event.data.key_prefix,
            event.data.integrations,
            at,
            event.data.expires_at,
            event.data.replaces,
            envelope.version,
          ],
        );
        return;
      case 'key.legacy_imported':
        await manager.query(
          `INSERT INTO api_keys (id, account_id, name, key_prefix, integrations, is_legacy, migration_notes, status, created_at, updated_at, last_used_at, version)
           VALUES ($1, $2, $3, $4, $5, true, $6, 'active', $7, $8, $9, $10)
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, key_prefix = EXCLUDED.key_prefix, integrations = EXCLUDED.integrations,
             is_legacy = true, migration_notes = EXCLUDED.migration_notes, status = 'active', created_at = EXCLUDED.created_at,
             updated_at = EXCLUDED.updated_at, version = EXCLUDED.version,
             last_used_at = GREATEST(api_keys.last_used_at, EXCLUDED.last_used_at)`,
          [
            keyId,
            event.data.account_id,
            event.data.name,
            event.data.key_prefix,
            event.data.integrations,
            event.data.notes,
            event.data.original_created_at ?? at,
            at,
            event.data.last_used_at,
            envelope.version,
          ],
        );
        return;
      case 'key.renamed':
        await set('name = $4', [event.data.name]);
        return;
      case 'key.integrations_changed':
        await set('integrations = $4', [event.data.integrations]);
        return;
      case 'key.rotated':
        await set('replaced_by = $4, revoke_at = $5', [event.data.replaced_by, event.data.revoke_at]);
        return;
      case 'key.revoked':
        await set(`status = 'revoked', revoked_at = $2, revoked_reason = $4, revoke_at = NULL`, [event.data.reason]);
        return;
      case 'key.expired':
        await set(`status = 'revoked', revoked_at = $2, revoked_reason = 'expired', revoke_at = NULL`, []);
        return;
    }
  }

  /** Lifecycle columns are rebuilt; usage counters survive (they are folded from key.used, not from these events). */
  async reset(manager: EntityManager): Promise<void> {
    await manager.query(
      `UPDATE api_keys SET name = '', key_prefix = '', integrations = '{}', status = 'revoked', version = 0,
         migration_notes = NULL, expires_at = NULL, revoked_at = NULL, revoked_reason = NULL, replaced_by = NULL, replaces = NULL, revoke_at = NULL`,
    );
  }
}
