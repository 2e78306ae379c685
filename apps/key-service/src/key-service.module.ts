import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AccountsHandler } from './accounts/accounts.handler';
import { AccountsRepository } from './accounts/accounts.repository';
import { LoginThrottle } from './accounts/login-throttle';
import { ApiKeysHandler } from './api-keys/api-keys.handler';
import { ApiKeysRepository } from './api-keys/api-keys.repository';
import { OAuthHandler } from './oauth/oauth.handler';
import { SessionsHandler } from './sessions/sessions.handler';
import { InvalidationPublisher } from './shared/invalidation.publisher';
import { CLOCK, KeyStore } from './shared/key-store';
import { RateLimitLedgerSweeper } from './usage/rate-limit-ledger-sweeper';
import { UsageHandler } from './usage/usage.handler';

@Module({
  controllers: [AccountsHandler, SessionsHandler, ApiKeysHandler, UsageHandler, OAuthHandler],
  providers: [
    { provide: CLOCK, useValue: () => new Date() },
    {
      provide: LoginThrottle,
      useFactory: (dataSource: DataSource) => new LoginThrottle(dataSource, Date.now),
      inject: [DataSource],
    },
    KeyStore,
    AccountsRepository,
    ApiKeysRepository,
    InvalidationPublisher,
    RateLimitLedgerSweeper,
  ],
  exports: [KeyStore, ApiKeysRepository, InvalidationPublisher],
})
export class KeyServiceModule {}
