import type { ServerResponse } from 'node:http';

/** The status a request is recorded with when the client closed the connection before its answer (as nginx logs it). */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * Calls `done` once with the answer's status when it has been sent, or with CLIENT_CLOSED_REQUEST when the
 * client went away first (`finish` never comes then; `close` always does, after `finish` when there was one,
 * unless it came before this was called). Call it before the answer is begun.
 */
export function whenAnswered(response: ServerResponse, done: (status: number) => void): void {
  // A client that went away while the request was being checked (a key looked up, an hour's count read) closed
  // it before anyone listened: no answer can reach it any more.
  if (response.destroyed || response.socket?.destroyed === true) process.nextTick(() => done(CLIENT_CLOSED_REQUEST));
  else response.once('close', () => done(response.writableFinished ? response.statusCode : CLIENT_CLOSED_REQUEST));
}
