import { ConcurrencyError, retryOnConcurrency } from './errors';

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
