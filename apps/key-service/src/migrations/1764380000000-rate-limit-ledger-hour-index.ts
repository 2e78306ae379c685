import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The ledger's hours, for the sweep that deletes those past its two days (RateLimitLedgerSweeper). */
export class RateLimitLedgerHourIndex1764380000000 implements MigrationInterface {
  name = 'RateLimitLedgerHourIndex1764380000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX rate_limit_ledger_hour ON rate_limit_ledger (hour)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX rate_limit_ledger_hour`);
  }
}
