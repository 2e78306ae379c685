import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A signing secret for every webhook set before secrets existed (1764190000000 stored `webhook_url` without one):
 * such a webhook was signed with an empty key, which anyone can forge. 64 hex characters, like the secrets the
 * service makes (`randomBytes(32)`): SHA-256 of two random UUIDs (244 random bits; pgcrypto is not assumed).
 */
export class WebhookSecretsFilled1764400000000 implements MigrationInterface {
  name = 'WebhookSecretsFilled1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE security_settings
          SET webhook_secret = encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')), 'hex')
        WHERE webhook_url IS NOT NULL AND webhook_secret IS NULL`,
    );
  }

  async down(): Promise<void> {
    // The secrets stay: a receiver may already check them.
  }
}
