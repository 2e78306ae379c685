import { RpcErrorCode } from '#contracts';
import { RpcCallError } from '../rpc/rpc-client';
import { rpcErrorToProblem } from './gateway-problem.filter';

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
