import 'reflect-metadata';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import express from 'express';
import { SwaggerModule } from '@nestjs/swagger';
import { JsonLogger, Metrics, cacheValidationMetadata } from '#common';
import { NatsConnectionHolder, provisionStreams } from '#messaging';
import {
  PrototypeStableExpressAdapter,
  configureHttp,
  listenOrExit,
  loadConfigOrExit,
  onShutdown,
  waitFor,
} from '#runtime';
import { LEGACY_IMPORT_PATH, NDJSON_TYPE } from './admin/admin.controller';
import { ROUTE_POLICIES, type RoutePolicies } from './auth/route-policies';
import { GatewayEnv } from './config/gateway.env';
import { MCP_PATH } from './oauth/oauth-protocol';
import { protectApiDocs, serveDashboard } from './dashboard/dashboard';
import { GATEWAY_CONTROLLERS, GatewayModule } from './gateway.module';
import { answerMalformedHttp, requireJsonBodies } from './http/body-guards';
import { oauthCors } from './oauth/oauth-cors';
import { buildOpenApiDocument } from './openapi';

/** OAuth's token and revocation requests are forms (they may also be sent as JSON). */
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;
const FORM_PATHS = new Set(['/oauth/token', '/oauth/revoke']);
/** Forms are parsed on those two routes only (flat name=value pairs), off every other request's path. */
const parseForm = express.urlencoded({ limit: '64kb', extended: false, parameterLimit: 50 });
const oauthForms: express.RequestHandler = (request, response, next) =>
  FORM_PATHS.has(request.path) ? parseForm(request, response, next) : next();

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit('gateway', GatewayEnv);
  const logger = new JsonLogger('gateway', config.LOG_LEVEL);
  const metrics = new Metrics('gateway');
  const nats = await waitFor(
    `NATS at ${config.NATS_URL}`,
    () => NatsConnectionHolder.connect({ servers: config.NATS_URL, name: 'gateway' }),
    logger,
  );
  nats.assertMessageLimit();
  await provisionStreams(await nats.manager(), config.NATS_STREAM_REPLICAS);

  cacheValidationMetadata();
  const app = await NestFactory.create(
    GatewayModule.forRoot({ config, nats, metrics }),
    new PrototypeStableExpressAdapter(),
    {
      logger,
      bodyParser: false,
    },
  );
  // The client address is read by the gateway itself (TRUSTED_PROXIES), never by Express.
  app.getHttpAdapter().getInstance().set('trust proxy', false);
  configureHttp(app, metrics, logger, [
    oauthCors,
    requireJsonBodies({ [LEGACY_IMPORT_PATH]: NDJSON_TYPE, '/oauth/token': FORM_TYPE, '/oauth/revoke': FORM_TYPE }),
    oauthForms,
  ]);
  serveDashboard(app);

  const openApi = buildOpenApiDocument(app, GATEWAY_CONTROLLERS);
  protectApiDocs(app, '/api/docs');
  SwaggerModule.setup('api/docs', app, openApi, { jsonDocumentUrl: 'api/openapi.json' });

  // Routes are registered at init: the guard's table of route policies must know each one.
  await app.init();
  app.get<RoutePolicies>(ROUTE_POLICIES).assertCovers(app.getHttpAdapter().getInstance(), ['/api/v1', MCP_PATH]);
  const server = app.getHttpServer() as Server;
  answerMalformedHttp(server);
  // A client that trickles its headers (slowloris) holds a socket until this runs out: 20 s instead of
  // Node's 60 (Node checks every 30 s, so such a client is answered 408 within 20 to 50 s).
  server.headersTimeout = 20_000;
  // A body is read before its request is authenticated: one that trickles (or never ends) holds its socket until
  // this runs out, 60 s instead of Node's 300 (2 MiB at 40 KB/s still arrives).
  server.requestTimeout = 60_000;
  await listenOrExit('gateway', app, { variable: 'PORT', value: config.PORT }, config.HOST);
  logger.log({ msg: 'ready', url: `http://localhost:${config.PORT}` }, 'Startup');
  onShutdown(logger, async () => {
    await app.close();
    await nats.close();
  });
}

void bootstrap();
