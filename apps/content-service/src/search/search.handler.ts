import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Type } from 'class-transformer';
import { ValidateNested } from 'class-validator';
import { ContentRpc, SEARCH_TYPES, SearchQuery, type SearchResult } from '#contracts';
import { prefixTsQuery } from '../shared/content-query';
import { ActorDto } from '../shared/content-rpc.dto';
import { ContentStore } from '../shared/content-store';

class SearchCommand {
  @ValidateNested()
  @Type(() => ActorDto)
  actor: ActorDto;

  @ValidateNested()
  @Type(() => SearchQuery)
  query: SearchQuery;
}

/**
 * Excerpts: a long text gives up to two fragments around its matches; a short one is shown whole, because the
 * fragment mode drops the words before a match and the punctuation after the last word ("Hello {{name}}" became
 * "**Hello** {{name").
 */
const HEADLINE_FRAGMENTS = `'StartSel=**,StopSel=**,MaxWords=30,MinWords=10,MaxFragments=2,FragmentDelimiter=" … "'`;
const HEADLINE_WHOLE = `'StartSel=**,StopSel=**,MaxWords=30,MinWords=10'`;
const SHORT_TEXT_CHARS = 200;

/** Per kind: what is its title and which text the excerpt comes from (bounded: ts_headline re-parses it). */
const SOURCES = {
  prompts: {
    table: 'prompts',
    title: 'name',
    slug: 'slug',
    project: 'NULL',
    text: `left(description || ' ' || body, 20000)`,
  },
  artifacts: {
    table: 'artifacts',
    title: 'title',
    slug: 'slug',
    project: 'project',
    text: `left(description || ' ' || content, 20000)`,
  },
  memories: {
    table: 'memories',
    title: `coalesce(title, left(text, 80))`,
    slug: 'NULL',
    project: 'project',
    text: 'left(text, 20000)',
  },
} as const;

/**
 * The score: the name or title's matches (weight A, 1 each), plus the rest's (a description or a memory's text
 * 0.05 each, a body or content 0.02) held under 1, so that an item named by the words always comes before one
 * whose text repeats them however often (PostgreSQL's default weights let eight mentions in a body outrank a title).
 */
const SCORE = `ts_rank_cd('{0, 0, 0, 1}', search, query) + least(ts_rank_cd('{0.01, 0.02, 0.05, 0}', search, query), 0.99)`;

/** `GET /api/v1/search` (PRODUCT.md §6): one ranked list over the account's prompts, artifacts and memories. */
@Controller()
export class SearchHandler {
  constructor(private readonly store: ContentStore) {}

  @MessagePattern(ContentRpc.search)
  async search(@Payload() command: SearchCommand): Promise<{ results: SearchResult[] }> {
    const tsquery = prefixTsQuery(command.query.q);
    if (!tsquery) return { results: [] };
    const types = command.query.types?.length ? command.query.types : SEARCH_TYPES;
    const selects = types.map((type) => {
      const source = SOURCES[type];
      return `SELECT '${type}' AS type, id, ${source.title} AS title, ${source.slug} AS slug, ${source.project} AS project,
                     ts_headline('english', excerpt_source.excerpt_text, query,
                                 CASE WHEN char_length(excerpt_source.excerpt_text) <= ${SHORT_TEXT_CHARS}
                                      THEN ${HEADLINE_WHOLE} ELSE ${HEADLINE_FRAGMENTS} END) AS excerpt,
                     ${SCORE} AS score, updated_at
                FROM ${source.table} CROSS JOIN LATERAL (SELECT trim(${source.text}) AS excerpt_text) AS excerpt_source,
                     to_tsquery('english', $2) AS query
               WHERE account_id = $1 AND search @@ query`;
    });
    const rows = (await this.store.dataSource.query(
      `${selects.join(' UNION ALL ')} ORDER BY score DESC, updated_at DESC LIMIT $3`,
      [command.actor.account_id, tsquery, command.query.limit],
    )) as {
      type: SearchResult['type'];
      id: string;
      title: string;
      slug: string | null;
      project: string | null;
      excerpt: string;
      score: number;
      updated_at: Date;
    }[];
    return {
      results: rows.map((row) => ({
        type: row.type,
        id: row.id,
        title: row.title,
        ...(row.slug ? { slug: row.slug } : {}),
        ...(row.project ? { project: row.project } : {}),
        excerpt: row.excerpt,
        score: Number(Number(row.score).toFixed(6)),
        updated_at: row.updated_at.toISOString(),
      })),
    };
  }
}
