import { isIP } from 'node:net';
import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, MinLength, ValidateBy } from 'class-validator';

/** The raw string a variable was given, whatever class-transformer made of it. */
function raw(params: { obj: Record<string, unknown>; key: string }): unknown {
  return params.obj[params.key];
}

/** A rule of one variable with one message, which a refusal prints after the variable's name. */
function VariableRule(name: string, validate: (value: unknown) => boolean, message: string): PropertyDecorator {
  return ValidateBy({ name, validator: { validate, defaultMessage: () => message } });
}

/**
 * A whole number from `min` to `max` written in decimal digits: `abc`, `12.5`, `1e3`, `0x10` and an
 * empty value are refused with the range, not read as NaN or 0.
 */
export function IntegerVariable(min: number, max: number, unit?: string): PropertyDecorator {
  return applyDecorators(
    Transform((params) => {
      const value = raw(params);
      if (value === undefined) return params.value;
      return typeof value === 'string' && /^-?[0-9]+$/.test(value.trim()) ? Number(value) : Number.NaN;
    }),
    VariableRule(
      'integerInRange',
      (value) => Number.isInteger(value) && (value as number) >= min && (value as number) <= max,
      `must be a whole number${unit ? ` of ${unit}` : ''} from ${min} to ${max}`,
    ),
  );
}

const TRUE = ['true', '1'];
const FALSE = ['false', '0'];

/** `true`, `false`, `1` or `0` (any case); anything else is refused rather than read as false. */
export function BooleanVariable(): PropertyDecorator {
  return applyDecorators(
    Transform((params) => {
      const value = raw(params);
      if (value === undefined) return params.value;
      const spelled = String(value).trim().toLowerCase();
      if (TRUE.includes(spelled)) return true;
      if (FALSE.includes(spelled)) return false;
      return value;
    }),
    VariableRule('boolean', (value) => typeof value === 'boolean', 'must be true, false, 1 or 0'),
  );
}

/**
 * Whether `value` parses as a URL with one of `protocols` (e.g. `nats:`). WHATWG URL refuses a port that is
 * not a number up to 65535, as the NATS and PostgreSQL clients would later, once the service waits for them.
 */
function isUrl(value: string, protocols: string[], needsHost: boolean | 'or-host-parameter'): boolean {
  try {
    const url = new URL(value);
    const hasHost = url.hostname !== '' || (needsHost === 'or-host-parameter' && url.searchParams.has('host'));
    return protocols.includes(url.protocol) && (!needsHost || hasHost);
  } catch {
    return false;
  }
}

const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** An IP address or a host name (RFC 1123: letters, digits, hyphens; the last label not all digits). */
export function isHost(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  if (isIP(value) !== 0) return true;
  const labels = value.replace(/\.$/, '').split('.');
  return (
    value.length <= 253 &&
    labels.every((label) => HOST_LABEL.test(label)) &&
    !/^[0-9]+$/.test(labels[labels.length - 1])
  );
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Variables every process of the platform reads. */
export class BaseEnv {
  @VariableRule(
    'natsUrls',
    (value) =>
      typeof value === 'string' && value.split(',').every((url) => url !== '' && isUrl(url, ['nats:', 'tls:'], true)),
    'must be a comma-separated list of nats:// (or tls://) URLs, each with a host and an optional numeric port',
  )
  NATS_URL = 'nats://127.0.0.1:4222';

  @Transform((params) => {
    const value = raw(params);
    return typeof value === 'string' ? value.trim().toLowerCase() : params.value;
  })
  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')} (any case)` })
  LOG_LEVEL = 'info';

  @VariableRule('host', isHost, 'must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name of this machine')
  HOST = '127.0.0.1';

  /** When set, `/metrics` answers only `Authorization: Bearer <METRICS_TOKEN>` (open when unset). */
  @IsOptional()
  @MinLength(16, { message: 'must be at least 16 characters when set' })
  METRICS_TOKEN?: string;

  /** How long an RPC request waits for its reply before it is answered 503. */
  @IntegerVariable(50, 60_000, 'milliseconds')
  RPC_TIMEOUT_MS = 5_000;

  /**
   * How many NATS servers keep a copy of each JetStream stream: 1 for one server, 3 on a 3-node cluster.
   * Every process sets the streams up at start (an update when they exist), so every process must say the same.
   */
  @IntegerVariable(1, 5)
  NATS_STREAM_REPLICAS = 1;
}

/** Variables of a service that owns a database. */
export class ServiceEnv extends BaseEnv {
  @VariableRule(
    'postgresUrl',
    // A host, or a socket directory as `?host=/run/postgresql` (`postgres:/u:pw@h/db` has neither: mistyped).
    (value) => typeof value === 'string' && isUrl(value, ['postgres:', 'postgresql:'], 'or-host-parameter'),
    'must be a postgres:// connection URL (postgres://user:password@host:port/database, the port a number)',
  )
  DATABASE_URL: string;

  @IntegerVariable(0, 65535)
  HTTP_PORT = 0;
}
