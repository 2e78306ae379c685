import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Type } from 'class-transformer';
import { ValidateNested } from 'class-validator';
import {
  ContentRpc,
  CreatePromptDto,
  DomainError,
  ListPromptsQuery,
  type Page,
  type PromptView,
  RenderPromptDto,
  type RenderResult,
  RpcErrorCode,
  UpdatePromptDto,
  slugify,
} from '#contracts';
import { ContentEngine } from '../shared/content-engine';
import { ContentHandlers, createCommand, listCommand } from '../shared/content-handler';
import { Conditions, addLabelAndSearchFilters, createWithSlug, freeSlug, pageOf } from '../shared/content-query';
import { Addressed, RestoreCommand, eventMeta, toLocator } from '../shared/content-rpc.dto';
import { ContentStore } from '../shared/content-store';
import { idempotencyClaim } from '../shared/idempotency';
import { PROMPT_SPEC, type PromptFields } from './prompt.kind';
import { MAX_REFERENCE_DEPTH, type RenderOutcome, placeholdersOf, referencedSlugs, render } from './template';

class CreatePromptCommand extends createCommand(CreatePromptDto) {
  declare body: CreatePromptDto;
}

class ListPromptsCommand extends listCommand(ListPromptsQuery) {
  declare query: ListPromptsQuery;
}

const { Handlers, UpdateCommand } = ContentHandlers<PromptFields, PromptView>('prompt', UpdatePromptDto);

/** A class (not a type) so that the validation pipe knows what to check the payload against. */
class UpdatePromptCommand extends UpdateCommand {}

class RenderPromptCommand extends Addressed {
  @ValidateNested()
  @Type(() => RenderPromptDto)
  body: RenderPromptDto;
}

const SORT = { name: 'lower(name)', created_at: 'created_at', updated_at: 'updated_at' } as const;

/** Prompts (PRODUCT.md §5.1): the shared content commands plus slugs, references and templates. */
@Controller()
export class PromptsHandler extends Handlers {
  protected readonly engine: ContentEngine<PromptFields, PromptView>;

  constructor(private readonly store: ContentStore) {
    super();
    this.engine = new ContentEngine(PROMPT_SPEC, store);
  }

  @MessagePattern(ContentRpc.create('prompt'))
  async create(@Payload() command: CreatePromptCommand): Promise<PromptView> {
    const { body, actor } = command;
    const pick = (skip: number) =>
      freeSlug(this.store.dataSource, 'prompts', new Conditions(actor.account_id), slugify(body.name, 'prompt'), skip);
    // Computed once: every slug attempt carries the same claim.
    const claim = idempotencyClaim(command.idempotency_key, command.body);
    return createWithSlug(body.slug, pick, (slug) =>
      this.engine.create(
        {
          slug,
          name: body.name,
          description: body.description ?? '',
          body: body.body,
          status: body.status ?? 'draft',
          labels: body.labels ?? [],
          mcp_expose: body.mcp_expose ?? true,
        },
        eventMeta(actor),
        claim,
      ),
    );
  }

  @MessagePattern(ContentRpc.list('prompt'))
  list(@Payload() command: ListPromptsCommand): Promise<Page<PromptView>> {
    const { query } = command;
    const conditions = new Conditions(command.actor.account_id);
    if (query.status) conditions.add('status = ?', query.status);
    if (query.mcp_expose !== undefined) conditions.add('mcp_expose = ?', query.mcp_expose);
    addLabelAndSearchFilters(conditions, query);
    return pageOf(
      this.store.dataSource,
      'prompts',
      PROMPT_SPEC.columns,
      conditions,
      SORT[query.sort_by],
      query,
      PROMPT_SPEC.toView,
    );
  }

  /** As for every kind, but a slug that other prompts reference cannot change. */
  @MessagePattern(ContentRpc.update('prompt'))
  override async update(@Payload() command: UpdatePromptCommand): Promise<PromptView> {
    const accountId = command.actor.account_id;
    const id = await this.engine.locate(accountId, toLocator(command.locator));
    const { expected_version, ...changes } = command.body;
    if (changes.slug !== undefined) {
      const current = await this.engine.view(id);
      if (current.slug !== changes.slug) await this.refuseIfReferenced(accountId, id, current.slug, 'renamed');
    }
    return this.engine.update(id, changes as Partial<PromptFields>, expected_version, eventMeta(command.actor));
  }

