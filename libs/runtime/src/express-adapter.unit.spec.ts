import { Agent, IncomingMessage, type Server, ServerResponse, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { PrototypeStableExpressAdapter } from './express-adapter';

describe('PrototypeStableExpressAdapter', () => {
  let adapter: PrototypeStableExpressAdapter;
  let server: Server;
  let app: Express;

  beforeEach(async () => {
    adapter = new PrototypeStableExpressAdapter();
    adapter.initHttpServer({});
    server = adapter.getHttpServer() as Server;
    app = adapter.getInstance<Express>();
    app.get('/hello', (request, response) => {
      response.status(201).json({ path: request.path, query: request.query });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const url = (path: string): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;

  it('creates each request and response on the Express prototypes before Express sees them', async () => {
    const seen: unknown[] = [];
    // Runs before Express's own 'request' listener, which would otherwise move them onto those prototypes.
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
      seen.push(Object.getPrototypeOf(request) === app.request, Object.getPrototypeOf(response) === app.response);
      seen.push(request instanceof IncomingMessage, response instanceof ServerResponse);
    });

    const response = await fetch(url('/hello?a=1'));

    expect(seen).toEqual([true, true, true, true]);
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ path: '/hello', query: { a: '1' } });
  });

  it('keeps Node request and response behaviour: bodies, headers and keep-alive', async () => {
    app.post('/echo', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => response.set('x-length', String(Buffer.concat(chunks).length)).end('done'));
    });

    for (let i = 0; i < 3; i++) {
      const response = await fetch(url('/echo'), { method: 'POST', body: 'x'.repeat(100_000) });
      expect(response.headers.get('x-length')).toBe('100000');
      expect(await response.text()).toBe('done');
    }
  });

  it('ends kept-alive connections after their answer once closing, so close() finishes while a client keeps sending', async () => {
    app.get('/slow', (_request, response) => {
      setTimeout(() => response.end('done'), 100);
    });
    // One kept-alive connection, as an HTTP client pool reuses it under load.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (): Promise<{ connection?: string; socket: unknown }> =>
      new Promise((resolve, reject) => {
        httpRequest(url('/slow'), { agent }, (response) => {
          response.resume();
          response.on('end', () => resolve({ connection: response.headers.connection, socket: response.socket }));
        })
          .on('error', reject)
          .end();
      });
    try {
      expect((await get()).connection).toBe('keep-alive');
      const inFlight = get();
      await new Promise((resolve) => setTimeout(resolve, 20));
      // What Nest does on app.close(): beforeClose() first, then (after the modules' hooks) close().
      adapter.beforeClose();
      const started = Date.now();
      const closed = adapter.close();
      await inFlight;
      // A client that keeps sending: the next request goes on the same connection if it is still open.
      const next = get().catch(() => undefined);
      await closed;
      await next;
      // Before, the connection stayed open after its answer until Node's keep-alive timeout (5 s), and a
      // client sending again on it kept it open for as long as it sent.
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      agent.destroy();
    }
  });
});
