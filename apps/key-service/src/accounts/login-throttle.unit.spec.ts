import { DEFAULT_LOGIN_THROTTLE, LoginThrottle } from './login-throttle';

const email = 'alice@example.com';
const ip = '81.2.69.160';

describe('LoginThrottle', () => {
  let clock: number;
  let sut: LoginThrottle;

  function fail(times: number, who: string = email, from: string | undefined = ip): void {
    for (let attempt = 0; attempt < times; attempt += 1) sut.recordFailure(who, from);
  }

  beforeEach(() => {
    clock = 1_000_000;
    sut = new LoginThrottle(() => clock, DEFAULT_LOGIN_THROTTLE);
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
  ])('after %i failures the next attempt waits %i ms', (failures, delayMs) => {
    fail(failures);
    expect(sut.delayFor(email, ip)).toBe(delayMs);
  });

  it('answers the first five failed attempts without delay', () => {
    const delays: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      delays.push(sut.delayFor(email, ip));
      sut.recordFailure(email, ip);
    }
    expect(delays).toEqual([0, 0, 0, 0, 0, 250]);
  });

  it('counts failures per email whatever the IP', () => {
    for (let attempt = 0; attempt < 6; attempt += 1) sut.recordFailure(email, `10.0.0.${attempt}`);
    expect(sut.delayFor(email, '10.0.0.99')).toBe(500);
    expect(sut.delayFor(email, undefined)).toBe(500);
    expect(sut.delayFor('bob@example.com', '10.0.0.99')).toBe(0);
  });

  it('counts failures per IP whatever the email', () => {
    for (let attempt = 0; attempt < 6; attempt += 1) sut.recordFailure(`user${attempt}@example.com`, ip);
    expect(sut.delayFor('new@example.com', ip)).toBe(500);
    expect(sut.delayFor('new@example.com', '10.0.0.1')).toBe(0);
    expect(sut.delayFor('new@example.com', undefined)).toBe(0);
  });

  it('waits the larger of the email and the IP delays', () => {
    fail(6, email, '10.0.0.1');
    fail(8, 'bob@example.com', ip);
    expect(sut.delayFor(email, ip)).toBe(2_000);
    expect(sut.delayFor(email, '10.0.0.2')).toBe(500);
  });

  it('forgets the failures once the window has passed', () => {
    fail(8);
    clock += DEFAULT_LOGIN_THROTTLE.windowMs - 1;
    expect(sut.delayFor(email, ip)).toBe(2_000);

    clock += 2;
    expect(sut.delayFor(email, ip)).toBe(0);

    fail(6);
    expect(sut.delayFor(email, ip)).toBe(500);
  });

  it('clears the email after a successful login but keeps counting the IP', () => {
    fail(7);

    sut.recordSuccess(email);

    expect(sut.delayFor(email, undefined)).toBe(0);
    expect(sut.delayFor(email, ip)).toBe(1_000);
    expect(sut.delayFor('bob@example.com', ip)).toBe(1_000);
  });

  it('follows custom options', () => {
    sut = new LoginThrottle(() => clock, { freeAttempts: 1, windowMs: 1_000, baseDelayMs: 100, maxDelayMs: 300 });
    expect(sut.delayFor(email, ip)).toBe(0);
    fail(1);
    expect(sut.delayFor(email, ip)).toBe(100);
    fail(1);
    expect(sut.delayFor(email, ip)).toBe(200);
    fail(1);
    expect(sut.delayFor(email, ip)).toBe(300);
  });
});
