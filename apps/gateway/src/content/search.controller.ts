import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { BlockList } from 'node:net';
import type { Request } from 'express';
import { ContentRpc, SearchQuery, type SearchResult } from '#contracts';
import { TRUSTED_PROXIES } from '../http/request-meta';
import { RpcClient } from '../rpc/rpc-client';
import { contentActor } from './content-actor';

@ApiTags('search')
@Controller('api/v1/search')
export class SearchController {
  constructor(
    private readonly rpc: RpcClient,
    @Inject(TRUSTED_PROXIES) private readonly trusted: BlockList,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Ranked full-text search over prompts, artifacts and memories' })
  search(@Query() query: SearchQuery, @Req() request: Request): Promise<{ results: SearchResult[] }> {
    // What content-service searches by: the checks of page and sort_by are the gateway's alone.
    const { q, types, limit } = query;
    return this.rpc.request(ContentRpc.search, {
      actor: contentActor(request, this.trusted),
      query: { q, limit, ...(types ? { types } : {}) },
    });
  }
}
