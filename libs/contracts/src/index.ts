export * from './envelope';
export * from './errors';
export * from './rpc';
export * from './streams';
export * from './keys';
