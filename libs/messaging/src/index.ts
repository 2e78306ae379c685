export * from './nats-connection';
export * from './nats-transport';
export * from './provision-streams';
