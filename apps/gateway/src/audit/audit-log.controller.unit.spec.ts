import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { drainedOrClosed } from './audit-log.controller';

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
