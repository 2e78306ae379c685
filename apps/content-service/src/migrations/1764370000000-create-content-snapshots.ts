import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The state of a content resource at every SNAPSHOT_INTERVAL-th version, so that deciding a change or listing
 * versions folds a few events instead of the whole history (an artifact of 1 MiB updated a thousand times).
 * A cache of the events' fold: rows can be deleted at any time and are made again on the next read.
 */
export class CreateContentSnapshots1764370000000 implements MigrationInterface {
  name = 'CreateContentSnapshots1764370000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE content_snapshots (
        stream_id text NOT NULL,
        stream_version integer NOT NULL,
        state jsonb NOT NULL,
        PRIMARY KEY (stream_id, stream_version)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE content_snapshots`);
  }
}
