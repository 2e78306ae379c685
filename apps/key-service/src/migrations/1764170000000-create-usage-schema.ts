import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage projections folded from the AUTH stream (key.used, auth.failed) and the rate-limit ledger.
 * Hourly buckets answer `GET …/usage` for any range; daily location and IP rows keep their
 * first/last sighting. All writes are batched by the usage consumer.
 */
export class CreateUsageSchema1764170000000 implements MigrationInterface {
  name = 'CreateUsageSchema1764170000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE key_usage_hourly (
        key_id uuid NOT NULL,
        hour timestamptz NOT NULL,
        tool_type text NOT NULL,
        action text NOT NULL,
        status integer NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (key_id, hour, tool_type, action, status)
      )`);
    await queryRunner.query(`
      CREATE TABLE key_failures_hourly (
        key_id uuid NOT NULL,
        hour timestamptz NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (key_id, hour)
      )`);
    await queryRunner.query(`
      CREATE TABLE key_usage_locations_daily (
        key_id uuid NOT NULL,
        day date NOT NULL,
        country text NOT NULL,
        city text NOT NULL DEFAULT '',
        count integer NOT NULL,
        first_seen timestamptz NOT NULL,
        last_seen timestamptz NOT NULL,
        PRIMARY KEY (key_id, day, country, city)
      )`);
    await queryRunner.query(`
      CREATE TABLE key_usage_ips_daily (
        key_id uuid NOT NULL,
        day date NOT NULL,
        ip text NOT NULL,
        count integer NOT NULL,
        first_seen timestamptz NOT NULL,
        last_seen timestamptz NOT NULL,
        PRIMARY KEY (key_id, day, ip)
      )`);
    await queryRunner.query(`
      CREATE TABLE rate_limit_ledger (
        account_id uuid NOT NULL,
        hour bigint NOT NULL,
        instance_id text NOT NULL,
        count integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, hour, instance_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP TABLE rate_limit_ledger, key_usage_ips_daily, key_usage_locations_daily, key_failures_hourly, key_usage_hourly`,
    );
  }
}
