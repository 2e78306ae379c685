import type { BlockList } from 'node:net';
import type { Request } from 'express';
import type { RequestLocation, RequestMeta } from '#contracts';
import { currentRequestId, redactText } from '#common';
import { requestClientIp } from './client-address';

export const TRUSTED_PROXIES = Symbol('TRUSTED_PROXIES');

/** Answers already worked out, per request: an API-key request needs them for its key.used event and again for its command. */
const answered = new WeakMap<Request, RequestMeta>();

/** Where addresses are, for commands' meta (set once by the gateway module with its GeoLocator). */
let placeOf: ((ip: string) => RequestLocation | null) | undefined;

export function locateCommandsWith(locate: (ip: string) => RequestLocation | null): void {
  placeOf = locate;
}

/**
 * Who asked, with where from: the meta of a command, recorded in its event (a login's, a key's creation…), so the
 * audit log shows their place as it does a request's. The usage events of a request carry theirs in `data`
 * (requestMeta, without it).
 */
export function commandMeta(request: Request, trusted: BlockList): Readonly<RequestMeta> {
  const meta = requestMeta(request, trusted);
  const place = meta.ip && placeOf ? placeOf(meta.ip) : null;
  // Bounded as the services' DTO bounds them: a GeoIP name never makes a command invalid.
  return place
    ? { ...meta, location: { country: place.country.slice(0, 16), city: place.city?.slice(0, 128) ?? null } }
    : meta;
}

/** Who asked, as it travels with every request's events (never a header other than these). Read-only: shared within a request. */
export function requestMeta(request: Request, trusted: BlockList): Readonly<RequestMeta> {
  let meta = answered.get(request);
  if (!meta) {
    meta = { request_id: currentRequestId() ?? 'unknown', ip: requestClientIp(request, trusted) };
    const userAgent = request.headers['user-agent'];
    // Kept in events and the audit log: a key pasted into it (a script's mistake) is masked like in logs.
    if (userAgent) meta.user_agent = redactText(userAgent.slice(0, 512));
    Object.freeze(meta);
    answered.set(request, meta);
  }
  return meta;
}
