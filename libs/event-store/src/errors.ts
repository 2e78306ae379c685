/** PostgreSQL's SQLSTATE for a duplicate key. */
export const UNIQUE_VIOLATION = '23505';

/** Another writer appended to the stream first: reload, decide again, or answer 409. */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number | 'no_stream',
    readonly actualVersion: number | 'unknown',
  ) {
    super(`stream ${streamId} is at version ${actualVersion}, expected ${expectedVersion}`);
  }
}
