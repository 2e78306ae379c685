import { CreateKeysSchema1764150000000 } from './1764150000000-create-keys-schema';

/** This service's own schema changes, in order, after the event store's. */
export const KeyServiceMigrations: Function[] = [CreateKeysSchema1764150000000];
