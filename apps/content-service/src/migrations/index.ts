import { CreateContentSchema1764160000000 } from './1764160000000-create-content-schema';
import { CreateAiToolSessions1764230000000 } from './1764230000000-create-ai-tool-sessions';
import { CreateIdempotencyKeys1764240000000 } from './1764240000000-create-idempotency-keys';
import { CreateContentSnapshots1764370000000 } from './1764370000000-create-content-snapshots';

/** This service's own schema changes, in order, after the event store's. */
export const ContentServiceMigrations: Function[] = [
  CreateContentSchema1764160000000,
  CreateAiToolSessions1764230000000,
  CreateIdempotencyKeys1764240000000,
  CreateContentSnapshots1764370000000,
];
