import { MessagePattern, Payload } from '@nestjs/microservices';
import { Type } from 'class-transformer';
import { IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { type ContentKind, ContentRpc, type Page, toPage } from '#contracts';
import type { ContentEngine } from './content-engine';
import type { Fields } from './content-resource';
import { ActorDto, Addressed, RestoreCommand, VersionsCommand, eventMeta, toLocator } from './content-rpc.dto';

type DtoClass = new () => object;

/** The RPC payload of a create: who acts, the kind's create body, and the client's Idempotency-Key if any. */
export function createCommand(body: DtoClass): new () => { actor: ActorDto; body: object; idempotency_key?: string } {
  class CreateCommand {
    @ValidateNested()
    @Type(() => ActorDto)
    actor: ActorDto;

    @ValidateNested()
    @Type(() => body)
    body: object;

    @IsOptional()
    @IsString()
    @Length(1, 255)
    idempotency_key?: string;
  }
  return CreateCommand;
}

/** The RPC payload of a list: who acts, and the kind's list query. */
export function listCommand(query: DtoClass): new () => { actor: ActorDto; query: object } {
  class ListCommand {
    @ValidateNested()
    @Type(() => ActorDto)
    actor: ActorDto;

    @ValidateNested()
    @Type(() => query)
    query: object;
  }
  return ListCommand;
}

/**
 * The RPC handlers every content kind has the same way: get, update, delete, versions, restore. A
 * kind's handler extends the class this returns, adds create and list, and may override a handler
 * (re-decorating it) to add its own rules.
 */
export function ContentHandlers<F extends Fields, V>(kind: ContentKind, updateBody: DtoClass) {
  class UpdateCommand extends Addressed {
    @ValidateNested()
    @Type(() => updateBody)
    body: Partial<F> & { expected_version?: number };
  }

  abstract class Handlers {
    protected abstract readonly engine: ContentEngine<F, V>;

    @MessagePattern(ContentRpc.get(kind))
    get(@Payload() command: Addressed): Promise<V> {
      return this.engine.find(command.actor.account_id, toLocator(command.locator));
    }

    @MessagePattern(ContentRpc.update(kind))
    async update(@Payload() command: UpdateCommand): Promise<V> {
      const id = await this.engine.locate(command.actor.account_id, toLocator(command.locator));
      const { expected_version, ...changes } = command.body;
      return this.engine.update(id, changes as Partial<F>, expected_version, eventMeta(command.actor));
    }

    @MessagePattern(ContentRpc.remove(kind))
    async remove(@Payload() command: Addressed): Promise<{ deleted: true; id: string }> {
      const id = await this.engine.locate(command.actor.account_id, toLocator(command.locator));
      await this.engine.remove(id, eventMeta(command.actor));
      return { deleted: true, id };
    }

    @MessagePattern(ContentRpc.versions(kind))
    async versions(
      @Payload() command: VersionsCommand,
    ): Promise<Omit<Page<unknown>, 'items'> & { versions: Record<string, unknown>[] }> {
      // A deleted resource's versions are listed too (by id), so that one can be chosen to bring it back.
      const id = await this.engine.locate(command.actor.account_id, toLocator(command.locator), {
        deleted: 'included',
      });
      const { page, limit, sort_order } = command.query;
      // Oldest first unless asked otherwise (VersionsQuery); a page of them, as every list (§1).
      const { versions, total } = await this.engine.versions(id, {
        offset: (page - 1) * limit,
        limit,
        newestFirst: sort_order === 'desc',
      });
      const shown = versions.map((entry) => ({
        version: entry.version,
        ...entry.fields,
        created_at: entry.created_at,
        actor: entry.actor,
      }));
      const { items, ...pagination } = toPage(shown, total, command.query);
      return { versions: items, ...pagination };
    }

    @MessagePattern(ContentRpc.restore(kind))
    async restore(@Payload() command: RestoreCommand): Promise<V> {
      const id = await this.engine.locate(command.actor.account_id, toLocator(command.locator), {
        deleted: 'included',
      });
      return this.engine.restore(id, command.version, eventMeta(command.actor));
    }
  }
  return { Handlers, UpdateCommand };
}
