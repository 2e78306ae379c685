import { Controller, Inject, Logger } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { hostname } from 'node:os';
import { type PingReply, RpcSubjects, type ServiceName } from '#contracts';
import { READINESS_CHECKS, type ReadinessCheck, withTimeout } from '#common';
import { SERVICE_NAME } from './tokens';

/** A dependency that has not answered by then counts as down: the gateway's probe waits 1 s in all. */
const CHECK_TIMEOUT_MS = 500;

export function createPingController(service: ServiceName): new (...args: never[]) => unknown {
  @Controller()
  class PingController {
    private readonly logger = new Logger('Readiness');

    constructor(
      @Inject(SERVICE_NAME) private readonly name: ServiceName,
      @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    ) {}

    /**
     * Answers the gateway's readiness probe: reachable over NATS, and able to serve, which needs its
     * database too (NATS is the one that carried the ping). A service without its database answers
     * `unavailable`, so the gateway's /readyz is not 200 while every write would be a 503.
     */
    @MessagePattern(RpcSubjects.ping(service))
    async ping(): Promise<PingReply> {
      const reply: PingReply = {
        service: this.name,
        status: 'ok',
        instance: `${hostname()}:${process.pid}`,
        time: new Date().toISOString(),
      };
      for (const check of this.checks) {
        if (check.name === 'nats') continue;
        try {
          await withTimeout(check.check(), CHECK_TIMEOUT_MS, 'no answer within 500 ms');
        } catch (error) {
          // The detail (an address, a user name) stays in this service's log: /readyz is public.
          this.logger.warn({ msg: 'not ready', check: check.name, error: (error as Error).message }, 'Readiness');
          return { ...reply, status: 'unavailable', reason: `${check.name} unavailable` };
        }
      }
      return reply;
    }
  }
  return PingController;
}
