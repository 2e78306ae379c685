import { ApiProblem, fieldErrorsOf, logoutFailure, problemText, query, sessionEndedBy } from './api';

describe('dashboard API helpers', () => {
  it('takes a 401 or a lost CSRF token as the end of the session, except on the sign-in calls themselves', () => {
    expect(sessionEndedBy('/api/v1/settings/api-keys', { status: 401, code: 'AUTH_REQUIRED' })).toContain(
      'session has ended',
    );
    expect(sessionEndedBy('/api/v1/memories', { status: 403, code: 'CSRF_FAILED' })).toContain('Sign in again');
    expect(sessionEndedBy('/api/v1/auth/login', { status: 401, code: 'AUTH_INVALID' })).toBeNull();
    expect(sessionEndedBy('/api/v1/memories', { status: 403, code: 'FORBIDDEN' })).toBeNull();
    // Logout says what its own failure means (logoutFailure).
    expect(sessionEndedBy('/api/v1/auth/logout', { status: 403, code: 'CSRF_FAILED' })).toBeNull();
  });

  it('signs out after a logout only when no session is left, or when this browser cannot end it, and says which', () => {
    expect(logoutFailure(new ApiProblem({ status: 401, code: 'AUTH_REQUIRED' }))).toEqual({
      signedOut: true,
      notice: null,
    });
    const lostToken = logoutFailure(
      new ApiProblem({ status: 403, code: 'CSRF_FAILED', detail: 'send the X-CSRF-Token header' }),
    );
    expect(lostToken).toMatchObject({ signedOut: true, notice: expect.stringContaining('not logged out yet') });
    expect(JSON.stringify(lostToken)).not.toContain('X-CSRF-Token');
    expect(logoutFailure(new TypeError('Failed to fetch'))).toEqual({
      signedOut: false,
      message: 'Logging out failed (the platform cannot be reached). You are still signed in: try again.',
    });
    expect(logoutFailure(new ApiProblem({ status: 503, detail: 'key-service is not answering' }))).toMatchObject({
      signedOut: false,
      message: expect.stringContaining('key-service is not answering'),
    });
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

describe('fieldErrorsOf', () => {
  const refused = (validation_errors: { field: string; message: string }[]) =>
    new ApiProblem({ status: 400, code: 'VALIDATION_FAILED', detail: 'see validation_errors', validation_errors });

  it('gives each form field its messages, a nested one at its top-level field with its inner path', () => {
    expect(
      fieldErrorsOf(
        refused([
          { field: 'name', message: 'must not be empty' },
          { field: 'working_hours.start', message: 'must be HH:MM' },
          { field: 'working_hours.days', message: 'must not be empty' },
          { field: 'labels[2]', message: 'is too long' },
        ]),
      ),
    ).toEqual({
      name: 'must not be empty',
      working_hours: 'start: must be HH:MM; days: must not be empty',
      labels: '[2]: is too long',
    });
  });

  it('leaves out what belongs to no field, and anything that is not an answer of the API', () => {
    expect(fieldErrorsOf(refused([{ field: '(body)', message: 'must be a JSON object' }]))).toEqual({});
    expect(fieldErrorsOf(new Error('offline'))).toEqual({});
  });

  it('ties a taken email or slug to its field', () => {
    expect(
      fieldErrorsOf(
        new ApiProblem({ status: 409, code: 'EMAIL_TAKEN', detail: 'an account with this email already exists' }),
      ),
    ).toEqual({ email: 'an account with this email already exists' });
    expect(
      fieldErrorsOf(
        new ApiProblem({ status: 409, code: 'RESOURCE_EXISTS', detail: 'another prompt already uses this slug' }),
      ),
    ).toEqual({ slug: 'another prompt already uses this slug' });
    expect(fieldErrorsOf(new ApiProblem({ status: 409, code: 'RESOURCE_EXISTS', detail: 'the grant exists' }))).toEqual(
      {},
    );
  });
});
