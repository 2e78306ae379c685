import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { SERVICE_NAMES } from '#contracts';
import { HealthController, METRICS_TOKEN, Metrics, READINESS_CHECKS } from '#common';
import { NatsConnectionHolder } from '#messaging';
import { AdminTokenGuard } from './admin/admin-token.guard';
import { AdminController } from './admin/admin.controller';
import { AuditLogController } from './audit/audit-log.controller';
import {
  AdminAlertsController,
  SecurityAlertsController,
  SecuritySettingsController,
} from './audit/security.controller';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { CliLoginController } from './api-keys/cli-login.controller';
import { LeakReportController } from './api-keys/leak-report.controller';
import { Access } from './auth/access.decorator';
import { AuthEventsPublisher } from './auth/auth-events.publisher';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { ROUTE_POLICIES, RoutePolicies } from './auth/route-policies';
import { KeyVerifier } from './auth/key-verifier';
import { ContentReads } from './content/content-reads';
import { Passwords } from './auth/passwords';
import { GatewayEnv, parseTrustedProxies } from './config/gateway.env';
import { ArtifactsController } from './content/artifacts.controller';
import { MemoriesController } from './content/memories.controller';
import { PromptsController } from './content/prompts.controller';
import { SearchController } from './content/search.controller';
import { ServicePingReadiness } from './health/service-ping.readiness';
import { GatewayProblemFilter } from './http/gateway-problem.filter';
import { TRUSTED_PROXIES, locateCommandsWith } from './http/request-meta';
import { HttpValidationPipe } from './http/validation.pipe';
import { HooksController } from './hooks/hooks.controller';
import { McpController } from './mcp/mcp.controller';
import { AuthorizationRequests } from './oauth/authorization-requests';
import { ConsentController } from './oauth/consent.controller';
import { OAuthController } from './oauth/oauth.controller';
import { RPC_TIMEOUT_MS, RpcClient } from './rpc/rpc-client';
import { GEO_LOCATOR, GeoIpLiteLocator } from './usage/geo';
import { RATE_LIMITER, RateLimitSync } from './usage/rate-limit-sync';
import { HourlyRateLimiter } from './usage/rate-limiter';

// Probes and metrics answer without a key or session (metrics may want METRICS_TOKEN: see HealthController).
Access({ mode: 'public' })(HealthController);

/** Every HTTP controller of the gateway (the OpenAPI document reads their access policies too). */
export const GATEWAY_CONTROLLERS = [
  HealthController,
  AuthController,
  ApiKeysController,
  LeakReportController,
  CliLoginController,
  AdminController,
  PromptsController,
  ArtifactsController,
  MemoriesController,
  SearchController,
  HooksController,
  AuditLogController,
  SecurityAlertsController,
  SecuritySettingsController,
  AdminAlertsController,
  McpController,
  OAuthController,
  ConsentController,
];

export interface GatewayDependencies {
  config: GatewayEnv;
  nats: NatsConnectionHolder;
  metrics: Metrics;
}

@Module({})
export class GatewayModule {
  static forRoot(dependencies: GatewayDependencies): DynamicModule {
    const { config, nats, metrics } = dependencies;
    return {
      module: GatewayModule,
      global: true,
      controllers: GATEWAY_CONTROLLERS,
      providers: [
        RpcClient,
        KeyVerifier,
        ContentReads,
        AuthorizationRequests,
        AuthEventsPublisher,
        Passwords,
        AdminTokenGuard,
        { provide: RPC_TIMEOUT_MS, useValue: config.RPC_TIMEOUT_MS },
        { provide: GatewayEnv, useValue: config },
        { provide: TRUSTED_PROXIES, useValue: parseTrustedProxies(config.TRUSTED_PROXIES) },
        { provide: NatsConnectionHolder, useValue: nats },
        { provide: Metrics, useValue: metrics },
        { provide: METRICS_TOKEN, useValue: config.METRICS_TOKEN },
        {
          provide: READINESS_CHECKS,
          inject: [RpcClient],
          useFactory: (rpc: RpcClient) => [nats, ...SERVICE_NAMES.map((name) => new ServicePingReadiness(name, rpc))],
        },
        { provide: RATE_LIMITER, useFactory: () => new HourlyRateLimiter(Date.now) },
        {
          provide: GEO_LOCATOR,
          useFactory: () => {
            const geo = new GeoIpLiteLocator();
            // Commands' events show where they came from too (a login's, a key's creation…).
            locateCommandsWith((ip) => geo.place(ip).location);
            return geo;
          },
        },
        RateLimitSync,
        // One instance: the guard, and the problem filter for requests refused before routing.
        AuthGuard,
        { provide: APP_GUARD, useExisting: AuthGuard },
        { provide: APP_PIPE, useClass: HttpValidationPipe },
        { provide: APP_FILTER, useClass: GatewayProblemFilter },
        { provide: ROUTE_POLICIES, useValue: new RoutePolicies(GATEWAY_CONTROLLERS) },
      ],
      exports: [RpcClient, GatewayEnv, NatsConnectionHolder, Metrics, KeyVerifier],
    };
  }
}
