import 'reflect-metadata';
import { type DynamicModule, type INestApplication, Module, type ModuleMetadata } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE, NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { ClassConstructor } from 'class-transformer';
import express from 'express';
import { DataSource } from 'typeorm';
import type { ServiceName } from '#contracts';
import {
  ConfigError,
  HealthController,
  JsonLogger,
  Metrics,
  ProblemExceptionFilter,
  METRICS_TOKEN,
  READINESS_CHECKS,
  type ServiceEnv,
  acceptUtf8CharsetAliases,
  accessLogMiddleware,
  cacheValidationMetadata,
  loadConfig,
  refuseNonUtf8,
  refuseUnreadableJson,
  requestContextMiddleware,
} from '#common';
import {
  DatabaseReadiness,
  inboxSweeper,
  JetStreamEventPublisher,
  OutboxRelay,
  createServiceDataSource,
} from '#event-store';
import { NatsConnectionHolder, natsServerOptions, provisionStreams } from '#messaging';
import { PrototypeStableExpressAdapter } from './express-adapter';
import { MalformedRequestInterceptor } from './malformed-request.interceptor';
import { createPingController } from './ping.controller';
import { RpcErrorFilter } from './rpc-exception.filter';
import { createRpcValidationPipe } from './rpc-validation.pipe';
import { SERVICE_CONFIG, SERVICE_NAME } from './tokens';
import { describeDatabaseUrl, waitFor } from './wait-for';

/** Exit code of a refused configuration (sysexits EX_CONFIG): the launcher does not restart such a service. */
export const EX_CONFIG = 78;

/** What a running service hands to its feature modules. */
export interface ServiceContext<Env extends ServiceEnv> {
  name: ServiceName;
  config: Env;
  logger: JsonLogger;
  dataSource: DataSource;
  nats: NatsConnectionHolder;
  metrics: Metrics;
}

export interface ServiceDefinition<Env extends ServiceEnv> {
  name: ServiceName;
  env: ClassConstructor<Env>;
  migrations: Function[];
  imports?: (context: ServiceContext<Env>) => ModuleMetadata['imports'];
  /** Runs once the service answers; what it returns is stopped, in reverse order, at shutdown. */
  afterStart?: (context: ServiceContext<Env>, app: INestApplication) => Promise<Stoppable[]>;
}

export interface Stoppable {
  stop(): Promise<void>;
}

/** Reads the environment or exits with one line per bad variable. */
export function loadConfigOrExit<T extends object>(service: string, schema: ClassConstructor<T>): T {
  try {
    return loadConfig(schema);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: ${error.message}\n`);
      process.exit(EX_CONFIG);
    }
    throw error;
  }
}

/** Why a listen error means the environment is wrong, and which variable to change. */
function listenProblem(
  error: NodeJS.ErrnoException,
  port: { variable: string; value: number },
  host: string,
): string | undefined {
  switch (error.code) {
    case 'EADDRINUSE':
      return `${port.variable}=${port.value}: port ${port.value} on ${host} is already in use; set ${port.variable} to a free port`;
    case 'EACCES':
      return `${port.variable}=${port.value}: not allowed to listen on port ${port.value} (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return `HOST=${JSON.stringify(host)}: not an address of this machine (${error.code})`;
    default:
      return undefined;
  }
}

/**
 * Listens on HTTP, or exits with one line naming the variable to change and EX_CONFIG when the port is
 * taken or the host is not this machine's: `npm start` stops on that code instead of restarting in a loop.
 */
export async function listenOrExit(
  service: string,
  app: INestApplication,
  port: { variable: string; value: number },
  host: string,
): Promise<void> {
  try {
    await app.listen(port.value, host);
  } catch (error) {
    const problem = listenProblem(error as NodeJS.ErrnoException, port, host);
    if (problem === undefined) throw error;
    process.stderr.write(`${service}: cannot listen: ${problem}\n`);
    process.exit(EX_CONFIG);
  }
}

/** Stops everything on SIGTERM / SIGINT, once, then exits. */
export function onShutdown(logger: JsonLogger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.log({ msg: 'stopping', signal }, 'Shutdown');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error(error, 'Shutdown');
        process.exit(1);
      });
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}

