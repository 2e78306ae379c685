import type { EntityManager } from 'typeorm';
import type { PromptView } from '#contracts';
import type { ContentKindSpec } from '../shared/content-engine';
import type { ContentTableSpec } from '../shared/content-projection';
import { referencedSlugs } from './template';

export interface PromptFields extends Record<string, unknown> {
  slug: string;
  name: string;
  description: string;
  body: string;
  status: 'draft' | 'published';
  labels: string[];
  mcp_expose: boolean;
}

const iso = (value: unknown): string => (value as Date).toISOString();

/** Keeps `prompt_references` equal to what the prompt's body references (for the delete check). */
async function syncReferences(id: string, accountId: string, manager: EntityManager): Promise<void> {
  await manager.query(`DELETE FROM prompt_references WHERE prompt_id = $1`, [id]);
  const [row] = (await manager.query(`SELECT body FROM prompts WHERE id = $1`, [id])) as { body: string }[];
  if (!row) return;
  const slugs = referencedSlugs(row.body);
  if (slugs.length > 0) {
    await manager.query(
      `INSERT INTO prompt_references (account_id, prompt_id, slug) SELECT $1, $2, unnest($3::text[])`,
      [accountId, id, slugs],
    );
  }
}

export const PROMPTS_TABLE: ContentTableSpec = {
  kind: 'prompt',
  table: 'prompts',
  columns: ['slug', 'name', 'description', 'body', 'status', 'labels', 'mcp_expose'],
  afterChange: syncReferences,
};

export const PROMPT_SPEC: ContentKindSpec<PromptView> = {
  ...PROMPTS_TABLE,
  label: 'prompt',
  toView: (row) => ({
    id: row.id as string,
    slug: row.slug as string,
    name: row.name as string,
    description: row.description as string,
    body: row.body as string,
    status: row.status as PromptView['status'],
    labels: row.labels as string[],
    mcp_expose: row.mcp_expose as boolean,
    version: row.version as number,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  }),
};
