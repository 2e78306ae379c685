import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The audit ingest looks a key's display prefix up by its id, for events that name only the key id. */
export class AuditKeyPrefixesByKey1764260000000 implements MigrationInterface {
  name = 'AuditKeyPrefixesByKey1764260000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX audit_key_prefixes_key_id ON audit_key_prefixes (key_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX audit_key_prefixes_key_id`);
  }
}
