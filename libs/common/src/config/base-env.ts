import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsString, Matches, Max, Min } from 'class-validator';

const NATS_URLS = /^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/;

/** Variables every process of the platform reads. */
export class BaseEnv {
  @Matches(NATS_URLS, { message: 'must be a comma-separated list of nats:// URLs' })
  NATS_URL = 'nats://127.0.0.1:4222';

  @IsIn(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
  LOG_LEVEL = 'info';

  @IsString()
  @IsNotEmpty()
  HOST = '127.0.0.1';

  /** How long an RPC request waits for its reply before it is answered 503. */
  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt({ message: 'must be an integer number of milliseconds' })
  @Min(50)
  @Max(60_000)
  RPC_TIMEOUT_MS = 5_000;
}

/** Variables of a service that owns a database. */
export class ServiceEnv extends BaseEnv {
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// connection URL' })
  DATABASE_URL: string;

  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt({ message: 'must be an integer between 0 and 65535' })
  @Min(0)
  @Max(65535)
  HTTP_PORT = 0;
}
