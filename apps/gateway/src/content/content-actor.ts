import type { BlockList } from 'node:net';
import type { Request } from 'express';
import type { Identity } from '../auth/identity';
import { commandMeta } from '../http/request-meta';

/** Who acts on content: the verified account (and key or OAuth app), never anything the client claims. */
export function contentActor(
  request: Request,
  trusted: BlockList,
): { account_id: string; key_id?: string; client_id?: string; meta: ReturnType<typeof commandMeta> } {
  const identity = request.identity as Identity;
  return {
    account_id: identity.account.id,
    ...(identity.kind === 'api_key' ? { key_id: identity.key.id } : {}),
    ...(identity.kind === 'oauth' ? { client_id: identity.clientId } : {}),
    meta: commandMeta(request, trusted),
  };
}
