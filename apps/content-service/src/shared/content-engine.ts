import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { type ContentKind, type ContentLocator, DomainError, type EventMeta, RpcErrorCode, isUuid } from '#contracts';
import { ConcurrencyError, isUniqueViolation, preparedQuery, readFirstEvent, retryOnConcurrency } from '#event-store';
import type { ContentTableSpec } from './content-projection';
import {
  type ContentEvent,
  type ContentVersion,
  type Fields,
  decideDelete,
  decideRestore,
  contentStream,
  decideUpdate,
} from './content-resource';
import type { ContentStore } from './content-store';
import { type IdempotencyClaim, earlierResource, isKeyTaken, recordClaim } from './idempotency';

export interface ContentKindSpec<V> extends ContentTableSpec {
  toView(row: Record<string, unknown>): V;
  /** Names the resource in messages: "prompt", "artifact", "memory". */
  label: string;
}

/** The slug constraints: a taken slug is 409 RESOURCE_EXISTS. */
const SLUG_CONSTRAINTS = ['prompts_account_slug', 'artifacts_account_project_slug'];

/**
 * Commands and reads common to prompts, artifacts and memories: locate with ownership, create,
 * partial update with expected version, delete, versions and restore. Kind-specific rules (slugs,
 * references) are checked by the handlers before calling in.
 */
export class ContentEngine<F extends Fields, V> {
  /**
   * What a view is made of, and the owner: never `*`, which would also read the generated search
   * vector (as large as the text itself) for nothing.
   */
  private readonly viewColumns: string;

  constructor(
    readonly spec: ContentKindSpec<V>,
    readonly store: ContentStore,
  ) {
    this.viewColumns = ['id', 'account_id', ...spec.columns, 'version', 'created_at', 'updated_at'].join(', ');
  }

  get kind(): ContentKind {
    return this.spec.kind;
  }

  /**
   * The id of the resource a locator names, in this account. By id, another account's resource is
   * 403 FORBIDDEN; by slug or project path it is simply not found. `deleted: 'included'` (for its versions and
   * their restore) also finds a deleted resource, by id only: its slug or path may name another one by now.
   */
  async locate(
    accountId: string,
    locator: ContentLocator,
    { deleted }: { deleted?: 'included' } = {},
  ): Promise<string> {
    const { table } = this.spec;
    const { manager } = this.store.dataSource;
    if ('id' in locator) {
      if (!isUuid(locator.id)) throw this.notFound();
      const [row] = (await manager.query(`SELECT account_id FROM ${table} WHERE id = $1`, [locator.id])) as {
        account_id: string | null;
      }[];
      // Gone from the read table, a deleted resource is still its events: its creation names its owner.
      const owner =
        row?.account_id ??
        (deleted === 'included'
          ? (await readFirstEvent(contentStream(this.kind, locator.id.toLowerCase()), manager))?.meta.account_id
          : undefined);
      if (!owner) throw this.notFound();
      if (owner !== accountId) {
        // A deleted resource of another account is not found, as its GET, PUT and DELETE answer: only a live one
        // is another's (PRODUCT.md §5's 403).
        if (!row) throw this.notFound();
        throw new DomainError(RpcErrorCode.Forbidden, `this ${this.spec.label} belongs to another account`);
      }
      return locator.id.toLowerCase();
    }
    const rows = (
      'project' in locator
        ? await manager.query(`SELECT id FROM ${table} WHERE account_id = $1 AND project = $2 AND slug = $3`, [
            accountId,
            locator.project,
            locator.slug,
          ])
        : await manager.query(`SELECT id FROM ${table} WHERE account_id = $1 AND slug = $2`, [accountId, locator.slug])
    ) as { id: string }[];
    if (!rows[0]) throw this.notFound();
    return rows[0].id;
  }

  /** The resource a locator names, as its view, in one query (the read path of GET). */
  /** A resource by its locator, as the API shows it (named prepared statements: this is every read). */
  async find(accountId: string, locator: ContentLocator): Promise<V> {
    const { table } = this.spec;
    const { dataSource } = this.store;
    let rows: Record<string, unknown>[];
    if ('id' in locator) {
      if (!isUuid(locator.id)) throw this.notFound();
      rows = await preparedQuery(
        dataSource,
        `${table}-by-id`,
        `SELECT ${this.viewColumns} FROM ${table} WHERE id = $1`,
        [locator.id],
      );
      if (rows[0] && rows[0].account_id !== accountId)
        throw new DomainError(RpcErrorCode.Forbidden, `this ${this.spec.label} belongs to another account`);
    } else if ('project' in locator) {
      rows = await preparedQuery(
        dataSource,
        `${table}-by-project-slug`,
        `SELECT ${this.viewColumns} FROM ${table} WHERE account_id = $1 AND project = $2 AND slug = $3`,
        [accountId, locator.project, locator.slug],
      );
    } else {
      rows = await preparedQuery(
        dataSource,
        `${table}-by-slug`,
        `SELECT ${this.viewColumns} FROM ${table} WHERE account_id = $1 AND slug = $2`,
        [accountId, locator.slug],
      );
    }
    if (!rows[0]) throw this.notFound();
    return this.spec.toView(rows[0]);
  }

