import { type PingReply, RpcSubjects, type ServiceName } from '#contracts';
import type { ReadinessCheck } from '#common';
import type { RpcClient } from '../rpc/rpc-client';

const PING_TIMEOUT_MS = 1_000;

/** Ready only while the service answers a NATS ping, and says it can serve (its database is reachable). */
export class ServicePingReadiness implements ReadinessCheck {
  constructor(
    readonly name: ServiceName,
    private readonly rpc: RpcClient,
  ) {}

  async check(): Promise<void> {
    const reply = await this.rpc.request<PingReply>(RpcSubjects.ping(this.name), {}, PING_TIMEOUT_MS);
    if (reply.status !== 'ok') throw new Error(`${reply.status}${reply.reason ? ` (${reply.reason})` : ''}`);
  }
}
