import { BlockList, isIP } from 'node:net';
import { IsOptional, Matches, MinLength, ValidateBy } from 'class-validator';
import { BaseEnv, IntegerVariable } from '#common';

/** Parses `TRUSTED_PROXIES` (comma-separated CIDRs or addresses) into a BlockList; throws on a bad entry. */
export function parseTrustedProxies(value: string): BlockList {
  const list = new BlockList();
  for (const entry of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address);
    if (family === 0) throw new Error(`"${entry}" is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const bits = Number(prefix);
    if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
      throw new Error(`"${entry}" has an invalid prefix length`);
    }
    list.addSubnet(address, bits, type);
  }
  return list;
}

export class GatewayEnv extends BaseEnv {
  @IntegerVariable(0, 65535)
  PORT = 3000;

  /** Enables `/admin/v1` when set (PRODUCT.md §11). */
  @IsOptional()
  @MinLength(16, { message: 'must be at least 16 characters when set' })
  ADMIN_TOKEN?: string;

  /**
   * The origin clients reach this platform at (`https://connect.example.com`): the OAuth issuer and the MCP
   * resource (PRODUCT.md §14). Unset: taken from each request's Host (and X-Forwarded-Proto from a trusted proxy).
   */
  @IsOptional()
  @Matches(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, {
    message: 'must be an origin such as https://connect.example.com (scheme, host and port only)',
  })
  PUBLIC_URL?: string;

  /** Peers whose X-Forwarded-For is believed (PRODUCT.md §7). */
  @ValidateBy({
    name: 'cidrList',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string') return false;
        try {
          parseTrustedProxies(value);
          return true;
        } catch {
          return false;
        }
      },
      defaultMessage: () => 'must be a comma-separated list of IP addresses or CIDR ranges',
    },
  })
  TRUSTED_PROXIES = '';

  /** How often gateway instances share their rate-limit counts through key-service. */
  @IntegerVariable(50, 60_000, 'milliseconds')
  RATE_LIMIT_SYNC_MS = 1_000;

  /** Size of the cache of content read by id, in MiB (0 turns it off). */
  @IntegerVariable(0, 1_024, 'MiB')
  CONTENT_CACHE_MB = 64;

  /** How long a cached content read is served without asking content-service, even with no change notice. */
  @IntegerVariable(100, 300_000, 'milliseconds')
  CONTENT_CACHE_MAX_AGE_MS = 10_000;
}
