import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sessions of the IDE hook endpoints (PRODUCT.md §10): a projection of the `hook.received` events,
 * one row per account, tool and session id.
 */
export class CreateAiToolSessions1764230000000 implements MigrationInterface {
  name = 'CreateAiToolSessions1764230000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ai_tool_sessions (
        account_id uuid NOT NULL,
        tool text NOT NULL,
        session_id text NOT NULL,
        first_seen timestamptz NOT NULL,
        last_seen timestamptz NOT NULL,
        hook_count integer NOT NULL,
        tools_used text[] NOT NULL DEFAULT '{}',
        cwd text,
        last_hook_event text NOT NULL,
        PRIMARY KEY (account_id, tool, session_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX ai_tool_sessions_recent ON ai_tool_sessions (account_id, tool, last_seen DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ai_tool_sessions`);
  }
}
