import type { EntityManager } from 'typeorm';
import type { ContentKind, EventEnvelope } from '#contracts';
import { type Projection, readFirstEvent } from '#event-store';
import type { Fields } from './content-resource';

/** How one content kind is stored in its read model. */
export interface ContentTableSpec {
  kind: ContentKind;
  table: 'prompts' | 'artifacts' | 'memories';
  /** Snapshot fields, each stored in the column of the same name. */
  columns: readonly string[];
  /** Writes that follow a change of the row (e.g. a prompt's references); `null` after a delete. */
  afterChange?: (id: string, accountId: string, manager: EntityManager) => Promise<void>;
}

/** The read model of one content kind, folded from its events (inline, rebuildable). */
export class ContentProjection implements Projection {
  readonly name: string;

  constructor(private readonly spec: ContentTableSpec) {
    this.name = spec.table;
  }

  handles(eventType: string): boolean {
    return eventType.startsWith(`${this.spec.kind}.`);
  }

  async apply(envelope: EventEnvelope, manager: EntityManager): Promise<void> {
    const { table, columns } = this.spec;
    const id = envelope.stream.slice(this.spec.kind.length + 1);
    const accountId = envelope.meta.account_id as string;
    const action = envelope.type.slice(this.spec.kind.length + 1);
    const at = envelope.occurred_at;
    if (action === 'created') {
      await this.insert(id, accountId, (envelope.data as { fields: Fields }).fields, envelope.version, at, at, manager);
    } else if (action === 'restored' && !(await this.hasRow(id, manager))) {
      // A deleted resource brought back: its row again, created when the resource first was.
      const created = await readFirstEvent(envelope.stream, manager);
      const fields = (envelope.data as { fields: Fields }).fields;
      await this.insert(id, accountId, fields, envelope.version, created?.occurred_at ?? at, at, manager);
    } else if (action === 'updated' || action === 'restored') {
      const fields =
        action === 'updated'
          ? (envelope.data as { changes: Fields }).changes
          : (envelope.data as { fields: Fields }).fields;
      const changed = columns.filter((column) => column in fields);
      const assignments = [...changed.map((column, i) => `${column} = $${i + 4}`), 'version = $2', 'updated_at = $3'];
      await manager.query(`UPDATE ${table} SET ${assignments.join(', ')} WHERE id = $1`, [
        id,
        envelope.version,
        at,
        ...changed.map((column) => fields[column] ?? null),
      ]);
    } else if (action === 'deleted') {
      await manager.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
    }
    await this.spec.afterChange?.(id, accountId, manager);
  }

  private async hasRow(id: string, manager: EntityManager): Promise<boolean> {
    const rows = (await manager.query(`SELECT 1 FROM ${this.spec.table} WHERE id = $1`, [id])) as unknown[];
    return rows.length > 0;
  }

  private async insert(
    id: string,
    accountId: string,
    fields: Fields,
    version: number,
    createdAt: string | Date,
    updatedAt: string,
    manager: EntityManager,
  ): Promise<void> {
    const { table, columns } = this.spec;
    const names = ['id', 'account_id', ...columns, 'version', 'created_at', 'updated_at'];
    const values = [id, accountId, ...columns.map((column) => fields[column] ?? null), version, createdAt, updatedAt];
    await manager.query(
      `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
      values,
    );
  }

  async reset(manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM ${this.spec.table}`);
  }
}
