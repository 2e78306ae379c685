import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { ServiceEnv } from '#common';

export class AuditServiceEnv extends ServiceEnv {
  /** Audit-log partitions whose last day is older than this are dropped (PRODUCT.md §9.1: default 400). */
  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt({ message: 'must be a whole number of days' })
  @Min(31)
  @Max(3650)
  AUDIT_RETENTION_DAYS = 400;

  /** Accept webhook URLs on private networks or this machine (on-premises receivers, tests). Off by default: SSRF. */
  @Transform(({ value }) => (value === undefined ? value : value === 'true' || value === true))
  @IsBoolean({ message: 'must be true or false' })
  WEBHOOK_ALLOW_PRIVATE_TARGETS = false;
}
