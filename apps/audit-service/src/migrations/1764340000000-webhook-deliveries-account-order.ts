import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An account's pending webhook deliveries in the order they were queued: a delivery is due only when no older
 * one of its account is pending (the dispatcher's claim asks that for each candidate).
 */
export class WebhookDeliveriesAccountOrder1764340000000 implements MigrationInterface {
  name = 'WebhookDeliveriesAccountOrder1764340000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_account_pending ON webhook_deliveries (account_id, created_at, id) WHERE status = 'pending'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX webhook_deliveries_account_pending`);
  }
}
