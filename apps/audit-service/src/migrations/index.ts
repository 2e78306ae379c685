import { CreateAuditLog1764140100000 } from './1764140100000-create-audit-log';
import { CreateAlerts1764190000000 } from './1764190000000-create-alerts';
import { CreateWebhookDeliveries1764200000000 } from './1764200000000-create-webhook-deliveries';
import { DetectorStateRows1764210000000 } from './1764210000000-detector-state-rows';
import { DetectorLeadership1764230000000 } from './1764230000000-detector-leadership';
import { DetectorRetiredKeysIndex1764240000000 } from './1764240000000-detector-retired-keys-index';
import { AuditLogJsonText1764250000000 } from './1764250000000-audit-log-json-text';
import { AuditKeyPrefixesByKey1764260000000 } from './1764260000000-audit-key-prefixes-by-key';
import { AuditLogClientId1764310000000 } from './1764310000000-audit-log-client-id';
import { WebhookDeliveriesAccountOrder1764340000000 } from './1764340000000-webhook-deliveries-account-order';
import { PreviousWebhookSecret1764360000000 } from './1764360000000-previous-webhook-secret';
import { WebhookSecretsFilled1764400000000 } from './1764400000000-webhook-secrets-filled';
import { DetectorAutoRevocations1764410000000 } from './1764410000000-detector-auto-revocations';
import { AuditDefaultPartitionTime1764420000000 } from './1764420000000-audit-default-partition-time';

/** This service's own schema changes, in order, after the event store's. */
export const AuditServiceMigrations: Function[] = [
  CreateAuditLog1764140100000,
  CreateAlerts1764190000000,
  CreateWebhookDeliveries1764200000000,
  DetectorStateRows1764210000000,
  DetectorLeadership1764230000000,
  DetectorRetiredKeysIndex1764240000000,
  AuditLogJsonText1764250000000,
  AuditKeyPrefixesByKey1764260000000,
  AuditLogClientId1764310000000,
  WebhookDeliveriesAccountOrder1764340000000,
  PreviousWebhookSecret1764360000000,
  WebhookSecretsFilled1764400000000,
  DetectorAutoRevocations1764410000000,
  AuditDefaultPartitionTime1764420000000,
];
