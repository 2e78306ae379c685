import { type ArgumentsHost, HttpStatus, Logger } from '@nestjs/common';
import { ProblemError } from '#common';
import { RpcErrorCode } from '#contracts';
import type { AuthGuard } from '../auth/auth.guard';
import { AuthProblems } from '../auth/auth.errors';
import { RpcCallError } from '../rpc/rpc-client';
import { GatewayProblemFilter, rpcErrorToProblem } from './gateway-problem.filter';

// The filter logs what fails; the test's failure is expected.
beforeAll(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));

describe('rpcErrorToProblem', () => {
  it('keeps the fields a service named in VALIDATION_FAILED', () => {
    const sut = rpcErrorToProblem(
      new RpcCallError({
        code: RpcErrorCode.ValidationFailed,
        message: 'expires_at must be in the future',
        validation_errors: [{ field: 'expires_at', message: 'must be in the future' }],
      }),
    );
    expect([sut.status, sut.code, sut.extras.validationErrors]).toEqual([
      400,
      'VALIDATION_FAILED',
      [{ field: 'expires_at', message: 'must be in the future' }],
    ]);
  });

  it('answers an unanswered read 503 "retry shortly", and says an unanswered write may have been made', () => {
    const unavailable = new RpcCallError({ code: RpcErrorCode.Unavailable, message: 'the database is not reachable' });
    const read = rpcErrorToProblem(unavailable, 'GET');
    const write = rpcErrorToProblem(unavailable, 'POST');

    expect([read.status, read.code, read.message]).toEqual([
      503,
      'SERVICE_UNAVAILABLE',
      'a database is not reachable; retry shortly',
    ]);
    const timedOut = rpcErrorToProblem(
      new RpcCallError({ code: RpcErrorCode.Unavailable, message: 'request on keys.rpc.keys.get timed out' }),
    );
    expect(timedOut.message).toBe('a service did not answer in time; retry shortly');
    expect([write.status, write.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    expect(write.message).toBe(
      'a database is not reachable, so a change this request asked for may or may not have been made: read the resource before retrying (a create is safe to retry with the same Idempotency-Key)',
    );
    expect(write.extras.headers).toEqual({ 'Retry-After': '1' });
  });

  it.each([RpcErrorCode.ValidationFailed, RpcErrorCode.MalformedRequest])(
    'lists the request as a whole when a service named no field (%s)',
    (code) => {
      const sut = rpcErrorToProblem(new RpcCallError({ code, message: 'the request is not valid' }));
      expect([sut.status, sut.code, sut.extras.validationErrors]).toEqual([
        400,
        'VALIDATION_FAILED',
        [{ field: '(request)', message: 'the request is not valid' }],
      ]);
    },
  );
});

describe('GatewayProblemFilter', () => {
  /** A response that records what was sent (renderProblem's calls), and a host that hands it out. */
  function exchange() {
    const sent: { status?: number; body?: string; headers: Record<string, string> } = { headers: {} };
    const response = {
      headersSent: false,
      setHeader: (name: string, value: string) => (sent.headers[name.toLowerCase()] = value),
      getHeader: () => undefined,
      status(code: number) {
        sent.status = code;
        return this;
      },
      type() {
        return this;
      },
      send(body: string) {
        sent.body = body;
        return this;
      },
      end() {
        return this;
      },
    };
    const request = { originalUrl: '/api/v1/memories', path: '/api/v1/memories', headers: {}, method: 'POST' };
    const host = {
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
    } as unknown as ArgumentsHost;
    return { host, sent };
  }
  const answered = async (sent: { body?: string }) => {
    for (let turn = 0; turn < 20 && sent.body === undefined; turn += 1) await new Promise(setImmediate);
    return JSON.parse(sent.body ?? 'null') as { status: number; code: string } | null;
  };
  const early = new ProblemError(HttpStatus.BAD_REQUEST, 'INVALID_JSON', 'the request body is not valid JSON');

  it('answers the credentials’ refusal instead of the early error when there is one', async () => {
    const guard = { authenticateBeforeRouting: async () => AuthProblems.invalid() } as unknown as AuthGuard;
    const { host, sent } = exchange();
    new GatewayProblemFilter(guard).catch(early, host);
    expect(await answered(sent)).toMatchObject({ status: 401, code: 'AUTH_INVALID' });
    expect(sent.headers['www-authenticate']).toContain('invalid_token');
  });

  it('answers the early error when the credentials pass, and when checking them fails', async () => {
    for (const authenticateBeforeRouting of [
      async () => undefined,
      async () => {
        throw new Error('the limiter broke');
      },
    ]) {
      const { host, sent } = exchange();
      new GatewayProblemFilter({ authenticateBeforeRouting } as unknown as AuthGuard).catch(early, host);
      expect(await answered(sent)).toMatchObject({ status: 400, code: 'INVALID_JSON' });
    }
  });
});
