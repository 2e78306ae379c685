import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { JsonLogger, Metrics } from '#common';
import { NatsConnectionHolder, provisionStreams } from '#messaging';
import { configureHttp, loadConfigOrExit, onShutdown, waitFor } from '#runtime';
import { GatewayEnv } from './config/gateway.env';
import { serveDashboard } from './dashboard/dashboard';
import { GatewayModule } from './gateway.module';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit('gateway', GatewayEnv);
  const logger = new JsonLogger('gateway', config.LOG_LEVEL);
  const metrics = new Metrics('gateway');
  const nats = await waitFor(
    `NATS at ${config.NATS_URL}`,
    () => NatsConnectionHolder.connect({ servers: config.NATS_URL, name: 'gateway' }),
    logger,
  );
  await provisionStreams(await nats.manager());

  const app = await NestFactory.create(GatewayModule.forRoot({ config, nats, metrics }), { logger, bodyParser: false });
  app.getHttpAdapter().getInstance().set('trust proxy', false).disable('x-powered-by');
  configureHttp(app, metrics, logger);
  serveDashboard(app);
  await app.listen(config.PORT, config.HOST);
  logger.log({ msg: 'ready', url: `http://localhost:${config.PORT}` }, 'Startup');
  onShutdown(logger, async () => {
    await app.close();
    await nats.close();
  });
}

void bootstrap();
