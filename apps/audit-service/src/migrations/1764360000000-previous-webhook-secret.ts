import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The signing secret a rotation replaced, and until when deliveries are signed with it too
 * (`X-VibeXP-Signature-Previous`), so that a receiver can change its secret after the rotation without losing a
 * delivery.
 */
export class PreviousWebhookSecret1764360000000 implements MigrationInterface {
  name = 'PreviousWebhookSecret1764360000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE security_settings ADD COLUMN previous_webhook_secret text, ADD COLUMN previous_secret_until timestamptz`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE security_settings DROP COLUMN previous_webhook_secret, DROP COLUMN previous_secret_until`,
    );
  }
}
