import { type BlockList, isIP } from 'node:net';
import type { Request } from 'express';
import { canonicalIp } from '#contracts';

function isTrusted(list: BlockList, address: string): boolean {
  if (list.rules.length === 0) return false;
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The client's IP (PRODUCT.md §7): the socket peer; only when the peer is a trusted proxy, the
 * right-most X-Forwarded-For address that is not itself a trusted proxy. An unparsable entry ends
 * the walk (the last trusted hop is the answer).
 */
export function clientIp(
  peerAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: BlockList,
): string {
  const peer = canonicalIp(peerAddress ?? '');
  if (!isTrusted(trusted, peer) || forwardedFor === undefined) return peer;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  let candidate = peer;
  for (let index = hops.length - 1; index >= 0; index -= 1) {
    // Only the hops the walk reaches are put in canonical form (an IPv6 one costs a URL parse), not a long header's all.
    const hop = canonicalIp(hops[index]);
    if (isIP(hop) === 0) return candidate;
    candidate = hop;
    if (!isTrusted(trusted, hop)) return hop;
  }
  return candidate;
}

export function requestClientIp(request: Request, trusted: BlockList): string {
  return clientIp(request.socket.remoteAddress, request.headers['x-forwarded-for'], trusted);
}

/** Served over https: directly, or through a trusted proxy that says so. */
export function isHttps(request: Request, trusted: BlockList): boolean {
  if ((request.socket as { encrypted?: boolean }).encrypted) return true;
  const peer = canonicalIp(request.socket.remoteAddress ?? '');
  return (
    isTrusted(trusted, peer) &&
    String(request.headers['x-forwarded-proto'] ?? '')
      .split(',')[0]
      .trim() === 'https'
  );
}
