import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read models of content-service, projections of the prompt.*, artifact.* and memory.* events.
 * Each has a generated tsvector for full-text search (name/title weighted over text) with a GIN index.
 */
export class CreateContentSchema1764160000000 implements MigrationInterface {
  name = 'CreateContentSchema1764160000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE prompts (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        slug text NOT NULL,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        body text NOT NULL,
        status text NOT NULL,
        labels text[] NOT NULL DEFAULT '{}',
        mcp_expose boolean NOT NULL,
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        search tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('english', name), 'A') ||
          setweight(to_tsvector('english', description), 'B') ||
          setweight(to_tsvector('english', left(body, 200000)), 'C')) STORED,
        CONSTRAINT prompts_account_slug UNIQUE (account_id, slug)
      )`);
    await queryRunner.query(`CREATE INDEX prompts_search ON prompts USING gin (search)`);
    await queryRunner.query(`CREATE INDEX prompts_labels ON prompts USING gin (labels)`);
    await queryRunner.query(`CREATE INDEX prompts_account_updated ON prompts (account_id, updated_at DESC)`);
    await queryRunner.query(`
      CREATE TABLE prompt_references (
        account_id uuid NOT NULL,
        prompt_id uuid NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
        slug text NOT NULL,
        PRIMARY KEY (prompt_id, slug)
      )`);
    await queryRunner.query(`CREATE INDEX prompt_references_target ON prompt_references (account_id, slug)`);
    await queryRunner.query(`
      CREATE TABLE artifacts (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        project text NOT NULL,
        slug text NOT NULL,
        title text NOT NULL,
        description text NOT NULL DEFAULT '',
        content text NOT NULL,
        type text NOT NULL,
        status text NOT NULL,
        labels text[] NOT NULL DEFAULT '{}',
        metadata jsonb NOT NULL DEFAULT '{}',
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        search tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('english', title), 'A') ||
          setweight(to_tsvector('english', description), 'B') ||
          setweight(to_tsvector('english', left(content, 200000)), 'C')) STORED,
        CONSTRAINT artifacts_account_project_slug UNIQUE (account_id, project, slug)
      )`);
    await queryRunner.query(`CREATE INDEX artifacts_search ON artifacts USING gin (search)`);
    await queryRunner.query(`CREATE INDEX artifacts_labels ON artifacts USING gin (labels)`);
    await queryRunner.query(`CREATE INDEX artifacts_account_updated ON artifacts (account_id, updated_at DESC)`);
    await queryRunner.query(`
      CREATE TABLE memories (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        title text,
        text text NOT NULL,
        project text,
        status text NOT NULL,
        labels text[] NOT NULL DEFAULT '{}',
        metadata jsonb NOT NULL DEFAULT '{}',
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        search tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
          setweight(to_tsvector('english', text), 'B')) STORED
      )`);
    await queryRunner.query(`CREATE INDEX memories_search ON memories USING gin (search)`);
    await queryRunner.query(`CREATE INDEX memories_labels ON memories USING gin (labels)`);
    await queryRunner.query(`CREATE INDEX memories_metadata ON memories USING gin (metadata jsonb_path_ops)`);
    await queryRunner.query(`CREATE INDEX memories_account_updated ON memories (account_id, updated_at DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE memories, artifacts, prompt_references, prompts`);
  }
}
