import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
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
import { ContentHandlers, createCommand, listCommand } from '../shared/content-handler';
import { Conditions, addLabelAndSearchFilters, pageOf } from '../shared/content-query';
import { eventMeta } from '../shared/content-rpc.dto';
import { idempotencyClaim } from '../shared/idempotency';
import { ContentStore } from '../shared/content-store';
import { MEMORY_SPEC, type MemoryFields } from './memory.kind';

class CreateMemoryCommand extends createCommand(CreateMemoryDto) {
  declare body: CreateMemoryDto;
}

class ListMemoriesCommand extends listCommand(ListMemoriesQuery) {
  declare query: ListMemoriesQuery;
}

const { Handlers } = ContentHandlers<MemoryFields, MemoryView>('memory', UpdateMemoryDto);

const SORT = { created_at: 'created_at', updated_at: 'updated_at' } as const;

/** Memories (PRODUCT.md §5.3), addressed by id. */
@Controller()
export class MemoriesHandler extends Handlers {
  protected readonly engine: ContentEngine<MemoryFields, MemoryView>;

  constructor(private readonly store: ContentStore) {
    super();
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
      idempotencyClaim(command.idempotency_key, command.body),
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
    addLabelAndSearchFilters(conditions, query);
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
}