  async view(id: string, manager: EntityManager = this.store.dataSource.manager): Promise<V> {
    const [row] = (await manager.query(`SELECT ${this.viewColumns} FROM ${this.spec.table} WHERE id = $1`, [
      id,
    ])) as Record<string, unknown>[];
    if (!row) throw this.notFound();
    return this.spec.toView(row);
  }

  /**
   * Creates a resource. With an idempotency claim, a request sent again with the same key (a retry after a
   * lost answer) gets the resource the first one made instead of a second one.
   */
  async create(fields: F, meta: EventMeta, claim?: IdempotencyClaim): Promise<V> {
    const id = randomUUID();
    const events = [{ type: `${this.kind}.created`, data: { id, fields } }] as ContentEvent<F>[];
    if (!claim)
      return this.translate(() =>
        this.store.appendAndRead(this.kind, id, events, 'no_stream', meta, (manager) => this.view(id, manager)),
      );
    // Content is always an account's (the actor's): a create without one is a broken caller.
    const accountId = meta.account_id as string;
    const earlier = await earlierResource(this.store.dataSource.manager, accountId, this.kind, claim);
    if (earlier) return this.view(earlier);
    try {
      return await this.translate(() =>
        this.store.dataSource.transaction(async (manager) => {
          await recordClaim(manager, accountId, this.kind, claim, id);
          await this.store.append(this.kind, id, events, 'no_stream', meta, manager);
          return this.view(id, manager);
        }),
      );
    } catch (error) {
      // The same key, sent at the same time: the first request made the resource, this one answers with it.
      const winner = isKeyTaken(error)
        ? await earlierResource(this.store.dataSource.manager, accountId, this.kind, claim)
        : undefined;
      if (!winner) throw error;
      return this.view(winner);
    }
  }

  /**
   * A partial update. With `expected_version` a lost race is 409 VERSION_CONFLICT (the caller asked to change
   * that version only); without one, the changes are applied again on top of the other writer's version.
   */
  async update(id: string, changes: Partial<F>, expectedVersion: number | undefined, meta: EventMeta): Promise<V> {
    // The answer is the resource as this update left it, read in its transaction (not a later writer's).
    const decideAndAppend = async () => {
      const state = await this.store.state<F>(this.kind, id);
      if (!state || state.deleted) throw this.notFound();
      const events = decideUpdate(this.kind, state, changes, expectedVersion);
      return this.store.appendAndRead(this.kind, id, events, state.version, meta, (manager) => this.view(id, manager));
    };
    return this.translate(() =>
      expectedVersion === undefined ? retryOnConcurrency(decideAndAppend) : decideAndAppend(),
    );
  }

  /** A delete that lost a race is decided again: 404 when the other writer deleted it, as one sent after it. */
  async remove(id: string, meta: EventMeta): Promise<void> {
    await this.translate(() =>
      retryOnConcurrency(async () => {
        const state = await this.store.state<F>(this.kind, id);
        if (!state || state.deleted) throw this.notFound();
        await this.store.append(this.kind, id, decideDelete(this.kind, state), state.version, meta);
      }),
    );
  }

  /** A page of the resource's versions, and how many there are in all. */
  versions(
    id: string,
    page: { offset: number; limit: number; newestFirst: boolean },
  ): Promise<{ versions: ContentVersion<F>[]; total: number }> {
    return this.store.versions<F>(this.kind, id, page);
  }

  /**
   * Restoring a version of a deleted resource brings it back (an undelete), with that version's content. A restore
   * asks for no version, so one that lost a race is decided again on the winner's (as an update without one).
   */
  async restore(
    id: string,
    versionNumber: number,
    meta: EventMeta,
    /** A kind's own rule, checked on each decision (a retry's too): the fields now (null when deleted) and restored. */
    allow?: (current: F | null, restored: F) => Promise<void>,
  ): Promise<V> {
    return this.translate(() =>
      retryOnConcurrency(async () => {
        const state = await this.store.state<F>(this.kind, id);
        if (!state) throw this.notFound();
        const atVersion =
          Number.isInteger(versionNumber) && versionNumber >= 1 && versionNumber <= state.version
            ? await this.store.state<F>(this.kind, id, { upTo: versionNumber })
            : null;
        const events = decideRestore(this.kind, atVersion, versionNumber);
        await allow?.(state.deleted ? null : state.fields, (events[0].data as { fields: F }).fields);
        return this.store.appendAndRead(this.kind, id, events, state.version, meta, (manager) =>
          this.view(id, manager),
        );
      }),
    );
  }

  notFound(): DomainError {
    return new DomainError(
      RpcErrorCode.ResourceNotFound,
      `no ${this.spec.label} here has this id${this.kind === 'memory' ? '' : ' or slug'}`,
    );
  }

  /** Storage outcomes in the domain's terms: a taken slug is 409 RESOURCE_EXISTS, a lost race 409 VERSION_CONFLICT. */
  private async translate<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isUniqueViolation(error, ...SLUG_CONSTRAINTS))
        throw new DomainError(RpcErrorCode.ResourceExists, `another ${this.spec.label} already uses this slug`);
      if (error instanceof ConcurrencyError) {
        throw new DomainError(
          RpcErrorCode.VersionConflict,
          `the ${this.spec.label} was changed by another request: reload it and retry`,
        );
      }
      throw error;
    }
  }
}
