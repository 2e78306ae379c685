import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The app filter (`client_id`) gets a column and an index of its own, as the key filter has, instead of
 * parsing `meta` and `data` of every row of the account. Only events of an OAuth app have one (its grant,
 * its MCP requests, the changes made through it), so the index is partial and `key.used` rows, nearly all
 * of the log, cost it nothing. Rows stored before are filled in once, from where the ingest reads it.
 */
export class AuditLogClientId1764310000000 implements MigrationInterface {
  name = 'AuditLogClientId1764310000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE audit_log ADD COLUMN client_id uuid`);
    // Only an app's own events (oauth*) and content changes can name one: `key.used` rows, nearly all of the
    // log, are passed over on their type and stream without parsing their JSON.
    await queryRunner.query(`
      UPDATE audit_log
         SET client_id = lower(coalesce(meta->>'client_id', data->>'client_id'))::uuid
       WHERE (event_type LIKE 'oauth%' OR source_stream = 'CONTENT')
         AND ((meta->>'client_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
           OR (event_type LIKE 'oauth%' AND meta->>'client_id' IS NULL
               AND data->>'client_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'))`);
    await queryRunner.query(
      `CREATE INDEX audit_log_account_client_time ON audit_log (account_id, client_id, occurred_at DESC, event_id DESC)
        WHERE client_id IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX audit_log_account_client_time`);
    await queryRunner.query(`ALTER TABLE audit_log DROP COLUMN client_id`);
  }
}
