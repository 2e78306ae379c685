import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Post, Put, Query, Req } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { BlockList } from 'node:net';
import type { Request } from 'express';
import {
  type ArtifactView,
  ContentRpc,
  CreateArtifactDto,
  ListArtifactsQuery,
  VersionsQuery,
  type Page,
  RpcErrorCode,
  UpdateArtifactDto,
} from '#contracts';
import { ProblemError } from '#common';
import { TRUSTED_PROXIES } from '../http/request-meta';
import { RpcCallError, RpcClient } from '../rpc/rpc-client';
import { type ArtifactPath, artifactReadings } from './artifact-path';
import { IDEMPOTENCY_KEY_HEADER, idempotencyKeyOf } from './idempotency-key';
import { contentActor } from './content-actor';
import { listEnvelope } from '../http/list-envelope';
import { parseVersionNumber } from './version-number';
import { NoBody } from '../http/no-body';
import { HttpValidationPipe } from '../http/validation.pipe';

const PREFIX = '/api/v1/artifacts/';
const notFound = (): ProblemError =>
  new ProblemError(HttpStatus.NOT_FOUND, 'RESOURCE_NOT_FOUND', 'no artifact here has this project and slug');

/**
 * The readings of the raw (undecoded) path that `actions` allow, in order (`%2F` and `/` in a project mean the
 * same); 404 when there are none.
 */
function readingsOf(request: Request, ...actions: ArtifactPath['action'][]): ArtifactPath[] {
  const raw = request.originalUrl.split('?')[0];
  const readings = raw.startsWith(PREFIX) ? artifactReadings(raw.slice(PREFIX.length)) : [];
  const allowed = readings.filter((reading) => actions.includes(reading.action));
  if (allowed.length === 0) throw notFound();
  return allowed;
}

const isNotFound = (error: unknown): boolean =>
  error instanceof RpcCallError && error.body.code === RpcErrorCode.ResourceNotFound;

@ApiTags('artifacts')
@Controller('api/v1/artifacts')
export class ArtifactsController {
  /** Validates the query of a versions reading, which the wildcard route cannot declare for the artifact read. */
  private readonly validation = new HttpValidationPipe();

  constructor(
    private readonly rpc: RpcClient,
    @Inject(TRUSTED_PROXIES) private readonly trusted: BlockList,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List artifacts (project, type, status, search, labels; sort_by created_at|updated_at|title)',
  })
  async list(@Query() query: ListArtifactsQuery, @Req() request: Request) {
    const page = await this.rpc.request<Page<ArtifactView>>(ContentRpc.list('artifact'), {
      actor: contentActor(request, this.trusted),
      query,
    });
    return listEnvelope('artifacts', page);
  }

  @Post()
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiOperation({ summary: 'Create an artifact (slug derived from the title when omitted)' })
  create(@Body() body: CreateArtifactDto, @Req() request: Request): Promise<ArtifactView> {
    return this.rpc.request(ContentRpc.create('artifact'), {
      actor: contentActor(request, this.trusted),
      body,
      ...idempotencyKeyOf(request),
    });
  }

  @Get('*path')
  @ApiOperation({
    summary:
      'GET /{project}/{slug} (the project may contain "/"), or /{project}/{slug}/versions (or /{id}/versions, a deleted one too): its versions, oldest first (or newest, sort_order=desc), a page at a time',
  })
  @ApiQuery({ name: 'page', required: false, type: Number, description: 'of …/versions (1-based)' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: 'of …/versions (1 to 100, default 20)' })
  @ApiQuery({ name: 'sort_order', required: false, enum: ['asc', 'desc'], description: 'of …/versions (default asc)' })
  async get(@Req() request: Request): Promise<ArtifactView | { versions: unknown[] }> {
    const actor = contentActor(request, this.trusted);
    const readings = readingsOf(request, 'resource', 'versions');
    // The page of a versions reading only: a plain artifact read takes no query, whatever it carries.
    const query = readings.some((path) => path.action === 'versions')
      ? ((await this.validation.transform(request.query, { type: 'query', metatype: VersionsQuery })) as VersionsQuery)
      : undefined;
    // `a/b/versions`: the versions of `a/b`, or else the artifact `versions` of project `a/b`.
    for (const [index, path] of readings.entries()) {
      const versions = path.action === 'versions';
      try {
        return await this.rpc.request(
          versions ? ContentRpc.versions('artifact') : ContentRpc.get('artifact'),
          versions ? { actor, locator: path.locator, query } : { actor, locator: path.locator },
        );
      } catch (error) {
        if (index === readings.length - 1 || !isNotFound(error)) throw error;
      }
    }
    throw notFound();
  }

  @Put('*path')
  @ApiOperation({ summary: 'Change an artifact (partial; expected_version guards against lost updates)' })
  update(@Body() body: UpdateArtifactDto, @Req() request: Request): Promise<ArtifactView> {
    const [path] = readingsOf(request, 'resource');
    return this.rpc.request(ContentRpc.update('artifact'), {
      actor: contentActor(request, this.trusted),
      locator: path.locator,
      body,
    });
  }

  @Delete('*path')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete an artifact' })
  async remove(@NoBody() _none: undefined, @Req() request: Request): Promise<void> {
    const [path] = readingsOf(request, 'resource');
    await this.rpc.request(ContentRpc.remove('artifact'), {
      actor: contentActor(request, this.trusted),
      locator: path.locator,
    });
  }

  @Post('*path')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'POST /{project}/{slug}/versions/{n}/restore (or /{id}/…: on a deleted artifact it comes back)',
  })
  restore(@NoBody() _none: undefined, @Req() request: Request): Promise<ArtifactView> {
    const [path] = readingsOf(request, 'restore');
    if (path.action !== 'restore') throw notFound();
    return this.rpc.request(ContentRpc.restore('artifact'), {
      actor: contentActor(request, this.trusted),
      locator: path.locator,
      version: parseVersionNumber(path.version),
    });
  }
}
