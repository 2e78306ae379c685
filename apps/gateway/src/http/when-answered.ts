import type { ServerResponse } from 'node:http';

/** The status a request is recorded with when the client closed the connection before its answer (as nginx logs it). */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * Calls `done` once with the answer's status when it has been sent, or with CLIENT_CLOSED_REQUEST when the
 * client went away first (`finish` never comes then; `close` always does, after `finish` when there was one).
 */
export function whenAnswered(response: ServerResponse, done: (status: number) => void): void {
  response.once('close', () => done(response.writableFinished ? response.statusCode : CLIENT_CLOSED_REQUEST));
}
