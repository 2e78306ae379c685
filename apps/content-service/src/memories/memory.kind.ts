import type { MemoryView } from '#contracts';
import type { ContentKindSpec } from '../shared/content-engine';
import type { ContentTableSpec } from '../shared/content-projection';

export interface MemoryFields extends Record<string, unknown> {
  text: string;
  title: string | null;
  project: string | null;
  status: MemoryView['status'];
  labels: string[];
  metadata: Record<string, unknown>;
}

export const MEMORIES_TABLE: ContentTableSpec = {
  kind: 'memory',
  table: 'memories',
  columns: ['text', 'title', 'project', 'status', 'labels', 'metadata'],
};

export const MEMORY_SPEC: ContentKindSpec<MemoryView> = {
  ...MEMORIES_TABLE,
  label: 'memory',
  toView: (row) => ({
    id: row.id as string,
    text: row.text as string,
    title: (row.title as string | null) ?? null,
    project: (row.project as string | null) ?? null,
    status: row.status as MemoryView['status'],
    labels: row.labels as string[],
    metadata: row.metadata as Record<string, unknown>,
    version: row.version as number,
    created_at: (row.created_at as Date).toISOString(),
    updated_at: (row.updated_at as Date).toISOString(),
  }),
};
