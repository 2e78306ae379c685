import { withTimeout } from './with-timeout';

describe('withTimeout', () => {
  it('answers with the work when it is in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, 'too slow')).resolves.toBe(7);
  });

  it('rejects with the message when the work is late, and absorbs its late failure', async () => {
    const late = new Promise((_, reject) => setTimeout(() => reject(new Error('late failure')), 30));
    await expect(withTimeout(late, 5, 'too slow')).rejects.toThrow('too slow');
    await new Promise((resolve) => setTimeout(resolve, 50)); // an unhandled rejection would fail the test run
  });

  it('passes the work’s own failure on', async () => {
    await expect(withTimeout(Promise.reject(new Error('broken')), 1_000, 'too slow')).rejects.toThrow('broken');
  });
});
