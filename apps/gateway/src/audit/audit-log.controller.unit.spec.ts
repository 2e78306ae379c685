import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { AuditExportQuery } from '#contracts';
import type { RpcClient } from '../rpc/rpc-client';
import { AuditLogController, drainedOrClosed } from './audit-log.controller';

describe('drainedOrClosed', () => {
  it('leaves no listener behind, whichever event ends the wait, over many waits', async () => {
    const request = new EventEmitter();
    const response = new EventEmitter();
    for (let wait = 0; wait < 50; wait += 1) {
      const waiting = drainedOrClosed(request as Request, response as unknown as Response);
      (wait % 2 ? request : response).emit(wait % 2 ? 'close' : 'drain');
      await waiting;
    }
    expect([response.listenerCount('drain'), request.listenerCount('close')]).toEqual([0, 0]);
  });
});

describe('AuditLogController.export', () => {
  const page = (next_cursor: string | null) => ({ events: [], next_cursor });
  const run = async (method: string) => {
    const rpc = { request: jest.fn().mockResolvedValueOnce(page('c1')).mockResolvedValue(page(null)) };
    const request = Object.assign(new EventEmitter(), { method, identity: { account: { id: 'account-1' } } });
    const response = Object.assign(new EventEmitter(), {
      writableFinished: false,
      status: jest.fn(),
      setHeader: jest.fn(),
      write: jest.fn().mockReturnValue(true),
      end: jest.fn(),
    });
    const query = Object.assign(new AuditExportQuery(), { format: 'csv' as const });
    await new AuditLogController(rpc as unknown as RpcClient).export(
      query,
      request as unknown as Request,
      response as unknown as Response,
    );
    return {
      pages: rpc.request.mock.calls.length,
      writes: response.write.mock.calls.length,
      ended: response.end.mock.calls.length,
    };
  };

  it('for HEAD asks for the first page only (its errors are the export’s) and writes no body', async () => {
    expect(await run('HEAD')).toEqual({ pages: 1, writes: 0, ended: 1 });
  });

  it('for GET goes through every page', async () => {
    expect(await run('GET')).toEqual({ pages: 2, writes: 1, ended: 1 });
  });
});
