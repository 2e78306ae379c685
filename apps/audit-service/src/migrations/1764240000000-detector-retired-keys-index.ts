import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The detector sweeps retired keys' rows from the database (the keys it does not hold in memory): indexed. */
export class DetectorRetiredKeysIndex1764240000000 implements MigrationInterface {
  name = 'DetectorRetiredKeysIndex1764240000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX detector_key_state_retired ON detector_key_state (((state->>'retiredAt')::float8)) WHERE state ? 'retiredAt'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX detector_key_state_retired`);
  }
}
