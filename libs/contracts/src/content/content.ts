import type { RequestMeta } from '../keys';

/** Content kinds and what crosses NATS for them (PRODUCT.md §5, §6). */
export const CONTENT_KINDS = ['prompt', 'artifact', 'memory'] as const;
export type ContentKind = (typeof CONTENT_KINDS)[number];

/**
 * Who acts: the account always, the key when the request came with one, the OAuth app when it came through
 * the MCP endpoint (for versions' `actor`).
 */
export interface ContentActor {
  account_id: string;
  key_id?: string;
  client_id?: string;
  meta: RequestMeta;
}

export interface Actor {
  type: 'api_key' | 'oauth_app' | 'session';
  key_id?: string;
  client_id?: string;
}

export interface PromptView {
  id: string;
  slug: string;
  name: string;
  description: string;
  body: string;
  status: 'draft' | 'published';
  labels: string[];
  mcp_expose: boolean;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface ArtifactView {
  id: string;
  project: string;
  slug: string;
  title: string;
  description: string;
  content: string;
  type: 'work_reports' | 'static_contexts' | 'general';
  status: 'active' | 'draft' | 'archived';
  labels: string[];
  metadata: Record<string, unknown>;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface MemoryView {
  id: string;
  text: string;
  title: string | null;
  project: string | null;
  status: 'active' | 'draft' | 'archived';
  labels: string[];
  metadata: Record<string, unknown>;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface RenderResult {
  rendered_body: string;
  placeholders_missing: string[];
  references_used: string[];
  warnings: string[];
}

export interface SearchResult {
  type: 'prompts' | 'artifacts' | 'memories';
  id: string;
  title: string;
  slug?: string;
  project?: string;
  excerpt: string;
  score: number;
  updated_at: string;
}

/**
 * Core NATS subject on which content-service announces, after the commit and before it answers, that a
 * resource changed (updated, deleted, restored): gateways drop what they cached of it. Not JetStream: a
 * gateway that misses one is covered by its cache's maximum age and clears the cache on a reconnect.
 */
export const CONTENT_CHANGE_SUBJECT = 'content.changed';

export interface ContentChange {
  kind: ContentKind;
  id: string;
}

/** How a resource is addressed: by id, by a prompt's slug, or by an artifact's project and slug. */
export type ContentLocator = { id: string } | { slug: string } | { project: string; slug: string };

export const ContentRpc = {
  create: (kind: ContentKind) => `content.rpc.${kind}.create`,
  list: (kind: ContentKind) => `content.rpc.${kind}.list`,
  get: (kind: ContentKind) => `content.rpc.${kind}.get`,
  update: (kind: ContentKind) => `content.rpc.${kind}.update`,
  remove: (kind: ContentKind) => `content.rpc.${kind}.delete`,
  versions: (kind: ContentKind) => `content.rpc.${kind}.versions`,
  restore: (kind: ContentKind) => `content.rpc.${kind}.restore`,
  placeholders: 'content.rpc.prompt.placeholders',
  render: 'content.rpc.prompt.render',
  search: 'content.rpc.search',
} as const;
