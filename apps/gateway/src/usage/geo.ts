import { BlockList, isIP } from 'node:net';
import geoip from 'geoip-lite';
import { BoundedMemo } from './bounded-memo';

export interface Location {
  country: string;
  city: string | null;
}

/** Approximate latitude and longitude of an address (for the detector's travel-speed check only). */
export type Coordinates = [latitude: number, longitude: number];

/** Where an address is; private and loopback addresses are `local` (PRODUCT.md §7). Injected for tests. */
export interface GeoLocator {
  /** Country/city and coordinates of an address, from one lookup (this is on every request's path). */
  place(ip: string): { location: Location | null; coordinates: Coordinates | null };
}

export const GEO_LOCATOR = Symbol('GEO_LOCATOR');

export const LOCAL: Location = { country: 'local', city: null };

const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['100.64.0.0', 10],
  ['0.0.0.0', 8],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');

export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && PRIVATE.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

type Place = { location: Location | null; coordinates: Coordinates | null };

function lookUp(ip: string): Place {
  if (isIP(ip) === 0) return { location: null, coordinates: null };
  if (isPrivateAddress(ip)) return { location: LOCAL, coordinates: null };
  const found = geoip.lookup(ip);
  if (!found) return { location: null, coordinates: null };
  const [latitude, longitude] = found.ll;
  return {
    location: { country: found.country, city: found.city || null },
    coordinates: latitude !== 0 || longitude !== 0 ? [latitude, longitude] : null,
  };
}

/**
 * The offline database of the geoip-lite package (country and city, no network lookups). Recent
 * addresses are remembered: a tool sends many requests from one address. The database is loaded once
 * per process, so a remembered answer is as current as a new lookup.
 */
export class GeoIpLiteLocator implements GeoLocator {
  private readonly places = new BoundedMemo(10_000, (ip) => Object.freeze(lookUp(ip)));

  place(ip: string): Place {
    return this.places.get(ip);
  }

  locate(ip: string): Location | null {
    return this.place(ip).location;
  }
}
