import { ValidateBy } from 'class-validator';
import { detectorConfig } from './detector/detector';
import { BooleanVariable, IntegerVariable, ServiceEnv } from '#common';

export class AuditServiceEnv extends ServiceEnv {
  /** Audit-log partitions whose last day is older than this are dropped (PRODUCT.md §9.1: default 400). */
  @IntegerVariable(31, 3650, 'days')
  AUDIT_RETENTION_DAYS = 400;

  /** Accept webhook URLs on private networks or this machine (on-premises receivers, tests). Off by default: SSRF. */
  @BooleanVariable()
  WEBHOOK_ALLOW_PRIVATE_TARGETS = false;

  /** JSON overrides of the detector's thresholds, e.g. {"burstPerIp":20,"spikeFactor":8} (README, detector). */
  @ValidateBy({
    name: 'detectorConfig',
    validator: {
      validate: (value: unknown) => {
        try {
          detectorConfig(String(value));
          return true;
        } catch {
          return false;
        }
      },
      defaultMessage: () => 'must be a JSON object of known detector thresholds with positive numbers',
    },
  })
  DETECTOR_CONFIG = '';
}
