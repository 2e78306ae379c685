import { setTimeout as sleep } from 'node:timers/promises';

/** The longest pause between two attempts of retryOnConcurrency. */
const MAX_RETRY_PAUSE_MS = 50;

/** PostgreSQL's SQLSTATE for a duplicate key. */
export const UNIQUE_VIOLATION = '23505';

/** Another writer appended to the stream first: reload, decide again, or answer 409. */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number | 'no_stream' | 'any',
    readonly actualVersion: number | 'unknown',
  ) {
    super(
      expectedVersion === 'any'
        ? `stream ${streamId} was appended to by another writer at the same moment`
        : `stream ${streamId} is at version ${actualVersion}, expected ${expectedVersion}`,
    );
  }
}

/** Whether a database error is a unique violation of one of these constraints (by name). */
export function isUniqueViolation(error: unknown, ...constraints: string[]): boolean {
  const driverError = (error as { driverError?: { code?: string; constraint?: string } }).driverError;
  return driverError?.code === UNIQUE_VIOLATION && constraints.includes(driverError.constraint ?? '');
}

/**
 * Runs `decideAndAppend` (load the stream, decide, append) again when another writer appended first, for a
 * command whose caller named no version and so asked for no check: a revoke or a delete (the same outcome
 * whoever came first) or a partial update without `expected_version` (its fields are applied on top of the
 * other writer's; where both set the same field, the later one wins, as if sent one after the other). It is
 * decided again on the new state rather than answered 409. Each lost race means another writer finished; the
 * retry waits a moment chosen at random (up to 2^attempt ms, at most 50) so that the writers of one stream spread
 * out instead of colliding again, and enough attempts that dozens of them at once all land. After `attempts`
 * lost races in a row the ConcurrencyError goes to the caller.
 */
export async function retryOnConcurrency<T>(
  decideAndAppend: () => Promise<T>,
  attempts = 30,
  pause: (attempt: number) => Promise<unknown> = (attempt) =>
    sleep(Math.floor(Math.random() * Math.min(MAX_RETRY_PAUSE_MS, 2 ** attempt))),
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await decideAndAppend();
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= attempts) throw error;
      await pause(attempt);
    }
  }
}

/** PostgreSQL's SQLSTATE for a transaction chosen as a deadlock's victim. */
export const DEADLOCK_DETECTED = '40P01';

/**
 * Runs a whole transaction again when PostgreSQL rolled it back as a deadlock's victim (two writers locking the same
 * rows in another order: one is rolled back, the other goes on), up to `attempts` times, after a short random pause.
 */
export async function retryOnDeadlock<T>(transaction: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      const code =
        (error as { driverError?: { code?: string }; code?: string }).driverError?.code ??
        (error as { code?: string }).code;
      if (code !== DEADLOCK_DETECTED || attempt >= attempts) throw error;
      await sleep(Math.floor(Math.random() * MAX_RETRY_PAUSE_MS));
    }
  }
}