  /** As for every kind, but refused while other prompts reference this one. */
  @MessagePattern(ContentRpc.remove('prompt'))
  override async remove(@Payload() command: Addressed): Promise<{ deleted: true; id: string }> {
    const accountId = command.actor.account_id;
    const id = await this.engine.locate(accountId, toLocator(command.locator));
    await this.refuseIfReferenced(accountId, id, (await this.engine.view(id)).slug, 'deleted');
    await this.engine.remove(id, eventMeta(command.actor));
    return { deleted: true, id };
  }

  /**
   * As for every kind, but a version with another slug cannot come back while other prompts reference the
   * current one (it would rename it). A deleted prompt has no current slug to keep.
   */
  @MessagePattern(ContentRpc.restore('prompt'))
  override async restore(@Payload() command: RestoreCommand): Promise<PromptView> {
    const accountId = command.actor.account_id;
    const id = await this.engine.locate(accountId, toLocator(command.locator), { deleted: 'included' });
    return this.engine.restore(id, command.version, eventMeta(command.actor), async (current, restored) => {
      if (current && restored.slug !== current.slug)
        await this.refuseIfReferenced(accountId, id, current.slug, 'renamed');
    });
  }

  @MessagePattern(ContentRpc.placeholders)
  async placeholders(@Payload() command: Addressed): Promise<{ placeholders: string[] }> {
    const accountId = command.actor.account_id;
    const root = await this.engine.find(accountId, toLocator(command.locator));
    return { placeholders: placeholdersOf(root.slug, await this.reachableBodies(accountId, root)) };
  }

  @MessagePattern(ContentRpc.render)
  async render(@Payload() command: RenderPromptCommand): Promise<RenderResult> {
    const outcome = await this.renderFor(command, command.body.placeholders ?? {});
    return {
      rendered_body: outcome.rendered_body,
      placeholders_missing: outcome.placeholders_missing,
      references_used: outcome.references_used,
      warnings: outcome.warnings,
    };
  }

  private async renderFor(command: Addressed, values: Record<string, string>): Promise<RenderOutcome> {
    const accountId = command.actor.account_id;
    const root = await this.engine.find(accountId, toLocator(command.locator));
    return render(root.slug, await this.reachableBodies(accountId, root), values);
  }

  /** The bodies of every prompt reachable from `root` by references, level by level (bounded). */
  private async reachableBodies(accountId: string, root: PromptView): Promise<Map<string, string>> {
    const bodies = new Map([[root.slug, root.body]]);
    let frontier = referencedSlugs(root.body);
    for (let depth = 0; frontier.length > 0 && depth <= MAX_REFERENCE_DEPTH + 1; depth += 1) {
      const wanted = frontier.filter((slug) => !bodies.has(slug));
      if (wanted.length === 0) break;
      const rows = (await this.store.dataSource.query(
        `SELECT slug, body FROM prompts WHERE account_id = $1 AND slug = ANY($2::text[])`,
        [accountId, wanted],
      )) as { slug: string; body: string }[];
      for (const row of rows) bodies.set(row.slug, row.body);
      frontier = rows.flatMap((row) => referencedSlugs(row.body));
    }
    return bodies;
  }

  private async refuseIfReferenced(
    accountId: string,
    id: string,
    slug: string,
    action: 'deleted' | 'renamed',
  ): Promise<void> {
    const rows = (await this.store.dataSource.query(
      `SELECT p.slug FROM prompt_references r JOIN prompts p ON p.id = r.prompt_id
        WHERE r.account_id = $1 AND r.slug = $2 AND r.prompt_id <> $3 ORDER BY p.slug LIMIT 5`,
      [accountId, slug, id],
    )) as { slug: string }[];
    if (rows.length > 0) {
      throw new DomainError(
        RpcErrorCode.ResourceInUse,
        `the prompt cannot be ${action}: ${rows.map((r) => `@${r.slug}`).join(', ')} reference${rows.length === 1 ? 's' : ''} @${slug}`,
      );
    }
  }

  /** `name` → `name`, or `name-2`, `name-3`… when taken (only for slugs derived from the name). */
}
