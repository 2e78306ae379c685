import { PeriodicSweep } from './periodic-sweep';

describe('PeriodicSweep', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sweeps first after its delay, then at its interval, going on after a failure it logs', async () => {
    const runs: number[] = [];
    const warnings: unknown[] = [];
    let calls = 0;
    const sut = new PeriodicSweep(
      'the test rows',
      async () => {
        calls += 1;
        runs.push(Date.now());
        if (calls === 2) throw new Error('database down');
      },
      { warn: (message: unknown) => void warnings.push(message) },
      { everyMs: 1_000, firstAfterMs: 100 },
    );
    const start = Date.now();
    sut.start();

    await jest.advanceTimersByTimeAsync(2_150);
    await sut.stop();
    await jest.advanceTimersByTimeAsync(5_000);

    expect(runs.map((at) => at - start)).toEqual([100, 1_100, 2_100]);
    expect(warnings).toEqual([
      expect.objectContaining({ msg: 'could not sweep the test rows', error: 'Error: database down' }),
    ]);
  });
});
