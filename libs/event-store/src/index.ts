export * from './database';
export * from './errors';
export * from './event-store';
export * from './idempotent-consumer';
export * from './inbox-sweeper';
export * from './migrations/1764140000000-create-event-store';
export * from './outbox-relay';
export * from './projection';
