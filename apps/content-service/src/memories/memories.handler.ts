import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Type } from 'class-transformer';
import { ValidateNested } from 'class-validator';
import {
  ContentRpc,
  CreateMemoryDto,
  ListMemoriesQuery,
  type MemoryView,
  type Page,
  UpdateMemoryDto,
  parseMetadataFilter,
} from '#contracts';
import { ContentEngine } from '../shared/content-engine';
import { Conditions, pageOf, prefixTsQuery } from '../shared/content-query';
import { ActorDto, Addressed, RestoreCommand, eventMeta, toLocator } from '../shared/content-rpc.dto';
import { ContentStore } from '../shared/content-store';
import { MEMORY_SPEC, type MemoryFields } from './memory.kind';

class CreateMemoryCommand {
  @ValidateNested()
  @Type(() => ActorDto)
  actor: ActorDto;

  @ValidateNested()
  @Type(() => CreateMemoryDto)
  body: CreateMemoryDto;
}

class ListMemoriesCommand {
  @ValidateNested()
  @Type(() => ActorDto)
  actor: ActorDto;

  @ValidateNested()
  @Type(() => ListMemoriesQuery)
  query: ListMemoriesQuery;
}

class UpdateMemoryCommand extends Addressed {
  @ValidateNested()
  @Type(() => UpdateMemoryDto)
  body: UpdateMemoryDto;
}

const SORT = { created_at: 'created_at', updated_at: 'updated_at' } as const;

/** Memories (PRODUCT.md §5.3), addressed by id. */
@Controller()
export class MemoriesHandler {
  private readonly engine: ContentEngine<MemoryFields, MemoryView>;

  constructor(private readonly store: ContentStore) {
    this.engine = new ContentEngine(MEMORY_SPEC, store);
  }

  @MessagePattern(ContentRpc.create('memory'))
  create(@Payload() command: CreateMemoryCommand): Promise<MemoryView> {
    const { body } = command;
    return this.engine.create(
      {
        text: body.text,
        title: body.title ?? null,
        project: body.project ?? null,
        status: body.status ?? 'active',
        labels: body.labels ?? [],
        metadata: body.metadata ?? {},
      },
      eventMeta(command.actor),
    );
  }

  /** Filters: project, status (default all but archived), full-text search, labels (any), metadata (keys AND, values OR). */
  @MessagePattern(ContentRpc.list('memory'))
  list(@Payload() command: ListMemoriesCommand): Promise<Page<MemoryView>> {
    const { query } = command;
    const conditions = new Conditions(command.actor.account_id);
    if (query.project) conditions.add('project = ?', query.project);
    if (query.status) conditions.add('status = ?', query.status);
    else conditions.add(`status <> 'archived'`);
    if (query.labels?.length) conditions.add('labels && ?::text[]', query.labels);
    if (query.search !== undefined) {
      const tsquery = prefixTsQuery(query.search);
      if (!tsquery) conditions.add('false');
      else conditions.add(`search @@ to_tsquery('english', ?)`, tsquery);
    }
    const metadata = query.metadata ? parseMetadataFilter(query.metadata) : undefined;
    for (const [key, values] of Object.entries(metadata ?? {})) {
      // One containment test per accepted value: the GIN index answers each.
      conditions.add(
        `(${values.map(() => 'metadata @> ?::jsonb').join(' OR ')})`,
        ...values.map((value) => JSON.stringify({ [key]: value })),
      );
    }
    return pageOf(
      this.store.dataSource,
      'memories',
      MEMORY_SPEC.columns,
      conditions,
      SORT[query.sort_by],
      query,
      MEMORY_SPEC.toView,
    );
  }

  @MessagePattern(ContentRpc.get('memory'))
  async get(@Payload() command: Addressed): Promise<MemoryView> {
    return this.engine.find(command.actor.account_id, toLocator(command.locator));
  }

  @MessagePattern(ContentRpc.update('memory'))
  async update(@Payload() command: UpdateMemoryCommand): Promise<MemoryView> {
    const id = await this.engine.locate(command.actor.account_id, toLocator(command.locator));
    const { expected_version, ...changes } = command.body;
    return this.engine.update(id, changes as Partial<MemoryFields>, expected_version, eventMeta(command.actor));
  }

  @MessagePattern(ContentRpc.remove('memory'))
  async remove(@Payload() command: Addressed): Promise<{ deleted: true }> {
    const id = await this.engine.locate(command.actor.account_id, toLocator(command.locator));
    await this.engine.remove(id, eventMeta(command.actor));
    return { deleted: true };
  }

  @MessagePattern(ContentRpc.versions('memory'))
  async versions(@Payload() command: Addressed): Promise<{ versions: Record<string, unknown>[] }> {
    const id = await this.engine.locate(command.actor.account_id, toLocator(command.locator));
    const versions = await this.engine.versions(id);
    return {
      versions: versions.map((entry) => ({
        version: entry.version,
        ...entry.fields,
        created_at: entry.created_at,
        actor: entry.actor,
      })),
    };
  }

  @MessagePattern(ContentRpc.restore('memory'))
  async restore(@Payload() command: RestoreCommand): Promise<MemoryView> {
    const id = await this.engine.locate(command.actor.account_id, toLocator(command.locator));
    return this.engine.restore(id, command.version, eventMeta(command.actor));
  }
}
