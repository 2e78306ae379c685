import { problemText, query, sessionEndedBy } from './api';

describe('dashboard API helpers', () => {
  it('takes a 401 or a lost CSRF token as the end of the session, except on the sign-in calls themselves', () => {
    expect(sessionEndedBy('/api/v1/settings/api-keys', { status: 401, code: 'AUTH_REQUIRED' })).toContain(
      'session has ended',
    );
    expect(sessionEndedBy('/api/v1/memories', { status: 403, code: 'CSRF_FAILED' })).toContain('Sign in again');
    expect(sessionEndedBy('/api/v1/auth/login', { status: 401, code: 'AUTH_INVALID' })).toBeNull();
    expect(sessionEndedBy('/api/v1/memories', { status: 403, code: 'FORBIDDEN' })).toBeNull();
  });

  it('says each field problem once', () => {
    expect(
      problemText({
        status: 400,
        detail: 'webhook_url must not point at this machine',
        validation_errors: [
          { field: 'webhook_url', message: 'must not point at this machine' },
          { field: 'timezone', message: 'unknown time zone' },
        ],
      }),
    ).toBe('webhook_url must not point at this machine — timezone: unknown time zone');
  });

  it('reads the fields instead of a detail written for programs, and says a named field once', () => {
    expect(
      problemText({
        status: 400,
        detail: 'the request is not valid: see validation_errors',
        validation_errors: [{ field: 'name', message: 'must not be empty' }],
      }),
    ).toBe('name: must not be empty');
    expect(
      problemText({
        status: 400,
        detail: '`from` is after `to`',
        validation_errors: [{ field: 'from', message: 'must not be after `to`' }],
      }),
    ).toBe('`from` is after `to`');
    expect(
      problemText({
        status: 400,
        detail: 'the request is not valid: see validation_errors',
        validation_errors: [{ field: 'working_hours.days', message: 'choose at least one day' }],
      }),
    ).toBe('working hours.days: choose at least one day');
  });

  it('builds a query of the values that are set', () => {
    expect(query({ a: 'x y', b: undefined, c: '', d: 0, e: null })).toBe('?a=x+y&d=0');
    expect(query({})).toBe('');
  });
});
