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
  CreateMemoryDto,
  ListMemoriesQuery,
  VersionsQuery,
  type MemoryView,
  type Page,
  UpdateMemoryDto,
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

@ApiTags('memories')
@Controller('api/v1/memories')
export class MemoriesController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly reads: ContentReads,
    @Inject(TRUSTED_PROXIES) private readonly trusted: BlockList,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List memories (project, status, search, labels, metadata filter; sort_by created_at|updated_at)',
  })
  async list(@Query() query: ListMemoriesQuery, @Req() request: Request) {
    const page = await this.rpc.request<Page<MemoryView>>(ContentRpc.list('memory'), {
      actor: contentActor(request, this.trusted),
      query,
    });
    return listEnvelope('memories', page);
  }

  @Post()
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiOperation({ summary: 'Create a memory' })
  create(@Body() body: CreateMemoryDto, @Req() request: Request): Promise<MemoryView> {
    return this.rpc.request(ContentRpc.create('memory'), {
      actor: contentActor(request, this.trusted),
      body,
      ...idempotencyKeyOf(request),
    });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One memory' })
  get(@Param('id', MaskedIdPipe) id: string, @Req() request: Request): Promise<MemoryView> {
    return this.reads.get('memory', { id }, contentActor(request, this.trusted));
  }

  @Put(':id')
  @ApiOperation({ summary: 'Change a memory (partial; expected_version guards against lost updates)' })
  update(
    @Param('id', MaskedIdPipe) id: string,
    @Body() body: UpdateMemoryDto,
    @Req() request: Request,
  ): Promise<MemoryView> {
    return this.reads.change('memory', { id }, () =>
      this.rpc.request(ContentRpc.update('memory'), {
        actor: contentActor(request, this.trusted),
        locator: { id },
        body,
      }),
    );
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a memory' })
  async remove(
    @NoBody() _none: undefined,
    @Param('id', MaskedIdPipe) id: string,
    @Req() request: Request,
  ): Promise<void> {
    await this.reads.change('memory', { id }, () =>
      this.rpc.request(ContentRpc.remove('memory'), {
        actor: contentActor(request, this.trusted),
        locator: { id },
      }),
    );
  }

  @Get(':id/versions')
  @ApiOperation({
    summary:
      'The versions of a memory, oldest first (or newest, sort_order=desc), a page at a time (a deleted one too, by id)',
  })
  versions(
    @Param('id', MaskedIdPipe) id: string,
    @Query() query: VersionsQuery,
    @Req() request: Request,
  ): Promise<{ versions: unknown[] }> {
    return this.rpc.request(ContentRpc.versions('memory'), {
      actor: contentActor(request, this.trusted),
      locator: { id },
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
  ): Promise<MemoryView> {
    return this.reads.change('memory', { id }, () =>
      this.rpc.request(ContentRpc.restore('memory'), {
        actor: contentActor(request, this.trusted),
        locator: { id },
        version: parseVersionNumber(n),
      }),
    );
  }
}
