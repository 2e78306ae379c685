import { type IncomingMessage, type Server, type ServerResponse, Agent, createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLIENT_CLOSED_REQUEST, whenAnswered } from './when-answered';

describe('whenAnswered (a real HTTP server)', () => {
  let server: Server;
  let port: number;
  const recorded: [string, number][] = [];
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const listen = () => whenAnswered(response, (status) => recorded.push([request.url ?? '', status]));
    response.statusCode = request.url === '/missing' ? 404 : 200;
    if (request.url === '/slow') {
      listen();
      setTimeout(() => response.end('late'), 300);
    } else if (request.url === '/checked-slowly') {
      // Listens only after a wait (the guard's key check), when the client may have gone already.
      setTimeout(() => {
        listen();
        response.end('late');
      }, 300);
    } else {
      listen();
      response.end('now');
    }
  };

  beforeAll(async () => {
    server = createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => (recorded.length = 0));

  const fetchOver = (agent: Agent, path: string) =>
    new Promise<void>((resolve) => get({ port, path, agent }, (response) => response.resume().on('end', resolve)));

  it('records each answer once with its status, on kept-alive connections too', async () => {
    const agent = new Agent({ keepAlive: true });
    await fetchOver(agent, '/one');
    await fetchOver(agent, '/missing');
    agent.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(recorded).toEqual([
      ['/one', 200],
      ['/missing', 404],
    ]);
  });

  it('records a request whose client went away before the answer as 499', async () => {
    const request = get({ port, path: '/slow' });
    request.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    request.destroy();
    await new Promise((resolve) => setTimeout(resolve, 400));

    expect(recorded).toEqual([['/slow', CLIENT_CLOSED_REQUEST]]);
  });

  it('records a request whose client went away before anyone listened as 499, once', async () => {
    const request = get({ port, path: '/checked-slowly' });
    request.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    request.destroy();
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(recorded).toEqual([['/checked-slowly', CLIENT_CLOSED_REQUEST]]);
  });
});
