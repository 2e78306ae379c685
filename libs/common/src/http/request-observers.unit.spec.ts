import express from 'express';
import { type Server, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonLogger } from '../logging/logger';
import { Metrics } from '../metrics/metrics';
import { accessLogMiddleware } from './access-log.middleware';

/** The access log and the request metrics see every request, also one whose client left before its answer. */
describe('access log and request metrics (a real Express server)', () => {
  let server: Server;
  let port: number;
  const metrics = new Metrics('test');
  const lines: { level: string; fields: Record<string, unknown> }[] = [];
  const recordingLogger = {
    isLevelEnabled: () => true,
    at: (level: string, fields: Record<string, unknown>) => lines.push({ level, fields }),
  } as unknown as JsonLogger;

  beforeAll(async () => {
    const app = express();
    app.use(metrics.middleware);
    app.use(accessLogMiddleware(recordingLogger));
    app.get('/fast', (_request, response) => void response.send('ok'));
    app.get('/slow', (_request, response) => void setTimeout(() => response.send('late'), 300));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const histogram = async () => (await metrics.registry.getSingleMetricAsString('http_request_duration_seconds')) ?? '';

  it('records an answered request with its status', async () => {
    await new Promise<void>((resolve) =>
      get({ port, path: '/fast' }, (response) => response.resume().on('end', resolve)),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(lines).toContainEqual({ level: 'debug', fields: expect.objectContaining({ path: '/fast', status: 200 }) });
    expect(await histogram()).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/fast",status="200"[^}]*\} 1/);
  });

  it('records a request whose client went away before the answer as 499, at info', async () => {
    const request = get({ port, path: '/slow' });
    request.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    request.destroy();
    await new Promise((resolve) => setTimeout(resolve, 400));

    expect(lines.filter((line) => line.fields.path === '/slow')).toEqual([
      { level: 'info', fields: expect.objectContaining({ method: 'GET', status: 499 }) },
    ]);
    expect(await histogram()).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/slow",status="499"[^}]*\} 1/);
  });
});
