import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Type } from 'class-transformer';
import { ValidateNested } from 'class-validator';
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
import { Conditions, pageOf, prefixTsQuery } from '../shared/content-query';
import { ActorDto, Addressed, RestoreCommand, eventMeta, toLocator } from '../shared/content-rpc.dto';
import { ContentStore } from '../shared/content-store';
import { ARTIFACT_SPEC, type ArtifactFields } from './artifact.kind';

class CreateArtifactCommand {
  @ValidateNested()
  @Type(() => ActorDto)
  actor: ActorDto;

  @ValidateNested()
  @Type(() => CreateArtifactDto)
  body: CreateArtifactDto;
}

class ListArtifactsCommand {
  @ValidateNested()
  @Type(() => ActorDto)
  actor: ActorDto;

  @ValidateNested()
  @Type(() => ListArtifactsQuery)
  query: ListArtifactsQuery;
}

class UpdateArtifactCommand extends Addressed {
  @ValidateNested()
  @Type(() => UpdateArtifactDto)
  body: UpdateArtifactDto;
}

const SORT = { title: 'lower(title)', created_at: 'created_at', updated_at: 'updated_at' } as const;

/** Artifacts (PRODUCT.md §5.2), addressed by project and slug (or id). */
@Controller()
export class ArtifactsHandler {
  private readonly engine: ContentEngine<ArtifactFields, ArtifactView>;

  constructor(private readonly store: ContentStore) {
    this.engine = new ContentEngine(ARTIFACT_SPEC, store);
  }

  @MessagePattern(ContentRpc.create('artifact'))
  async create(@Payload() command: CreateArtifactCommand): Promise<ArtifactView> {
    const { body, actor } = command;
    const slug = body.slug ?? (await this.freeSlug(actor.account_id, body.project, slugify(body.title, 'artifact')));
    return this.engine.create(
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
    if (query.labels?.length) conditions.add('labels && ?::text[]', query.labels);
    if (query.search !== undefined) {
      const tsquery = prefixTsQuery(query.search);
      if (!tsquery) conditions.add('false');
      else conditions.add(`search @@ to_tsquery('english', ?)`, tsquery);
    }
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

  @MessagePattern(ContentRpc.get('artifact'))
  async get(@Payload() command: Addressed): Promise<ArtifactView> {
    return this.engine.find(command.actor.account_id, toLocator(command.locator));
  }

  @MessagePattern(ContentRpc.update('artifact'))
  async update(@Payload() command: UpdateArtifactCommand): Promise<ArtifactView> {
    const id = await this.engine.locate(command.actor.account_id, toLocator(command.locator));
    const { expected_version, ...changes } = command.body;
    return this.engine.update(id, changes as Partial<ArtifactFields>, expected_version, eventMeta(command.actor));
  }

  @MessagePattern(ContentRpc.remove('artifact'))
  async remove(@Payload() command: Addressed): Promise<{ deleted: true }> {
    const id = await this.engine.locate(command.actor.account_id, toLocator(command.locator));
    await this.engine.remove(id, eventMeta(command.actor));
    return { deleted: true };
  }

  @MessagePattern(ContentRpc.versions('artifact'))
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

  @MessagePattern(ContentRpc.restore('artifact'))
  async restore(@Payload() command: RestoreCommand): Promise<ArtifactView> {
    const id = await this.engine.locate(command.actor.account_id, toLocator(command.locator));
    return this.engine.restore(id, command.version, eventMeta(command.actor));
  }

  private async freeSlug(accountId: string, project: string, base: string): Promise<string> {
    const rows = (await this.store.dataSource.query(
      `SELECT slug FROM artifacts WHERE account_id = $1 AND project = $2 AND (slug = $3 OR slug LIKE $4)`,
      [accountId, project, base, `${base}-%`],
    )) as { slug: string }[];
    const taken = new Set(rows.map((row) => row.slug));
    if (!taken.has(base)) return base;
    for (let n = 2; ; n += 1) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }
}
