import { createHash, randomUUID } from 'node:crypto';
import { DashboardUser, PASSWORD, call } from '../support/api-client';
import { TestPlatform } from '../support/platform';
import { natsTrafficDuring } from '../support/secret-scan';

describe('accounts and dashboard sessions (PRODUCT.md §2)', () => {
  let platform: TestPlatform;
  let base: string;

  beforeAll(async () => {
    platform = await TestPlatform.start();
    base = platform.url('gateway');
  }, 90_000);
  afterAll(() => platform?.stop());

  describe('signup', () => {
    it('creates an account, answers 201 { user, csrf_token } and sets an HttpOnly SameSite=Lax session cookie', async () => {
      const email = `Ada.${randomUUID().slice(0, 6)}@Example.com`;
      const response = await fetch(`${base}/api/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD, name: 'Ada' }),
      });
      expect(response.status).toBe(201);
      const body = (await response.json()) as { user: Record<string, unknown>; csrf_token: string };
      expect(body.user).toEqual({
        id: expect.any(String),
        email,
        name: 'Ada',
        tier: 'free',
        status: 'active',
        created_at: expect.any(String),
      });
      expect(body.csrf_token).toMatch(/^[0-9a-f]{64}$/);
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith('vx_session='));
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).toMatch(/Max-Age=25920\d\d/);
      expect(cookie).not.toMatch(/Secure/);
      expect(response.headers.get('cache-control')).toBe('no-store');
    });

    it('refuses a second account with the same email, compared case-insensitively (409 EMAIL_TAKEN)', async () => {
      const user = await DashboardUser.signup(base);
      const again = await call(base, 'POST', '/api/v1/auth/signup', {
        body: { email: user.email.toUpperCase(), password: PASSWORD, name: 'Copy' },
      });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('EMAIL_TAKEN');
    });

    it('stores a look-alike address (the Kelvin sign for K) as the address it compares equal to', async () => {
      const local = `kelvin-${Date.now()}`;
      const lookalike = await call(base, 'POST', '/api/v1/auth/signup', {
        body: { email: `\u212A${local}@example.com`, password: PASSWORD, name: 'Look-alike' },
      });
      expect(lookalike.status).toBe(201);
      // Shown as what it is: an account of K…@example.com, written with the plain letter.
      expect((lookalike.body.user as { email: string }).email).toBe(`K${local}@example.com`);
      const plain = await call(base, 'POST', '/api/v1/auth/signup', {
        body: { email: `k${local}@example.com`, password: PASSWORD, name: 'Plain' },
      });
      expect([plain.status, plain.body.code]).toEqual([409, 'EMAIL_TAKEN']);
      const login = await call(base, 'POST', '/api/v1/auth/login', {
        body: { email: `\u212A${local.toUpperCase()}@EXAMPLE.COM`, password: PASSWORD },
      });
      expect(login.status).toBe(200);
      expect((login.body.user as { email: string }).email).toBe(`K${local}@example.com`);
    });

    it.each([
      ['a zero-width space', 'alice\u200b@example.com'],
      ['a right-to-left override', '\u202emoc.elpmaxe@ecila'],
      ['a soft hyphen', 'al\u00adice@example.com'],
      ['a zero-width joiner in the domain', 'alice@exa\u200dmple.com'],
      ['a variation selector', 'alice\ufe0f@example.com'],
      ['a Hangul filler', 'alice\u3164@example.com'],
    ])('refuses an address holding %s, which would look like another one', async (_, email) => {
      const response = await call(base, 'POST', '/api/v1/auth/signup', {
        body: { email, password: PASSWORD, name: 'I' },
      });
      expect([response.status, response.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const errors = response.body.validation_errors as { field: string; message: string }[];
      expect(errors).toContainEqual({ field: 'email', message: expect.stringContaining('invisible') });
      expect(new Set(errors.map((error) => error.field))).toEqual(new Set(['email']));
    });

    it.each([
      ['a short password', { email: 'a@example.com', password: 'short', name: 'A' }, 'password'],
      ['an invalid email', { email: 'not-an-email', password: PASSWORD, name: 'A' }, 'email'],
      ['an empty name', { email: 'b@example.com', password: PASSWORD, name: '' }, 'name'],
      ['a name of spaces only', { email: 'b@example.com', password: PASSWORD, name: '   ' }, 'name'],
      ['a 101-character name', { email: 'b@example.com', password: PASSWORD, name: 'x'.repeat(101) }, 'name'],
      ['a wrong type', { email: 'c@example.com', password: 12345678901234, name: 'C' }, 'password'],
      ['an unknown field', { email: 'd@example.com', password: PASSWORD, name: 'D', admin: true }, 'admin'],
    ])('answers 400 VALIDATION_FAILED for %s, naming the field', async (_, body, field) => {
      const response = await call(base, 'POST', '/api/v1/auth/signup', { body });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect((response.body.validation_errors as { field: string }[]).map((e) => e.field)).toContain(field);
    });

    it('answers 400 INVALID_JSON for a broken body, 415 for a body that is not JSON, 413 over 2 MiB', async () => {
      const broken = await call(base, 'POST', '/api/v1/auth/signup', {
        rawBody: '{"email":',
        headers: { 'content-type': 'application/json' },
      });
      expect([broken.status, broken.body.code]).toEqual([400, 'INVALID_JSON']);
      const form = await call(base, 'POST', '/api/v1/auth/signup', {
        rawBody: 'email=a',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect([form.status, form.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      const huge = await call(base, 'POST', '/api/v1/auth/signup', {
        body: { email: 'x@example.com', password: PASSWORD, name: 'x'.repeat(2 * 1024 * 1024) },
      });
      expect([huge.status, huge.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      const array = await call(base, 'POST', '/api/v1/auth/signup', { body: [1, 2] });
      expect([array.status, array.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      // Valid JSON that is not an object is a validation failure, not broken JSON.
      for (const rawBody of ['null', '3', '"text"']) {
        const scalar = await call(base, 'POST', '/api/v1/auth/signup', {
          rawBody,
          headers: { 'content-type': 'application/json' },
        });
        expect([rawBody, scalar.status, scalar.body.code]).toEqual([rawBody, 400, 'VALIDATION_FAILED']);
      }
    });

    it('refuses a __proto__ key anywhere in a body like an unknown field, and creates nothing', async () => {
      const email = `proto-${Date.now()}@example.com`;
      for (const rawBody of [
        `{"email":"${email}","password":"${PASSWORD}","name":"P","__proto__":{"tier":"enterprise"}}`,
        `{"email":"${email}","password":"${PASSWORD}","name":"P","x":[{"__proto__":{}}]}`,
      ]) {
        const response = await call(base, 'POST', '/api/v1/auth/signup', {
          rawBody,
          headers: { 'content-type': 'application/json' },
        });
        expect([response.status, response.body.code]).toEqual([400, 'VALIDATION_FAILED']);
        expect(response.body.validation_errors).toEqual([
          {
            field: expect.stringMatching(/__proto__$/),
            message: 'is a reserved name: __proto__, constructor, prototype cannot be keys',
          },
        ]);
      }
      const login = await call(base, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
      expect(login.status).toBe(401);
    });
  });

  describe('login, me and logout', () => {
    it('signs in with the email in any case and answers me from the session', async () => {
      const user = await DashboardUser.signup(base);
      const again = await DashboardUser.login(base, user.email.toUpperCase());
      const me = await again.request('GET', '/api/v1/auth/me');
      expect(me.status).toBe(200);
      expect(me.body).toEqual(user.account);
      expect(me.body.api_key).toBeUndefined();
    });

    it('answers the same 401 AUTH_INVALID for an unknown email and a wrong password', async () => {
      const user = await DashboardUser.signup(base);
      const wrong = await call(base, 'POST', '/api/v1/auth/login', {
        body: { email: user.email, password: 'wrong password here' },
      });
      const unknown = await call(base, 'POST', '/api/v1/auth/login', {
        body: { email: `nobody-${randomUUID()}@example.com`, password: 'wrong password here' },
      });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body.code).toBe('AUTH_INVALID');
      const strip = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });
      expect(strip(wrong.body)).toEqual(strip(unknown.body));
      // Every 401 names its scheme (PRODUCT.md §3.4); no token was presented, so no error attribute.
      for (const answer of [wrong, unknown])
        expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="vibexp"');
    });

    it('logs out: 204, the cookie is cleared and the session no longer works', async () => {
      const user = await DashboardUser.signup(base);
      const logout = await user.request('POST', '/api/v1/auth/logout');
      expect(logout.status).toBe(204);
      expect(logout.headers.getSetCookie().some((c) => c.startsWith('vx_session=;') && c.includes('Max-Age=0'))).toBe(
        true,
      );
      const me = await user.request('GET', '/api/v1/auth/me');
      expect(me.status).toBe(401);
      expect(me.body.code).toBe('AUTH_REQUIRED');
    });

    it('ends the session a browser was carrying when it signs in again (a dashboard that lost its CSRF token)', async () => {
      const user = await DashboardUser.signup(base);
      const again = await call(base, 'POST', '/api/v1/auth/login', {
        body: { email: user.email, password: PASSWORD },
        headers: { cookie: `vx_session=${user.cookie}` },
      });
      expect(again.status).toBe(200);

      const stranded = await user.request('GET', '/api/v1/auth/me');
      expect([stranded.status, stranded.body.code]).toEqual([401, 'AUTH_REQUIRED']);
      const fresh = again.headers.getSetCookie().find((cookie) => cookie.startsWith('vx_session='));
      const me = await call(base, 'GET', '/api/v1/auth/me', { headers: { cookie: (fresh ?? '').split(';')[0] } });
      expect(me.status).toBe(200);
    });

    it('refuses a forged or unknown session cookie with 401', async () => {
      const forged = await call(base, 'GET', '/api/v1/auth/me', {
        headers: { cookie: `vx_session=${'ab'.repeat(32)}` },
      });
      expect([forged.status, forged.body.code]).toEqual([401, 'AUTH_REQUIRED']);
      const garbage = await call(base, 'GET', '/api/v1/auth/me', { headers: { cookie: 'vx_session=%00%zz' } });
      expect(garbage.status).toBe(401);
    });
  });

  describe('CSRF for cookie-authenticated unsafe methods', () => {
    it('refuses a missing token and a token of another session with 403 CSRF_FAILED, accepts the right one', async () => {
      const alice = await DashboardUser.signup(base);
      const bob = await DashboardUser.signup(base);
      const body = { name: 'k', integrations: ['cli'] };
      const missing = await alice.request('POST', '/api/v1/settings/api-keys', { body, csrf: false });
      expect([missing.status, missing.body.code]).toEqual([403, 'CSRF_FAILED']);
      const foreign = await alice.request('POST', '/api/v1/settings/api-keys', { body, csrf: bob.csrfToken });
      expect([foreign.status, foreign.body.code]).toEqual([403, 'CSRF_FAILED']);
      const right = await alice.request('POST', '/api/v1/settings/api-keys', { body });
      expect(right.status).toBe(201);
      // Safe methods need no token.
      expect((await alice.request('GET', '/api/v1/settings/api-keys', { csrf: false })).status).toBe(200);
    });
  });

  it('records session.created and auth.login_failed events in key-service, without secrets', async () => {
    const user = await DashboardUser.signup(base);
    await call(base, 'POST', '/api/v1/auth/login', { body: { email: user.email, password: 'not the password!' } });
    const { Client } = await import('pg');
    const client = new Client({ connectionString: platform.databases.get('key-service')!.url });
    await client.connect();
    try {
      const { rows } = await client.query<{
        event_type: string;
        data: Record<string, unknown>;
        meta: Record<string, unknown>;
      }>(`SELECT event_type, data, meta FROM es_events WHERE meta->>'account_id' = $1 ORDER BY global_position`, [
        user.account.id,
      ]);
      expect(rows.map((r) => r.event_type)).toEqual(['account.created', 'session.created', 'auth.login_failed']);
      expect(rows[2].data).toEqual({ email: user.email.toLowerCase(), reason: 'wrong_password' });
      expect(JSON.stringify(rows)).not.toContain(PASSWORD);
      expect(JSON.stringify(rows)).not.toContain(user.cookie);
    } finally {
      await client.end();
    }
  });

  it('keeps nothing of a login email that is no address (a password typed into the email field)', async () => {
    const typed = `Hunter2-Secret-Pass-${randomUUID().slice(0, 8)}!`;
    let login!: Awaited<ReturnType<typeof call<{ code: string }>>>;
    const traffic = await natsTrafficDuring(platform.nats.url, async () => {
      login = await call<{ code: string }>(base, 'POST', '/api/v1/auth/login', {
        body: { email: typed, password: 'whatever12345' },
      });
    });
    expect([login.status, login.body.code]).toEqual([401, 'AUTH_INVALID']);
    // Not in any NATS message either (the lookup and the failure's record travel as requests to key-service).
    expect(traffic).toContain('keys.rpc.accounts.login_failed');
    expect(traffic.toLowerCase()).not.toContain(typed.toLowerCase().slice(0, 16));
    const { Client } = await import('pg');
    const client = new Client({ connectionString: platform.databases.get('key-service')!.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ data: Record<string, unknown> }>(
        `SELECT data FROM es_events WHERE event_type = 'auth.login_failed' AND meta->>'request_id' = $1`,
        [login.headers.get('x-request-id')],
      );
      expect(rows.map((row) => row.data)).toEqual([{ email: null, email_malformed: true, reason: 'unknown_email' }]);
      const { rows: everywhere } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM es_events WHERE data::text ILIKE '%' || $1 || '%'`,
        [typed],
      );
      expect(everywhere).toEqual([{ n: 0 }]);
    } finally {
      await client.end();
    }
  });

  it('masks an API key typed into the email field of a failed login, in its event and the throttle', async () => {
    const pasted = `vxk_${'5a'.repeat(32)}`;
    let login!: Awaited<ReturnType<typeof call>>;
    const traffic = await natsTrafficDuring(platform.nats.url, async () => {
      login = await call(base, 'POST', '/api/v1/auth/login', {
        body: { email: `x${pasted}@example.com`, password: 'not the password!' },
      });
    });
    expect(login.status).toBe(401);
    expect(traffic).toContain('keys.rpc.accounts.login_failed');
    expect(traffic).not.toContain(pasted.slice(4));
    const { Client } = await import('pg');
    const client = new Client({ connectionString: platform.databases.get('key-service')!.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ email: string }>(
        `SELECT data->>'email' AS email FROM es_events WHERE event_type = 'auth.login_failed' AND data->>'email' LIKE 'xvxk_%'`,
      );
      expect(rows.length).toBeGreaterThanOrEqual(1);
      for (const row of rows) expect(row.email).toBe(`x${pasted.slice(0, 12)}…[REDACTED]@example.com`);
      // The throttle counts the address under its hash (of the masked address: the key never reaches key-service).
      const typedHash = createHash('sha256')
        .update(`x${pasted.slice(0, 12)}…[REDACTED]@example.com`.normalize('NFKC').toLowerCase())
        .digest('hex');
      const { rows: subjects } = await client.query<{ subject: string }>(`SELECT subject FROM login_failures`);
      expect(subjects.map((row) => row.subject)).toContain(`email:${typedHash}`);
      // Not the key (a hash may contain a short run like 5a5a by chance: look for the key's 64 hex characters).
      expect(subjects.some((row) => row.subject.includes(pasted.slice(4)))).toBe(false);
    } finally {
      await client.end();
    }
  });
});
