import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createMigratedDataSource } from '../../../../test/support/test-database';
import { KeyServiceMigrations } from '../migrations';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle, type LoginThrottleOptions } from './login-throttle';

const email = 'alice@example.com';
const ip = '81.2.69.160';

describe('LoginThrottle (PostgreSQL)', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;
  let clock: number;
  let sut: LoginThrottle;
  const made: LoginThrottle[] = [];

  const throttle = (options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE) => {
    const instance = new LoginThrottle(dataSource, () => clock, options);
    made.push(instance);
    return instance;
  };

  async function fail(times: number, who: string = email, from: string | undefined = ip): Promise<void> {
    for (let attempt = 0; attempt < times; attempt += 1) await sut.recordFailure(who, from);
  }

  beforeAll(async () => {
    ({ dataSource, close } = await createMigratedDataSource('login_throttle', KeyServiceMigrations));
  });
  afterAll(async () => {
    for (const instance of made) instance.onModuleDestroy();
    await close();
  });
  beforeEach(async () => {
    await dataSource.query(`TRUNCATE login_failures`);
    clock = Date.UTC(2026, 10, 26, 12);
    sut = throttle();
  });

  it.each([
    [0, 0],
    [1, 0],
    [4, 0],
    [5, 250],
    [6, 500],
    [7, 1_000],
    [8, 2_000],
    [9, 4_000],
    [10, 5_000],
    [50, 5_000],
  ])('after %i failures the next attempt waits %i ms', async (failures, delayMs) => {
    await fail(failures);
    expect(await sut.delayFor(email, ip)).toBe(delayMs);
  });

  it('answers the first five failed attempts without delay', async () => {
    const delays: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      delays.push(await sut.delayFor(email, ip));
      await sut.recordFailure(email, ip);
    }
    expect(delays).toEqual([0, 0, 0, 0, 0, 250]);
  });

  it('gives failures sent at once each their own place in the count, as if one after another', async () => {
    const delays = await Promise.all(Array.from({ length: 10 }, () => sut.recordFailure(email, ip)));

    expect(delays.sort((a, b) => a - b)).toEqual([0, 0, 0, 0, 0, 250, 500, 1_000, 2_000, 4_000]);
    expect(await sut.delayFor(email, ip)).toBe(5_000);
  });

  it('answers each failure with the delay of its place, the larger of the email and the IP', async () => {
    await fail(6, 'bob@example.com', ip);
    expect(await sut.recordFailure(email, '10.0.0.1')).toBe(0);
    expect(await sut.recordFailure(email, ip)).toBe(500);
  });

  it('counts failures per email whatever the IP', async () => {
    for (let attempt = 0; attempt < 6; attempt += 1) await sut.recordFailure(email, `10.0.0.${attempt}`);
    expect(await sut.delayFor(email, '10.0.0.99')).toBe(500);
    expect(await sut.delayFor(email, undefined)).toBe(500);
    expect(await sut.delayFor('bob@example.com', '10.0.0.99')).toBe(0);
  });

  it('counts failures per IP whatever the email', async () => {
    for (let attempt = 0; attempt < 6; attempt += 1) await sut.recordFailure(`user${attempt}@example.com`, ip);
    expect(await sut.delayFor('new@example.com', ip)).toBe(500);
    expect(await sut.delayFor('new@example.com', '10.0.0.1')).toBe(0);
    expect(await sut.delayFor('new@example.com', undefined)).toBe(0);
  });

  it('waits the larger of the email and the IP delays', async () => {
    await fail(6, email, '10.0.0.1');
    await fail(8, 'bob@example.com', ip);
    expect(await sut.delayFor(email, ip)).toBe(2_000);
    expect(await sut.delayFor(email, '10.0.0.2')).toBe(500);
  });

  it('forgets the failures once the window has passed', async () => {
    await fail(8);
    clock += DEFAULT_LOGIN_THROTTLE.windowMs - 1;
    expect(await sut.delayFor(email, ip)).toBe(2_000);

    clock += 2;
    expect(await sut.delayFor(email, ip)).toBe(0);

    await fail(6);
    expect(await sut.delayFor(email, ip)).toBe(500);
  });

  it('clears the email after a successful login but keeps counting the IP', async () => {
    await fail(7);

    await sut.recordSuccess(email);

    expect(await sut.delayFor(email, undefined)).toBe(0);
    expect(await sut.delayFor(email, ip)).toBe(1_000);
    expect(await sut.delayFor('bob@example.com', ip)).toBe(1_000);
  });

  it('follows custom options', async () => {
    sut = throttle({ freeAttempts: 1, windowMs: 1_000, baseDelayMs: 100, maxDelayMs: 300 });
    expect(await sut.delayFor(email, ip)).toBe(0);
    await fail(1);
    expect(await sut.delayFor(email, ip)).toBe(100);
    await fail(1);
    expect(await sut.delayFor(email, ip)).toBe(200);
    await fail(1);
    expect(await sut.delayFor(email, ip)).toBe(300);
  });

  it('counts across key-service instances: the failures live in the database', async () => {
    const other = throttle();
    await fail(3);
    for (let attempt = 0; attempt < 3; attempt += 1) await other.recordFailure(email, '10.0.0.1');
    expect(await sut.delayFor(email, undefined)).toBe(500);
    expect(await other.delayFor(email, undefined)).toBe(500);
  });

  it('keeps addresses that look like key prefixes apart, clears them on success, and never stores a pasted key', async () => {
    // Masking (as logs do) made both of these `vib-engineer…[REDACTED]@corp.com`: one shared count, which a
    // success then failed to clear.
    const [first, second] = ['vib-engineering1@corp.com', 'vib-engineering2@corp.com'];
    await fail(6, first, undefined);
    expect(await sut.delayFor(second, undefined)).toBe(0);
    await sut.recordSuccess(first);
    expect(await sut.delayFor(first, undefined)).toBe(0);

    const pasted = `vxk_${'ab'.repeat(32)}`;
    await fail(1, pasted, undefined);
    const stored = (await dataSource.query(`SELECT subject FROM login_failures`)) as { subject: string }[];
    expect(stored.some((row) => row.subject.includes('abab'))).toBe(false);
  });

  it('deletes counts past their window', async () => {
    await fail(2);
    clock += DEFAULT_LOGIN_THROTTLE.windowMs + 1;
    await sut.recordFailure('bob@example.com', undefined);
    await sut.forgetExpired();
    const rows = (await dataSource.query(`SELECT subject FROM login_failures ORDER BY subject`)) as {
      subject: string;
    }[];
    expect(rows.map((row) => row.subject)).toEqual([
      `email:${createHash('sha256').update('bob@example.com').digest('hex')}`,
    ]);
  });
});
