import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { SERVICE_NAMES } from '#contracts';
import { HealthController, Metrics, ProblemExceptionFilter, READINESS_CHECKS } from '#common';
import { NatsConnectionHolder, natsClientOptions } from '#messaging';
import { GatewayEnv } from './config/gateway.env';
import { ServicePingReadiness } from './health/service-ping.readiness';
import { NATS_RPC, RPC_TIMEOUT_MS, RpcClient } from './rpc/rpc-client';

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
      imports: [
        ClientsModule.register([
          { name: NATS_RPC, transport: Transport.NATS, options: natsClientOptions(config.NATS_URL, 'gateway-rpc') },
        ]),
      ],
      controllers: [HealthController],
      providers: [
        RpcClient,
        { provide: RPC_TIMEOUT_MS, useValue: config.RPC_TIMEOUT_MS },
        { provide: GatewayEnv, useValue: config },
        { provide: NatsConnectionHolder, useValue: nats },
        { provide: Metrics, useValue: metrics },
        {
          provide: READINESS_CHECKS,
          inject: [RpcClient],
          useFactory: (rpc: RpcClient) => [nats, ...SERVICE_NAMES.map((name) => new ServicePingReadiness(name, rpc))],
        },
        { provide: APP_FILTER, useClass: ProblemExceptionFilter },
      ],
      exports: [RpcClient, GatewayEnv, NatsConnectionHolder, Metrics],
    };
  }
}
