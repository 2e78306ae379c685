import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { hostname } from 'node:os';
import { type PingReply, RpcSubjects, type ServiceName } from '#contracts';
import { SERVICE_NAME } from './tokens';

export function createPingController(service: ServiceName): new (...args: never[]) => unknown {
  @Controller()
  class PingController {
    constructor(@Inject(SERVICE_NAME) private readonly name: ServiceName) {}

    /** Answers the gateway's readiness probe: this service is reachable over NATS. */
    @MessagePattern(RpcSubjects.ping(service))
    ping(): PingReply {
      return {
        service: this.name,
        status: 'ok',
        instance: `${hostname()}:${process.pid}`,
        time: new Date().toISOString(),
      };
    }
  }
  return PingController;
}
