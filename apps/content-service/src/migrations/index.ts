/** This service's own schema changes, in order, after the event store's. */
export const ContentServiceMigrations: Function[] = [];