/** Body parsing shared by every HTTP surface: JSON up to 2 MiB (PRODUCT.md §1). */
export function configureHttp(
  app: INestApplication,
  metrics: Metrics,
  logger: JsonLogger,
  beforeBodyParsing: express.RequestHandler[] = [],
): void {
  // No X-Powered-By; no ETag: answers are `no-store` and never asked for conditionally, and hashing every
  // body costs each request several µs (static files, such as the dashboard's, keep theirs).
  app.getHttpAdapter().getInstance().set('etag', false).disable('x-powered-by');
  app.use(requestContextMiddleware);
  app.use(accessLogMiddleware(logger));
  app.use(metrics.middleware);
  for (const middleware of beforeBodyParsing) app.use(middleware);
  app.use(acceptUtf8CharsetAliases);
  // strict: false: `null` or `3` is valid JSON, answered by validation ("must be a JSON object"), not INVALID_JSON.
  app.use(
    express.json({
      limit: '2mb',
      type: ['application/json', 'application/*+json'],
      strict: false,
      // Refused before parsing: a body that is not UTF-8, and a deeply nested one (the costly kind to parse).
      verify: refuseUnreadableJson,
    }),
  );
  // NDJSON under both its names: `application/x-ndjson` and the registered `application/ndjson`.
  app.use(
    express.text({
      limit: '2mb',
      type: ['application/x-ndjson', 'application/ndjson', 'text/plain'],
      verify: refuseNonUtf8,
    }),
  );
}

/**
 * Boots a service that owns a database: waits for PostgreSQL and NATS, migrates, provisions the
 * JetStream streams, serves RPC over NATS and health/metrics over HTTP, relays its outbox.
 */
export async function runService<Env extends ServiceEnv>(
  definition: ServiceDefinition<Env>,
): Promise<INestApplication> {
  const config = loadConfigOrExit(definition.name, definition.env);
  const logger = new JsonLogger(definition.name, config.LOG_LEVEL);
  const metrics = new Metrics(definition.name);
  let stopping = false;

  const dataSource = createServiceDataSource({
    url: config.DATABASE_URL,
    migrations: definition.migrations,
    applicationName: definition.name,
  });
  await waitFor(
    describeDatabaseUrl(config.DATABASE_URL),
    () => dataSource.initialize(),
    logger,
    () => stopping,
  );
  // Said before, as a migration of a large table (the audit log) can take minutes and the service answers nothing meanwhile.
  if (await dataSource.showMigrations()) logger.log({ msg: 'applying database migrations' }, 'Startup');
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  if (applied.length > 0) logger.log({ msg: 'migrations applied', migrations: applied.map((m) => m.name) }, 'Startup');

  const nats = await waitFor(
    `NATS at ${config.NATS_URL}`,
    () => NatsConnectionHolder.connect({ servers: config.NATS_URL, name: definition.name }),
    logger,
  );
  nats.assertMessageLimit();
  await provisionStreams(await nats.manager(), config.NATS_STREAM_REPLICAS);

  const context: ServiceContext<Env> = { name: definition.name, config, logger, dataSource, nats, metrics };

  @Module({})
  class ServiceRootModule {}
  const databaseReadiness = new DatabaseReadiness(dataSource);
  const root: DynamicModule = {
    module: ServiceRootModule,
    global: true,
    imports: definition.imports?.(context) ?? [],
    controllers: [HealthController, createPingController(definition.name)],
    providers: [
      { provide: DataSource, useValue: dataSource },
      { provide: NatsConnectionHolder, useValue: nats },
      { provide: Metrics, useValue: metrics },
      { provide: SERVICE_CONFIG, useValue: config },
      { provide: SERVICE_NAME, useValue: definition.name },
      { provide: READINESS_CHECKS, useValue: [databaseReadiness, nats] },
      { provide: METRICS_TOKEN, useValue: config.METRICS_TOKEN },
      { provide: APP_FILTER, useClass: ProblemExceptionFilter },
      { provide: APP_FILTER, useClass: RpcErrorFilter },
      { provide: APP_INTERCEPTOR, useClass: MalformedRequestInterceptor },
      { provide: APP_PIPE, useFactory: createRpcValidationPipe },
    ],
    exports: [DataSource, NatsConnectionHolder, Metrics, SERVICE_CONFIG, SERVICE_NAME],
  };

  cacheValidationMetadata();
  const app = await NestFactory.create(root, new PrototypeStableExpressAdapter(), { logger, bodyParser: false });
  configureHttp(app, metrics, logger);
  app.connectMicroservice<MicroserviceOptions>(natsServerOptions(config.NATS_URL, definition.name), {
    inheritAppConfig: true,
  });
  await app.startAllMicroservices();
  await listenOrExit(definition.name, app, { variable: 'HTTP_PORT', value: config.HTTP_PORT }, config.HOST);

  const relay = new OutboxRelay(dataSource, new JetStreamEventPublisher(nats.jetstream), logger, {
    lockName: definition.name,
  });
  relay.start();
  const sweeper = inboxSweeper(dataSource, logger);
  sweeper.start();
  const stoppables: Stoppable[] = [relay, sweeper, ...((await definition.afterStart?.(context, app)) ?? [])];

  logger.log({ msg: 'ready', http: await app.getUrl() }, 'Startup');
  onShutdown(logger, async () => {
    stopping = true;
    for (const stoppable of stoppables.reverse()) await stoppable.stop();
    await app.close();
    await nats.close();
    await databaseReadiness.close();
    await dataSource.destroy();
  });
  return app;
}
