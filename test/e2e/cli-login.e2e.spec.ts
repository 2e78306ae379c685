import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DashboardUser, call } from '../support/api-client';
import { TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

const ADMIN_TOKEN = `cli-login-admin-${randomBytes(8).toString('hex')}`;
const CLI = join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js');
type Body = Record<string, unknown>;

/** A CLI's side of the login without the CLI: its PKCE pair and state, and the approval's body. */
function cliRequest(fields: Body = {}) {
  const verifier = randomBytes(32).toString('base64url');
  return {
    verifier,
    approval: {
      port: 49152,
      state: randomBytes(24).toString('base64url'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      name: 'laptop',
      integrations: ['cli'],
      ...fields,
    },
  };
}

describe('vibexp auth login --web: an API key for the CLI, approved in the browser', () => {
  let platform: TestPlatform;
  let base: string;
  let user: DashboardUser;

  beforeAll(async () => {
    platform = await TestPlatform.start({ gatewayEnv: { ADMIN_TOKEN } });
    base = platform.url('gateway');
    user = await DashboardUser.signup(base, { name: 'Web Login' });
  }, 90_000);
  afterAll(() => platform?.stop());

  /** Approves as the signed-in user; answers the one-time code the browser would carry to the CLI. */
  async function approve(approval: Body, headers: Record<string, string> = {}): Promise<string> {
    const approved = await user.request<{ redirect_to: string; expires_at: string }>(
      'POST',
      '/api/v1/cli/authorizations',
      { body: approval, headers },
    );
    expect(approved.status).toBe(201);
    const target = new URL(approved.body.redirect_to);
    expect(`${target.origin}${target.pathname}`).toBe(`http://127.0.0.1:${approval.port as number}/callback`);
    expect(target.searchParams.get('state')).toBe(approval.state);
    return target.searchParams.get('code') ?? '';
  }
  const exchange = (code: string, verifier: string) =>
    call<Body>(base, 'POST', '/api/v1/cli/token', { body: { code, code_verifier: verifier } });

  it('runs the CLI’s whole login: the address it prints, the approval, its server on 127.0.0.1, the stored key', async () => {
    const home = await mkdtemp(join(tmpdir(), 'vibexp-web-login-'));
    const child = spawn(process.execPath, [CLI, 'auth', 'login', '--web', '--no-browser', '--name', 'CI laptop'], {
      env: { PATH: process.env.PATH ?? '', HOME: home, VIBEXP_BASE_URL: base },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

    const printed = await waitFor(
      async () => /(http:\/\/\S+#\/cli\/authorize\?\S+)/.exec(stderr)?.[1],
      (address) => address !== undefined,
    );
    const address = new URL(printed!);
    expect(address.origin).toBe(new URL(base).origin);
    const asked = new URLSearchParams(address.hash.slice(address.hash.indexOf('?') + 1));
    expect(asked.get('name')).toBe('CI laptop');
    // The user, signed in, approves with the integrations they choose; the browser follows the answer.
    const code = await approve({
      port: Number(asked.get('port')),
      state: asked.get('state'),
      code_challenge: asked.get('code_challenge'),
      name: 'CI laptop',
      integrations: ['cli', 'ai_tools'],
    });
    const landed = await fetch(
      `http://127.0.0.1:${asked.get('port')}/callback?${new URLSearchParams({ code, state: asked.get('state')! })}`,
    );
    expect(landed.status).toBe(200);
    expect(await exited).toBe(0);
    expect(stdout).toContain(user.email);

    const path = join(home, '.vibexp', 'credentials.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(path, 'utf8')) as { api_key: string; base_url: string };
    expect(stored.base_url).toBe(base);
    expect(stdout + stderr).not.toContain(stored.api_key);
    const me = await call<{ api_key: Body }>(base, 'GET', '/api/v1/auth/me', { key: stored.api_key });
    expect(me.body.api_key).toMatchObject({ name: 'CI laptop', integrations: ['cli', 'ai_tools'] });
    // The code was good once: the CLI used it.
    expect((await exchange(code, 'x'.repeat(43))).status).toBe(400);
  });

  it('gives the key once for the code and its verifier, and records its creation with who approved it', async () => {
    const { verifier, approval } = cliRequest({ name: 'Once' });
    const browser = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
    const code = await approve(approval, { 'user-agent': browser, 'x-request-id': 'approval-of-once' });
    const traded = await exchange(code, verifier);
    expect(traded.status).toBe(201);
    expect(traded.headers.get('cache-control')).toBe('no-store');
    expect(traded.body).toMatchObject({
      full_key: expect.stringMatching(/^vxk_[0-9a-f]{64}$/),
      key_prefix: expect.stringMatching(/^vxk_[0-9a-f]{8}$/),
      api_key: { name: 'Once', integrations: ['cli'], status: 'active', expires_at: null },
    });
    // The lifetime chosen at the approval is the key's.
    const lasting = cliRequest({ expires_at: '2031-01-01T00:00:00Z' });
    const lastingKey = await exchange(await approve(lasting.approval), lasting.verifier);
    expect((lastingKey.body.api_key as Body).expires_at).toBe('2031-01-01T00:00:00.000Z');
    const again = await exchange(code, verifier);
    expect([again.status, again.body.code]).toEqual([400, 'INVALID_GRANT']);
    expect(again.headers.get('content-type')).toContain('application/problem+json');

    type Logged = { type: string; key_id?: string; data: Body; meta: Body };
    const created = await waitFor(
      () => user.request<{ events: Logged[] }>('GET', '/api/v1/audit-log?type=key.created,session.created'),
      (response) => response.body.events?.some((event) => event.key_id === (traded.body.api_key as Body).id) === true,
    );
    expect(JSON.stringify(created.body)).not.toContain(traded.body.full_key as string);
    // The event's meta is the CLI's trade; `approved_by` is the dashboard session and request that allowed it.
    const birth = created.body.events.find((event) => event.key_id === (traded.body.api_key as Body).id)!;
    const session = created.body.events.find((event) => event.type === 'session.created')!;
    expect(birth.data.approved_by).toEqual({
      session_id: session.data.session_id,
      request_id: 'approval-of-once',
      ip: '127.0.0.1',
      user_agent: browser,
      approved_at: expect.any(String),
    });
    expect(birth.meta.request_id).not.toBe('approval-of-once');
    expect(JSON.stringify(birth)).not.toContain(user.cookie);
  });

  it('uses a code up on a wrong verifier, and refuses an expired one', async () => {
    const stolen = cliRequest();
    const code = await approve(stolen.approval);
    expect((await exchange(code, randomBytes(32).toString('base64url'))).body.code).toBe('INVALID_GRANT');
    expect((await exchange(code, stolen.verifier)).body.code).toBe('INVALID_GRANT');

    const late = cliRequest();
    const lateCode = await approve(late.approval);
    const keys = new Client({ connectionString: platform.databases.get('key-service')!.url });
    await keys.connect();
    try {
      // Only the code's hash is kept, and no key is made before the trade.
      const rows = await keys.query<{ code_hash: string }>('SELECT code_hash FROM cli_logins');
      expect(rows.rows.map((row) => row.code_hash)).toContain(createHash('sha256').update(lateCode).digest('hex'));
      expect(JSON.stringify(rows.rows)).not.toContain(lateCode);
      await keys.query(`UPDATE cli_logins SET expires_at = now() - interval '1 second'`);
    } finally {
      await keys.end();
    }
    expect((await exchange(lateCode, late.verifier)).body.code).toBe('INVALID_GRANT');
  });

  it('approves a CLI’s challenge once, and gives no key to an account suspended before the trade', async () => {
    // Another account answering the same waiting CLI first: the user's own approval then fails, visibly.
    const first = cliRequest();
    await approve(first.approval);
    const other = await DashboardUser.signup(base);
    const second = await other.request<Body>('POST', '/api/v1/cli/authorizations', {
      body: { ...first.approval, state: randomBytes(24).toString('base64url') },
    });
    expect([second.status, second.body.code]).toEqual([400, 'VALIDATION_FAILED']);

    const suspended = await DashboardUser.signup(base);
    const pending = cliRequest();
    const approved = await suspended.request<{ redirect_to: string }>('POST', '/api/v1/cli/authorizations', {
      body: pending.approval,
    });
    const code = new URL(approved.body.redirect_to).searchParams.get('code') ?? '';
    const suspension = await call(base, 'PATCH', `/admin/v1/accounts/${suspended.account.id}`, {
      key: ADMIN_TOKEN,
      body: { status: 'suspended' },
    });
    expect(suspension.status).toBe(200);
    expect((await exchange(code, pending.verifier)).body.code).toBe('INVALID_GRANT');
  });

  it('takes approvals from a signed-in dashboard only, checked like a key’s creation', async () => {
    const { approval } = cliRequest();
    const key = await user.createKey();
    const withKey = await call<Body>(base, 'POST', '/api/v1/cli/authorizations', { key: key.full_key, body: approval });
    expect([withKey.status, withKey.body.code]).toEqual([403, 'SESSION_REQUIRED']);
    expect((await call(base, 'POST', '/api/v1/cli/authorizations', { body: approval })).status).toBe(401);
    expect((await user.request('POST', '/api/v1/cli/authorizations', { body: approval, csrf: false })).status).toBe(
      403,
    );
    for (const [field, value] of [
      ['port', 80],
      ['port', 70000],
      ['port', '49152'],
      ['state', 'short'],
      ['state', 'not base64url but long enough'],
      ['code_challenge', 'plain-verifier'],
      ['name', ''],
      ['name', 'x'.repeat(256)],
      ['integrations', []],
      ['integrations', ['cli', 'cli']],
      ['integrations', ['root']],
      ['redirect_uri', 'https://evil.example/'],
      ['expires_at', '2020-01-01T00:00:00Z'],
      ['expires_at', 'tomorrow'],
    ] as const) {
      const refused = await user.request<Body>('POST', '/api/v1/cli/authorizations', {
        body: { ...approval, [field]: value },
      });
      expect([field, value, refused.status, refused.body.code]).toEqual([field, value, 400, 'VALIDATION_FAILED']);
    }
    const retired = await user.request<Body>('POST', '/api/v1/cli/authorizations', {
      body: { ...approval, integrations: ['mcp_server'] },
    });
    expect([retired.status, retired.body.code]).toEqual([400, 'INTEGRATION_RETIRED']);
  });

  it('checks the trade’s fields, and limits trades per address', async () => {
    for (const body of [
      {},
      { code: 'x', code_verifier: 'y'.repeat(43) },
      { code: 'a'.repeat(43), code_verifier: 'short' },
      { code: 'a'.repeat(43), code_verifier: 'y'.repeat(43), extra: 1 },
    ]) {
      const refused = await call<Body>(base, 'POST', '/api/v1/cli/token', { body });
      expect([refused.status, refused.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    let answer = await exchange('a'.repeat(43), 'y'.repeat(43));
    for (let i = 0; i < 70 && answer.status !== 429; i += 1) answer = await exchange('a'.repeat(43), 'y'.repeat(43));
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
