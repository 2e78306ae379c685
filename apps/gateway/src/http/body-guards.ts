import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpStatus } from '@nestjs/common';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails, ProblemError, SECURITY_HEADERS, problemTypeUri } from '#common';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/**
 * A body that is not JSON where JSON is expected is 415 (PRODUCT.md §1). Routes that take another
 * type (the NDJSON import, the OAuth token and revocation forms) are listed by path. The refusal goes to the
 * exception filter, as body-parser's do, so that an API key it carries is still accounted for.
 */
export function requireJsonBodies(otherTypes: Record<string, RegExp>) {
  return (request: Request, _response: Response, next: NextFunction): void => {
    if (!BODY_METHODS.has(request.method) || !hasBody(request)) return next();
    const type = request.headers['content-type'] ?? '';
    const allowed = otherTypes[request.path];
    if (JSON_TYPE.test(type) || (allowed && allowed.test(type))) return next();
    next(
      new ProblemError(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'UNSUPPORTED_MEDIA_TYPE',
        `send the body as application/json${allowed ? ' or as the type this route documents' : ''}`,
      ),
    );
  };
}

/** How a request Node's HTTP parser refused is answered, by the parser's error code. */
interface ParserRefusal {
  status: number;
  code: string;
  detail: string;
}

const HEADERS_TOO_LARGE: ParserRefusal = {
  status: 431,
  code: 'HEADERS_TOO_LARGE',
  detail: 'the request line and headers are larger than 16 KiB',
};
const REQUEST_TIMEOUT: ParserRefusal = {
  status: 408,
  code: 'REQUEST_TIMEOUT',
  detail: 'the request was not received in time: send the whole request without pausing',
};
const malformed = (detail: string): ParserRefusal => ({ status: 400, code: 'MALFORMED_REQUEST', detail });

export function parserRefusal(errorCode: string | undefined): ParserRefusal {
  switch (errorCode) {
    case 'HPE_HEADER_OVERFLOW':
      return HEADERS_TOO_LARGE;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return REQUEST_TIMEOUT;
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_HEADER_VALUE':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return malformed('a header is not valid HTTP: it contains a forbidden character such as NUL or a newline');
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CONTENT_LENGTH':
      return malformed('the body framing is ambiguous or invalid: send either Content-Length or chunked, once');
    case 'HPE_INVALID_CHUNK_SIZE':
      return malformed('the chunked body is not valid HTTP');
    default:
      return malformed('the request is not valid HTTP/1.1');
  }
}

/**
 * Requests Node's HTTP parser refuses (a NUL or newline inside a header, headers over 16 KiB, a request
 * that stalls) never reach Express. They are answered with problem+json too, with the headers every
 * answer carries (PRODUCT.md §1), instead of a bare 400 or a silently closed connection.
 */
export function answerMalformedHttp(server: Server): void {
  server.on('clientError', (error: Error & { code?: string }, socket: Socket) => {
    // An answer already under way on this connection (a pipelined request after it failed, an export
    // still streaming) must not get status bytes in the middle of its body: the connection just ends.
    const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || answering?.headersSent) return socket.destroy();
    const { status, code, detail } = parserRefusal(error.code);
    // Node's reason phrases: titleForStatus knows no name for 431.
    const reason = STATUS_CODES[status] ?? 'Error';
    const requestId = randomUUID();
    const problem: ProblemDetails = {
      type: problemTypeUri(code),
      title: reason,
      status,
      detail,
      code,
      request_id: requestId,
      instance: '',
    };
    const body = JSON.stringify(problem);
    socket.end(
      [
        `HTTP/1.1 ${status} ${reason}`,
        `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
        `Content-Length: ${Buffer.byteLength(body)}`,
        `X-Request-Id: ${requestId}`,
        ...Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
        'Cache-Control: no-store',
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    );
  });
}
