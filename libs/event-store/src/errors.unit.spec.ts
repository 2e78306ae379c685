import { ConcurrencyError, retryOnConcurrency, retryOnDeadlock } from './errors';

describe('retryOnConcurrency', () => {
  const lostRace = () => new ConcurrencyError('key-1', 3, 4);

  it('decides again after a lost race and answers with the attempt that won', async () => {
    let calls = 0;
    const outcome = await retryOnConcurrency(async () => {
      calls += 1;
      if (calls < 3) throw lostRace();
      return 'appended';
    });
    expect([outcome, calls]).toEqual(['appended', 3]);
  });

  it('gives the conflict to the caller after the last attempt', async () => {
    let calls = 0;
    await expect(
      retryOnConcurrency(async () => {
        calls += 1;
        throw lostRace();
      }, 4),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect(calls).toBe(4);
  });

  it('pauses before each new attempt, told which one it is, and lets dozens of writers of one stream land', async () => {
    const pauses: number[] = [];
    let calls = 0;
    await retryOnConcurrency(
      async () => {
        calls += 1;
        if (calls < 25) throw lostRace();
      },
      undefined,
      async (attempt) => pauses.push(attempt),
    );
    expect([calls, pauses]).toEqual([25, Array.from({ length: 24 }, (_, i) => i + 1)]);
  });

  it('does not retry any other failure', async () => {
    let calls = 0;
    await expect(
      retryOnConcurrency(async () => {
        calls += 1;
        throw new Error('not found');
      }),
    ).rejects.toThrow('not found');
    expect(calls).toBe(1);
  });
});

describe('retryOnDeadlock', () => {
  const deadlock = () => Object.assign(new Error('deadlock detected'), { driverError: { code: '40P01' } });

  it('runs the transaction again when it was a deadlock victim, and answers what the next run gives', async () => {
    let runs = 0;
    const answer = await retryOnDeadlock(async () => {
      runs += 1;
      if (runs < 3) throw deadlock();
      return 'done';
    });
    expect([answer, runs]).toEqual(['done', 3]);
  });

  it('gives up after its attempts, and never retries another error', async () => {
    let runs = 0;
    await expect(
      retryOnDeadlock(async () => {
        runs += 1;
        throw deadlock();
      }, 2),
    ).rejects.toThrow('deadlock detected');
    expect(runs).toBe(2);
    const other = Object.assign(new Error('duplicate'), { driverError: { code: '23505' } });
    await expect(retryOnDeadlock(() => Promise.reject(other))).rejects.toBe(other);
  });
});
