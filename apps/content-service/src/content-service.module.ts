import { Module } from '@nestjs/common';
import { ArtifactsHandler } from './artifacts/artifacts.handler';
import { HooksHandler } from './hooks/hooks.handler';
import { MemoriesHandler } from './memories/memories.handler';
import { PromptsHandler } from './prompts/prompts.handler';
import { SearchHandler } from './search/search.handler';
import { ContentChangeNotifier } from './shared/content-change.notifier';
import { CLOCK, ContentStore } from './shared/content-store';
import { IdempotencyKeySweeper } from './shared/idempotency-key-sweeper';

@Module({
  controllers: [PromptsHandler, ArtifactsHandler, MemoriesHandler, SearchHandler, HooksHandler],
  providers: [
    { provide: CLOCK, useValue: () => new Date() },
    ContentChangeNotifier,
    ContentStore,
    IdempotencyKeySweeper,
  ],
})
export class ContentServiceModule {}
