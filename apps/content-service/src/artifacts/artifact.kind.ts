import type { ArtifactView } from '#contracts';
import type { ContentKindSpec } from '../shared/content-engine';
import type { ContentTableSpec } from '../shared/content-projection';

export interface ArtifactFields extends Record<string, unknown> {
  project: string;
  slug: string;
  title: string;
  description: string;
  content: string;
  type: ArtifactView['type'];
  status: ArtifactView['status'];
  labels: string[];
  metadata: Record<string, unknown>;
}

export const ARTIFACTS_TABLE: ContentTableSpec = {
  kind: 'artifact',
  table: 'artifacts',
  columns: ['project', 'slug', 'title', 'description', 'content', 'type', 'status', 'labels', 'metadata'],
};

export const ARTIFACT_SPEC: ContentKindSpec<ArtifactView> = {
  ...ARTIFACTS_TABLE,
  label: 'artifact',
  toView: (row) => ({
    id: row.id as string,
    project: row.project as string,
    slug: row.slug as string,
    title: row.title as string,
    description: row.description as string,
    content: row.content as string,
    type: row.type as ArtifactView['type'],
    status: row.status as ArtifactView['status'],
    labels: row.labels as string[],
    metadata: row.metadata as Record<string, unknown>,
    version: row.version as number,
    created_at: (row.created_at as Date).toISOString(),
    updated_at: (row.updated_at as Date).toISOString(),
  }),
};
