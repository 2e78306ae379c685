import type { BlockList } from 'node:net';
import type { Request } from 'express';
import type { RequestMeta } from '#contracts';
import { currentRequestId } from '#common';
import { requestClientIp } from './client-address';

export const TRUSTED_PROXIES = Symbol('TRUSTED_PROXIES');

/** Who asked, as it travels with every command (never a header other than these). */
export function requestMeta(request: Request, trusted: BlockList): RequestMeta {
  const meta: RequestMeta = { request_id: currentRequestId() ?? 'unknown', ip: requestClientIp(request, trusted) };
  const userAgent = request.headers['user-agent'];
  if (userAgent) meta.user_agent = userAgent.slice(0, 512);
  return meta;
}
