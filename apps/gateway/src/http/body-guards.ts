import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpStatus } from '@nestjs/common';
import { ProblemError, renderProblem } from '#common';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/**
 * A body that is not JSON where JSON is expected is 415 (PRODUCT.md §1). Routes that take another
 * type (the NDJSON import) are listed by path.
 */
export function requireJsonBodies(otherTypes: Record<string, RegExp>) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (!BODY_METHODS.has(request.method) || !hasBody(request)) return next();
    const type = request.headers['content-type'] ?? '';
    const allowed = otherTypes[request.path];
    if (JSON_TYPE.test(type) || (allowed && allowed.test(type))) return next();
    renderProblem(
      new ProblemError(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'UNSUPPORTED_MEDIA_TYPE',
        `send the body as application/json${allowed ? ' or as the type this route documents' : ''}`,
      ),
      request,
      response,
    );
  };
}

/**
 * Requests Node's HTTP parser rejects (a NUL or newline inside a header, headers over 16 KiB) never
 * reach Express; answer them with problem+json too instead of a bare 400.
 */
export function answerMalformedHttp(server: Server): void {
  server.on('clientError', (error: Error & { code?: string }, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify({
      type: `https://docs.vibexp.io/errors/${tooLarge ? 'headers-too-large' : 'malformed-request'}`,
      title: tooLarge ? 'Request Header Fields Too Large' : 'Bad Request',
      status,
      detail: tooLarge
        ? 'the request headers are larger than 16 KiB'
        : 'the request is not valid HTTP (a header contains a forbidden character such as NUL or a newline)',
      code: tooLarge ? 'HEADERS_TOO_LARGE' : 'MALFORMED_REQUEST',
      request_id: randomUUID(),
      instance: '',
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
