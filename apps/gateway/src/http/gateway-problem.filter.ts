import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DATABASE_UNREACHABLE, RpcErrorCode } from '#contracts';
import { ProblemError, renderProblem, toProblemError } from '#common';
import { AuthGuard } from '../auth/auth.guard';
import { JsonRpcError, noteMcpError } from '../mcp/mcp-action';
import { MCP_PATH } from '../oauth/oauth-protocol';
import { RpcCallError } from '../rpc/rpc-client';
import { SAFE_METHODS } from './safe-methods';

/** 400 INTEGRATION_RETIRED: refused by the gateway for a new key, or by key-service for a change. */
export function integrationRetired(message: string): ProblemError {
  return new ProblemError(HttpStatus.BAD_REQUEST, 'INTEGRATION_RETIRED', message, {
    validationErrors: [{ field: 'integrations', message: 'mcp_server is retired' }],
  });
}

/**
 * The detail of a 503: what was out of reach, and for a request that may change something (any method but GET, HEAD
 * and OPTIONS; a read-only POST such as a render cannot be told apart here) that its change may have been made.
 */
function unavailableDetail(message: string, method: string): string {
  const what = message === DATABASE_UNREACHABLE ? 'a database is not reachable' : 'a service did not answer in time';
  if (SAFE_METHODS.has(method)) return `${what}; retry shortly`;
  return `${what}, so a change this request asked for may or may not have been made: read the resource before retrying (a create is safe to retry with the same Idempotency-Key)`;
}

/**
 * Every RPC error code has one HTTP answer; a new code fails to compile until it is mapped here. `method`: the
 * request's, when there is one (a write left unanswered may still have been made, and its 503 says so).
 */
export function rpcErrorToProblem(error: RpcCallError, method = 'GET'): ProblemError {
  const { code, message, validation_errors } = error.body;
  switch (code) {
    case RpcErrorCode.ValidationFailed:
    case RpcErrorCode.MalformedRequest:
      // VALIDATION_FAILED always lists what failed (PRODUCT.md §1); a service that named no field refused the request as a whole.
      return new ProblemError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', message, {
        validationErrors: validation_errors ?? [{ field: '(request)', message }],
      });
    case RpcErrorCode.ResourceNotFound:
      return new ProblemError(HttpStatus.NOT_FOUND, 'RESOURCE_NOT_FOUND', message);
    case RpcErrorCode.ResourceExists:
      return new ProblemError(HttpStatus.CONFLICT, 'RESOURCE_EXISTS', message);
    case RpcErrorCode.VersionConflict:
      return new ProblemError(HttpStatus.CONFLICT, 'VERSION_CONFLICT', message);
    case RpcErrorCode.Forbidden:
      return new ProblemError(HttpStatus.FORBIDDEN, 'FORBIDDEN', message);
    case RpcErrorCode.EmailTaken:
      return new ProblemError(HttpStatus.CONFLICT, 'EMAIL_TAKEN', message);
    case RpcErrorCode.IntegrationRetired:
      return integrationRetired(message);
    case RpcErrorCode.KeyRevoked:
      return new ProblemError(HttpStatus.CONFLICT, 'KEY_REVOKED', message);
    case RpcErrorCode.KeyAlreadyRotated:
      return new ProblemError(HttpStatus.CONFLICT, 'KEY_ALREADY_ROTATED', message);
    case RpcErrorCode.TemplateCycle:
      return new ProblemError(HttpStatus.UNPROCESSABLE_ENTITY, 'TEMPLATE_CYCLE', message);
    case RpcErrorCode.TemplateTooDeep:
      return new ProblemError(HttpStatus.UNPROCESSABLE_ENTITY, 'TEMPLATE_TOO_DEEP', message);
    case RpcErrorCode.TemplateTooLarge:
      return new ProblemError(HttpStatus.UNPROCESSABLE_ENTITY, 'TEMPLATE_TOO_LARGE', message);
    case RpcErrorCode.ResponseTooLarge:
      return new ProblemError(HttpStatus.UNPROCESSABLE_ENTITY, 'RESPONSE_TOO_LARGE', message);
    case RpcErrorCode.ResourceInUse:
      return new ProblemError(HttpStatus.CONFLICT, 'RESOURCE_IN_USE', message);
    case RpcErrorCode.IdempotencyKeyReused:
      return new ProblemError(HttpStatus.UNPROCESSABLE_ENTITY, 'IDEMPOTENCY_KEY_REUSED', message);
    case RpcErrorCode.Unavailable:
      return new ProblemError(
        HttpStatus.SERVICE_UNAVAILABLE,
        'SERVICE_UNAVAILABLE',
        unavailableDetail(message, method),
        { headers: { 'Retry-After': '1' } },
      );
    case RpcErrorCode.Internal:
      return new ProblemError(
        HttpStatus.INTERNAL_SERVER_ERROR,
        'INTERNAL_ERROR',
        'an unexpected error occurred; quote the request id when reporting it',
      );
  }
}

/**
 * The gateway's edge: RPC errors, problem errors and anything else become problem+json. A request refused before
 * routing (a body that is not JSON, too large or of another type; an unknown route or method) is authenticated
 * first, as the guard would have (AuthGuard.authenticateBeforeRouting): a refusal of its credentials is the answer
 * then. The answer is always sent: a failure of that step is logged and the early error answered.
 */
@Catch()
export class GatewayProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('GatewayProblemFilter');

  constructor(private readonly guard: AuthGuard) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const problem =
      exception instanceof RpcCallError
        ? rpcErrorToProblem(exception, request.method)
        : toProblemError(exception, request);
    if (problem.status >= 500 && problem.status !== HttpStatus.SERVICE_UNAVAILABLE) this.logger.error(exception);
    void this.guard
      .authenticateBeforeRouting(request, response)
      .then(
        (refusal) => refusal ?? problem,
        (error: unknown) => {
          this.logger.error(error);
          return problem;
        },
      )
      .then((answer) => {
        // An MCP client reads JSON-RPC: a body that is not JSON is its parse error (JSON-RPC 2.0 §5.1).
        if (answer.code === 'INVALID_JSON' && request.path.replace(/\/+$/, '') === MCP_PATH) {
          noteMcpError(request, JsonRpcError.parseError);
          response
            .status(HttpStatus.BAD_REQUEST)
            .json({ jsonrpc: '2.0', id: null, error: { code: JsonRpcError.parseError, message: answer.detail } });
          return;
        }
        renderProblem(answer, request, response);
      })
      .catch((error: unknown) => {
        this.logger.error(error);
        if (!response.headersSent) response.status(HttpStatus.INTERNAL_SERVER_ERROR).end();
      });
  }
}
