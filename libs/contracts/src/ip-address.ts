import { isIP } from 'node:net';

/**
 * One spelling per address, so that an address is stored, grouped and filtered as one: `::ffff:127.0.0.1` (an
 * IPv4-mapped peer) → `127.0.0.1`, `[2001:DB8:0:0::1]` → `2001:db8::1`. Anything that is not an address is
 * only trimmed.
 */
export function canonicalIp(address: string): string {
  const trimmed = address.trim().replace(/^\[(.*)\]$/, '$1');
  // The usual IPv6 spelling of an IPv4 peer (a server listening on `::`), without a parse on every request.
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  if (dotted) return dotted[1];
  if (isIP(trimmed) !== 6) return trimmed;
  // A zone (`fe80::1%eth0`) is kept as sent; the URL parser takes none.
  const [host, zone] = trimmed.split('%', 2);
  // The URL parser writes an IPv6 host in its canonical form (RFC 5952): lower case, zeros compressed.
  const canonical = new URL(`http://[${host}]/`).hostname.slice(1, -1);
  if (zone !== undefined) return `${canonical}%${zone}`;
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped) return canonical;
  const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}
