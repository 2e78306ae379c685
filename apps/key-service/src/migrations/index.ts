import { CreateKeysSchema1764150000000 } from './1764150000000-create-keys-schema';
import { CreateUsageSchema1764170000000 } from './1764170000000-create-usage-schema';
import { CreateLoginFailures1764220000000 } from './1764220000000-create-login-failures';
import { CreateOAuth1764300000000 } from './1764300000000-create-oauth';
import { CreateCliLogins1764320000000 } from './1764320000000-create-cli-logins';
import { RecordCliLoginApprovals1764330000000 } from './1764330000000-record-cli-login-approvals';
import { EmailsInNfkc1764350000000 } from './1764350000000-emails-in-nfkc';
import { RateLimitLedgerHourIndex1764380000000 } from './1764380000000-rate-limit-ledger-hour-index';
import { AccountEmailExceptions1764390000000 } from './1764390000000-account-email-exceptions';

/** This service's own schema changes, in order, after the event store's. */
export const KeyServiceMigrations: Function[] = [
  CreateKeysSchema1764150000000,
  CreateUsageSchema1764170000000,
  CreateLoginFailures1764220000000,
  CreateOAuth1764300000000,
  CreateCliLogins1764320000000,
  RecordCliLoginApprovals1764330000000,
  EmailsInNfkc1764350000000,
  RateLimitLedgerHourIndex1764380000000,
  AccountEmailExceptions1764390000000,
];
