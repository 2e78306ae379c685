import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { redactText } from '../logging/redact';
import { MAX_JSON_NESTING, MAX_JSON_OBJECT_MEMBERS } from './json-nesting';
import { currentRequestId } from '../logging/request-context';
import {
  BEARER_CHALLENGE,
  PROBLEM_CONTENT_TYPE,
  ProblemError,
  type ProblemDetails,
  problemTypeUri,
  titleForStatus,
} from './problem';

/** body-parser marks its errors with a `type`; they arrive before any route runs. */
interface BodyParserError {
  type: string;
  status: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as BodyParserError).type === 'string' &&
    typeof (error as BodyParserError).status === 'number'
  );
}

interface RouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): unknown;
}

/** The methods that other routes accept on this path (Express's route table), upper-case. */
function allowedMethods(request: Request | undefined): string[] {
  const stack = (request?.app as { router?: { stack?: RouteLayer[] } } | undefined)?.router?.stack ?? [];
  const methods = new Set<string>();
  for (const layer of stack) {
    if (!layer.route || !layer.match(request!.path)) continue;
    for (const method of Object.keys(layer.route.methods)) methods.add(method.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/**
 * zlib's or brotli's failure to decompress a body body-parser read with its Content-Encoding (`Z_DATA_ERROR`,
 * `ERR__ERROR_FORMAT_…`): the body cannot be read, which is not a field's validation error.
 */
function isDecompressionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return error instanceof Error && typeof code === 'string' && /^(Z_|ERR__)/.test(code);
}

/**
 * Turns every error into problem+json. Unknown errors are logged and answered without details. With
 * the request, an unmatched route whose path other methods accept is 405 with `Allow`.
 */
export function toProblemError(error: unknown, request?: Request): ProblemError {
  if (error instanceof ProblemError) return error;
  // Nest's Express adapter wraps body-parser's errors in an HttpException, keeping them as `cause`.
  const underlying = error instanceof HttpException && isBodyParserError(error.cause) ? error.cause : error;
  if (isBodyParserError(underlying)) {
    switch (underlying.type) {
      case 'entity.too.large':
        return new ProblemError(
          HttpStatus.PAYLOAD_TOO_LARGE,
          'PAYLOAD_TOO_LARGE',
          'the request body is larger than 2 MiB',
        );
      case 'entity.parse.failed':
        return new ProblemError(HttpStatus.BAD_REQUEST, 'INVALID_JSON', 'the request body is not valid JSON');
      case 'entity.not.utf8':
        return new ProblemError(
          HttpStatus.BAD_REQUEST,
          'INVALID_JSON',
          'the request body is not UTF-8: send JSON (and NDJSON) as UTF-8 text',
        );
      case 'entity.too.deep':
        return new ProblemError(
          HttpStatus.BAD_REQUEST,
          'VALIDATION_FAILED',
          'the request is not valid: see validation_errors',
          {
            validationErrors: [{ field: '(body)', message: `is nested more than ${MAX_JSON_NESTING} levels deep` }],
          },
        );
      case 'entity.too.wide':
        return new ProblemError(
          HttpStatus.BAD_REQUEST,
          'VALIDATION_FAILED',
          'the request is not valid: see validation_errors',
          {
            validationErrors: [
              { field: '(body)', message: `holds an object with more than ${MAX_JSON_OBJECT_MEMBERS} members` },
            ],
          },
        );
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return new ProblemError(
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          'UNSUPPORTED_MEDIA_TYPE',
          'the request body encoding is not supported',
        );
    }
  }
  if (isDecompressionError(error instanceof HttpException ? error.cause : error)) {
    // Only the encodings body-parser decompresses get here; the header is not echoed otherwise.
    const header = String(request?.headers['content-encoding'] ?? '').toLowerCase();
    const encoding = ['gzip', 'x-gzip', 'deflate', 'br'].includes(header) ? header : 'compressed';
    return new ProblemError(
      HttpStatus.BAD_REQUEST,
      'INVALID_JSON',
      `the request body is not ${encoding} data, as its Content-Encoding says`,
    );
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    switch (status) {
      case HttpStatus.NOT_FOUND: {
        const allowed = allowedMethods(request);
        if (allowed.length > 0 && !allowed.includes(request!.method)) {
          return new ProblemError(
            HttpStatus.METHOD_NOT_ALLOWED,
            'METHOD_NOT_ALLOWED',
            `this path accepts ${allowed.join(', ')}`,
            {
              headers: { Allow: allowed.join(', ') },
            },
          );
        }
        return new ProblemError(status, 'NOT_FOUND', 'no route matches this path');
      }
      case HttpStatus.METHOD_NOT_ALLOWED:
        return new ProblemError(status, 'METHOD_NOT_ALLOWED', 'this path does not accept this method');
      case HttpStatus.PAYLOAD_TOO_LARGE:
        return new ProblemError(status, 'PAYLOAD_TOO_LARGE', 'the request body is larger than 2 MiB');
      case HttpStatus.BAD_REQUEST: {
        // The router's own 400: a path segment that is not percent-encoded UTF-8 (`%FF`, a lone `%`).
        const badPath = /^Failed to decode param/.test(error.message);
        const message = badPath ? 'is not valid percent-encoded UTF-8' : error.message;
        return new ProblemError(status, 'VALIDATION_FAILED', badPath ? `the path ${message}` : message, {
          validationErrors: [{ field: badPath ? '(path)' : '(request)', message }],
        });
      }
      default:
        return new ProblemError(status, status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', error.message);
    }
  }
  return new ProblemError(
    HttpStatus.INTERNAL_SERVER_ERROR,
    'INTERNAL_ERROR',
    'an unexpected error occurred; quote the request id when reporting it',
  );
}

/** The most of a field name or message an error echoes: an unknown field may be named by a 2 MB key. */
const ECHO_LIMIT = 512;
const shortened = (text: string): string => (text.length > ECHO_LIMIT ? `${text.slice(0, ECHO_LIMIT)}…` : text);

/**
 * Every text of an error body that can echo what the client sent (the path, a field name, a value) is
 * masked for API-key shapes (PRODUCT.md §1: no secret in an error), as logs are.
 */
export function renderProblem(error: ProblemError, request: Request, response: Response): void {
  const body: ProblemDetails = {
    type: problemTypeUri(error.code),
    title: titleForStatus(error.status),
    status: error.status,
    detail: redactText(error.detail),
    code: error.code,
    request_id: currentRequestId() ?? String(response.getHeader('X-Request-Id') ?? ''),
    instance: redactText(request.originalUrl.split('?')[0]),
  };
  if (error.extras.validationErrors)
    body.validation_errors = error.extras.validationErrors.map(({ field, message }) => ({
      field: redactText(shortened(field)),
      message: redactText(shortened(message)),
    }));
  const headers = error.extras.headers ?? {};
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  // Every 401 names its scheme (RFC 9110 §15.5.2, PRODUCT.md §3.4), a wrong password's too; the guards that know
  // more (error="invalid_token", the MCP resource metadata) set their own.
  if (
    error.status === HttpStatus.UNAUTHORIZED &&
    !Object.keys(headers).some((name) => name.toLowerCase() === 'www-authenticate')
  )
    response.setHeader('WWW-Authenticate', BEARER_CHALLENGE);
  response.status(error.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

@Catch()
export class ProblemExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const problem = toProblemError(exception, request);
    if (problem.status >= 500) this.logger.error(exception);
    renderProblem(problem, request, http.getResponse<Response>());
  }
}
