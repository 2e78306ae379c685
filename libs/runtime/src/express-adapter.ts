import { IncomingMessage, type Server, ServerResponse, createServer } from 'node:http';
import type { Socket } from 'node:net';
import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import express, { type Express } from 'express';

/**
 * Request and response classes whose prototypes are the Express app's own `request` and `response`.
 *
 * Express (5.x) moves every incoming request and response onto those prototypes with
 * `Object.setPrototypeOf` when it starts handling them. In V8 that makes each request's objects survive
 * young-generation collections: measured on the gateway under a steady 3,000 req/s, 35 to 45 % of
 * everything allocated was copied and promoted, each scavenge paused the process for 5 to 10 ms, and
 * those pauses were the p99 latency of every route. Created with the right prototype from the start,
 * Express's `setPrototypeOf` finds nothing to change: survival falls to 0.1 % and a scavenge to 0.5 ms.
 */
export function expressMessageClasses(app: Express): {
  IncomingMessage: typeof IncomingMessage;
  ServerResponse: typeof ServerResponse;
} {
  // Function constructors, not classes: a class's `prototype` cannot be replaced. Node's own
  // IncomingMessage and ServerResponse are plain functions, so calling them on `this` is how they are
  // meant to be extended.
  function ExpressRequest(this: IncomingMessage, socket: Socket): void {
    Reflect.apply(IncomingMessage, this, [socket]);
  }
  ExpressRequest.prototype = app.request;
  function ExpressResponse(this: ServerResponse, request: IncomingMessage, options: unknown): void {
    Reflect.apply(ServerResponse, this, [request, options]);
  }
  ExpressResponse.prototype = app.response;
  return {
    IncomingMessage: ExpressRequest as unknown as typeof IncomingMessage,
    ServerResponse: ExpressResponse as unknown as typeof ServerResponse,
  };
}

/**
 * Nest's Express adapter, with an HTTP server that creates requests and responses on Express's prototypes,
 * and case-sensitive routes: `/API/V1/PROMPTS` is not `/api/v1/prompts` (one spelling per resource, as the
 * OpenAPI document and every client write it, and no second spelling for a proxy's rules to miss).
 */
export class PrototypeStableExpressAdapter extends ExpressAdapter {
  private closing = false;

  constructor() {
    // Read when Express creates its router, which Nest's adapter does at once: set on the app it is given.
    const app = express();
    app.set('case sensitive routing', true);
    super(app);
  }

  override initHttpServer(options: NestApplicationOptions): void {
    // HTTPS, 503-while-closing and forced connection closing are left to Nest's own server setup; none
    // of our applications asks for them.
    if (options?.httpsOptions || options?.return503OnClosing || options?.forceCloseConnections) {
      super.initHttpServer(options);
      return;
    }
    const app = this.getInstance<Express>();
    this.httpServer = createServer(expressMessageClasses(app), app) as Server;
    // Once the application is closing, every connection ends after the answer it is busy with. `server.close()`
    // closes only the connections idle at that moment: a client that keeps sending on a kept-alive connection
    // (any HTTP client pool under load) kept it open, so the server never finished closing, the shutdown was
    // forced after 10 s (exit 1) while the process went on answering, and what runs after the HTTP server
    // has closed (the gateway's flush of its usage events) never ran.
    this.httpServer.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
      if (this.closing) response.setHeader('Connection', 'close');
    });
  }

  private startClosing(): void {
    if (this.closing) return;
    this.closing = true;
    const server = this.httpServer as Server | undefined;
    if (!server) return;
    // An answer that was already under way when closing began goes out as keep-alive: its connection is
    // closed as soon as it is idle.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    sweep.unref();
    server.once('close', () => clearInterval(sweep));
  }

  /** Nest calls this first when the application closes, before any module is destroyed. */
  override beforeClose(): void {
    this.startClosing();
    super.beforeClose();
  }

  override close(): Promise<void> | undefined {
    this.startClosing();
    return super.close() as Promise<void> | undefined;
  }
}
