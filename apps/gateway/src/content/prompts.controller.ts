import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { BlockList } from 'node:net';
import type { Request } from 'express';
import {
  ContentRpc,
  CreatePromptDto,
  ListPromptsQuery,
  VersionsQuery,
  type Page,
  type PromptView,
  RenderPromptDto,
  type RenderResult,
  UpdatePromptDto,
  isUuid,
} from '#contracts';
import { TRUSTED_PROXIES } from '../http/request-meta';
import { RpcClient } from '../rpc/rpc-client';
import { ContentReads } from './content-reads';
import { IDEMPOTENCY_KEY_HEADER, idempotencyKeyOf } from './idempotency-key';
import { contentActor } from './content-actor';
import { listEnvelope } from '../http/list-envelope';
import { parseVersionNumber } from './version-number';
import { NoBody } from '../http/no-body';
import { MaskedIdPipe } from './masked-id.pipe';

/** `{id}` is the prompt's id or its slug (PRODUCT.md §5.1). */
const locator = (idOrSlug: string): { id: string } | { slug: string } =>
  isUuid(idOrSlug) ? { id: idOrSlug } : { slug: idOrSlug };

@ApiTags('prompts')
@Controller('api/v1/prompts')
export class PromptsController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly reads: ContentReads,
    @Inject(TRUSTED_PROXIES) private readonly trusted: BlockList,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List prompts (search, status, labels; sort_by name|created_at|updated_at)' })
  async list(@Query() query: ListPromptsQuery, @Req() request: Request) {
    const page = await this.rpc.request<Page<PromptView>>(ContentRpc.list('prompt'), {
      actor: contentActor(request, this.trusted),
      query,
    });
    return listEnvelope('prompts', page);
  }

  @Post()
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiOperation({ summary: 'Create a prompt (slug derived from the name when omitted)' })
  create(@Body() body: CreatePromptDto, @Req() request: Request): Promise<PromptView> {
    return this.rpc.request(ContentRpc.create('prompt'), {
      actor: contentActor(request, this.trusted),
      body,
      ...idempotencyKeyOf(request),
    });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One prompt, by id or slug' })
  get(@Param('id', MaskedIdPipe) id: string, @Req() request: Request): Promise<PromptView> {
    return this.reads.get('prompt', locator(id), contentActor(request, this.trusted));
  }

  @Put(':id')
  @ApiOperation({ summary: 'Change a prompt (partial; expected_version guards against lost updates)' })
  update(
    @Param('id', MaskedIdPipe) id: string,
    @Body() body: UpdatePromptDto,
    @Req() request: Request,
  ): Promise<PromptView> {
    return this.reads.change('prompt', locator(id), () =>
      this.rpc.request(ContentRpc.update('prompt'), {
        actor: contentActor(request, this.trusted),
        locator: locator(id),
        body,
      }),
    );
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a prompt (409 while other prompts reference it)' })
  async remove(
    @NoBody() _none: undefined,
    @Param('id', MaskedIdPipe) id: string,
    @Req() request: Request,
  ): Promise<void> {
    await this.reads.change('prompt', locator(id), () =>
      this.rpc.request(ContentRpc.remove('prompt'), {
        actor: contentActor(request, this.trusted),
        locator: locator(id),
      }),
    );
  }

  @Get(':id/placeholders')
  @ApiOperation({ summary: 'The {{placeholders}} of a prompt, through its @references' })
  placeholders(@Param('id', MaskedIdPipe) id: string, @Req() request: Request): Promise<{ placeholders: string[] }> {
    return this.rpc.request(ContentRpc.placeholders, {
      actor: contentActor(request, this.trusted),
      locator: locator(id),
    });
  }

  @Post(':id/render')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Render a prompt with placeholder values' })
  render(
    @Param('id', MaskedIdPipe) id: string,
    @Body() body: RenderPromptDto,
    @Req() request: Request,
  ): Promise<RenderResult> {
    return this.rpc.request(ContentRpc.render, {
      actor: contentActor(request, this.trusted),
      locator: locator(id),
      body,
    });
  }

  @Get(':id/versions')
  @ApiOperation({
    summary:
      'The versions of a prompt, oldest first (or newest, sort_order=desc), a page at a time (a deleted one too, by id)',
  })
  versions(
    @Param('id', MaskedIdPipe) id: string,
    @Query() query: VersionsQuery,
    @Req() request: Request,
  ): Promise<{ versions: unknown[] }> {
    return this.rpc.request(ContentRpc.versions('prompt'), {
      actor: contentActor(request, this.trusted),
      locator: locator(id),
      query,
    });
  }

  @Post(':id/versions/:n/restore')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Restore version n (a new version with its content); on a deleted one (by id) it comes back',
  })
  restore(
    @NoBody() _none: undefined,
    @Param('id', MaskedIdPipe) id: string,
    @Param('n') n: string,
    @Req() request: Request,
  ): Promise<PromptView> {
    return this.reads.change('prompt', locator(id), () =>
      this.rpc.request(ContentRpc.restore('prompt'), {
        actor: contentActor(request, this.trusted),
        locator: locator(id),
        version: parseVersionNumber(n),
      }),
    );
  }
}
