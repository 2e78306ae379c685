import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  type ArtifactView,
  ContentRpc,
  CreateArtifactDto,
  ListArtifactsQuery,
  type Page,
  UpdateArtifactDto,
  slugify,
} from '#contracts';
import { ContentEngine } from '../shared/content-engine';
import { Conditions, addLabelAndSearchFilters, createWithSlug, freeSlug, pageOf } from '../shared/content-query';
import { ContentHandlers, createCommand, listCommand } from '../shared/content-handler';
import { eventMeta } from '../shared/content-rpc.dto';
import { idempotencyClaim } from '../shared/idempotency';
import { ContentStore } from '../shared/content-store';
import { ARTIFACT_SPEC, type ArtifactFields } from './artifact.kind';

class CreateArtifactCommand extends createCommand(CreateArtifactDto) {
  declare body: CreateArtifactDto;
}

class ListArtifactsCommand extends listCommand(ListArtifactsQuery) {
  declare query: ListArtifactsQuery;
}

const { Handlers } = ContentHandlers<ArtifactFields, ArtifactView>('artifact', UpdateArtifactDto);

const SORT = { title: 'lower(title)', created_at: 'created_at', updated_at: 'updated_at' } as const;

/** Artifacts (PRODUCT.md §5.2), addressed by project and slug (or id). */
@Controller()
export class ArtifactsHandler extends Handlers {
  protected readonly engine: ContentEngine<ArtifactFields, ArtifactView>;

  constructor(private readonly store: ContentStore) {
    super();
    this.engine = new ContentEngine(ARTIFACT_SPEC, store);
  }

  @MessagePattern(ContentRpc.create('artifact'))
  async create(@Payload() command: CreateArtifactCommand): Promise<ArtifactView> {
    const { body, actor } = command;
    const pick = (skip: number) =>
      freeSlug(
        this.store.dataSource,
        'artifacts',
        new Conditions(actor.account_id).add('project = ?', body.project),
        slugify(body.title, 'artifact'),
        skip,
      );
    // Computed once: every slug attempt carries the same claim.
    const claim = idempotencyClaim(command.idempotency_key, command.body);
    return createWithSlug(body.slug, pick, (slug) =>
      this.engine.create(
        {
          project: body.project,
          slug,
          title: body.title,
          description: body.description ?? '',
          content: body.content,
          type: body.type ?? 'general',
          status: body.status ?? 'active',
          labels: body.labels ?? [],
          metadata: body.metadata ?? {},
        },
        eventMeta(actor),
        claim,
      ),
    );
  }

  @MessagePattern(ContentRpc.list('artifact'))
  list(@Payload() command: ListArtifactsCommand): Promise<Page<ArtifactView>> {
    const { query } = command;
    const conditions = new Conditions(command.actor.account_id);
    if (query.project) conditions.add('project = ?', query.project);
    if (query.type) conditions.add('type = ?', query.type);
    if (query.status) conditions.add('status = ?', query.status);
    else conditions.add(`status <> 'archived'`);
    addLabelAndSearchFilters(conditions, query);
    return pageOf(
      this.store.dataSource,
      'artifacts',
      ARTIFACT_SPEC.columns,
      conditions,
      SORT[query.sort_by],
      query,
      ARTIFACT_SPEC.toView,
    );
  }
}
