import { QueryFailedError } from 'typeorm';
import { RpcErrorCode } from '#contracts';
import { isDatabaseUnavailable, toRpcErrorBody } from './rpc-exception.filter';

/** An error as node-postgres makes them: a message, and a code (an errno or a SQLSTATE). */
const driverError = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

describe('toRpcErrorBody for database errors', () => {
  it.each([
    ['a refused connection', driverError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a connection lost mid-query', driverError('Connection terminated unexpectedly')],
    ['a pool that could not connect in time', driverError('timeout exceeded when trying to connect')],
    ['a server shutting down (57P01)', driverError('terminating connection due to administrator command', '57P01')],
    ['a server starting up (57P03)', driverError('the database system is starting up', '57P03')],
    ['a connection failure (08006)', driverError('connection failure', '08006')],
    ['too many connections (53300)', driverError('sorry, too many clients already', '53300')],
    [
      'a query TypeORM wrapped',
      new QueryFailedError('SELECT 1', [], driverError('terminating connection due to administrator command', '57P01')),
    ],
  ])('answers %s as SERVICE_UNAVAILABLE', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(toRpcErrorBody(error)).toEqual({ code: RpcErrorCode.Unavailable, message: 'the database is not reachable' });
  });

  it.each([
    ['a unique violation (23505)', new QueryFailedError('INSERT', [], driverError('duplicate key value', '23505'))],
    ['a syntax error (42601)', new QueryFailedError('SELEC', [], driverError('syntax error', '42601'))],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
  ])('answers %s as INTERNAL_ERROR', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
    expect(toRpcErrorBody(error)).toEqual({ code: RpcErrorCode.Internal, message: 'internal error' });
  });
});
