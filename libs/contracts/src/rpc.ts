/** Names of the services, as they answer on NATS. */
export const SERVICE_NAMES = ['key-service', 'content-service', 'audit-service'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Request/reply subjects (core NATS, queue group per service). */
export const RpcSubjects = {
  ping: (service: ServiceName): string => `${service.replace('-service', '')}.rpc.ping`,
} as const;

export interface PingReply {
  service: ServiceName;
  /** `unavailable` while the service cannot reach its database: it answers, but cannot serve. */
  status: 'ok' | 'unavailable';
  /** Why it is unavailable (the failing dependency), when it is. */
  reason?: string;
  instance: string;
  time: string;
}
