import { spawn } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DashboardUser } from '../support/api-client';
import { TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

const CLI = join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the vibexp CLI against a running platform (PRODUCT.md §12)', () => {
  let platform: TestPlatform;
  let base: string;
  let user: DashboardUser;
  let key: string;
  let home: string;

  /** The built CLI as a user runs it: its own process, HOME and environment. */
  const vibexp = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) =>
    new Promise<Ran>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: { PATH: process.env.PATH ?? '', HOME: home, VIBEXP_BASE_URL: base, ...options.env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(options.input ?? '');
    });

  beforeAll(async () => {
    platform = await TestPlatform.start();
    base = platform.url('gateway');
    user = await DashboardUser.signup(base, { name: 'Cli User' });
    key = (await user.createKey({ integrations: ['ai_tools', 'cli'] })).full_key;
    home = await mkdtemp(join(tmpdir(), 'vibexp-home-'));
  }, 90_000);
  afterAll(() => platform?.stop());

  it('logs in with a key from stdin, stores it 0600, and shows who it is', async () => {
    const login = await vibexp(['auth', 'login', '--with-api-key'], { input: `${key}\n` });
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(user.email);
    expect(login.stdout + login.stderr).not.toContain(key);
    const path = join(home, '.vibexp', 'credentials.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8')).api_key).toBe(key);

    const whoami = await vibexp(['whoami', '--format', 'json']);
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({
      email: user.email,
      name: 'Cli User',
      api_key: { key_prefix: key.slice(0, 12), integrations: ['ai_tools', 'cli'] },
    });
  });

  it('creates, lists, reads, renders and searches content', async () => {
    const memory = await vibexp([
      'memory',
      'create',
      '--text',
      'Releases go out on Tuesdays',
      '--project',
      'shop/web',
      '--format',
      'json',
    ]);
    expect(memory.code).toBe(0);
    const { id } = JSON.parse(memory.stdout) as { id: string };
    expect((await vibexp(['memory', 'get', id])).stdout).toContain('Releases go out on Tuesdays');
    const list = await vibexp(['memory', 'list', '--project', 'shop/web']);
    expect(list.stdout).toMatch(/^ID\s+TITLE\s+PROJECT/);
    expect(list.stdout).toContain(id);

    expect(
      (await vibexp(['prompt', 'create', '--name', 'Standup', '--body-file', '-'], { input: 'Hi {{team}}' })).code,
    ).toBe(0);
    const rendered = await vibexp(['prompt', 'render', 'standup', '--set', 'team=web']);
    expect([rendered.code, rendered.stdout]).toEqual([0, 'Hi web\n']);

    const found = await vibexp(['search', 'tuesdays', '--format', 'json']);
    expect(JSON.parse(found.stdout).results).toEqual([expect.objectContaining({ type: 'memories', id })]);
  });

  it('lists and exports the audit log', async () => {
    const listed = await waitFor(
      () => vibexp(['audit', 'list', '--type', 'key.used', '--format', 'json']),
      (ran) => (JSON.parse(ran.stdout) as { events: unknown[] }).events.length >= 5,
    );
    const events = (JSON.parse(listed.stdout) as { events: { tool_type: string; data: { client: string } }[] }).events;
    expect(events.every((event) => event.tool_type === 'cli' && event.data.client === 'vibexp-cli')).toBe(true);

    const file = join(home, 'audit.ndjson');
    const exported = await vibexp(['audit', 'export', '--type', 'key.used', '--output', file]);
    expect(exported.code).toBe(0);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(JSON.parse(lines[0])).toMatchObject({ type: 'key.used' });
    expect(exported.stderr).toContain(`Exported ${lines.length} events`);
    const csv = await vibexp(['audit', 'export', '--as', 'csv', '--type', 'key.used']);
    expect(csv.stdout.split('\n')[0]).toMatch(/^id,occurred_at,type/);
  });

  it('lists alerts', async () => {
    const alerts = await vibexp(['alerts', 'list', '--format', 'json']);
    expect([alerts.code, JSON.parse(alerts.stdout).alerts]).toEqual([0, expect.any(Array)]);
  });

  it('installs Claude Code hooks that deliver to the platform and return the project’s memories', async () => {
    const project = await mkdtemp(join(tmpdir(), 'vibexp-project-'));
    const installed = await vibexp(['hooks', 'install', 'claude-code', '--dir', project]);
    expect(installed.code).toBe(0);
    const settings = JSON.parse(await readFile(join(project, '.claude', 'settings.local.json'), 'utf8')) as {
      hooks: Record<string, { hooks: { command: string }[] }[]>;
    };
    const command = settings.hooks.SessionStart[0].hooks[0].command;
    expect(command).toContain('hooks send claude-code');
    expect(JSON.stringify(settings)).not.toContain(key);

    // What Claude Code runs: the installed command, with the hook JSON on stdin.
    const hookJson = JSON.stringify({
      session_id: 'cli-e2e',
      hook_event_name: 'SessionStart',
      cwd: '/home/me/shop/web',
    });
    const ran = await new Promise<Ran>((resolve) => {
      const child = spawn('/bin/sh', ['-c', command], {
        env: { PATH: process.env.PATH ?? '', HOME: home, VIBEXP_BASE_URL: base },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(hookJson);
    });
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual({
      hookSpecificOutput: {
        hookEventName: 'SessionStart',
        additionalContext: expect.stringContaining('Releases go out on Tuesdays'),
      },
    });
    const sessions = await vibexp(['api', 'GET', 'ai-tools/claude-code/sessions']);
    expect(JSON.parse(sessions.stdout).sessions).toEqual([
      expect.objectContaining({ session_id: 'cli-e2e', hook_count: 1 }),
    ]);
  });

  it('exits 1 for API errors, 2 for usage errors, 4 for a refused key', async () => {
    const missing = await vibexp(['memory', 'get', '00000000-0000-4000-8000-000000000000']);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('RESOURCE_NOT_FOUND')]);
    expect((await vibexp(['memory', 'fly'])).code).toBe(2);
    const sessionOnly = await vibexp(['api', 'GET', '/api/v1/settings/api-keys']);
    expect([sessionOnly.code, JSON.parse(sessionOnly.stdout).code]).toEqual([4, 'SESSION_REQUIRED']);
    const revoked = await vibexp(['whoami'], { env: { VIBEXP_API_KEY: `vxk_${'0'.repeat(64)}` } });
    expect([revoked.code, revoked.stderr]).toEqual([4, expect.stringContaining('AUTH_INVALID')]);
  });

  it('sends the stored key only to the URL it was stored for, and takes that URL with /api/v1 too', async () => {
    const seen: (string | undefined)[] = [];
    const other = createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.end('{}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      const refused = await vibexp(['whoami'], { env: { VIBEXP_BASE_URL: otherUrl } });
      expect([refused.code, seen]).toEqual([4, []]);
      expect(refused.stderr).toContain(`VIBEXP_BASE_URL=${otherUrl} vibexp auth login`);
    } finally {
      other.close();
    }
    const withApi = await vibexp(['whoami'], { env: { VIBEXP_BASE_URL: `${base}/api/v1` } });
    expect([withApi.code, withApi.stdout]).toEqual([0, expect.stringContaining(user.email)]);
  });

  it('warns at login of a key without the cli integration, and says what to do when a key is refused', async () => {
    const hooksOnly = (await user.createKey({ integrations: ['ai_tools'] })).full_key;
    const elsewhere = await mkdtemp(join(tmpdir(), 'vibexp-home-'));
    const login = await vibexp(['auth', 'login', '--with-api-key'], { input: hooksOnly, env: { HOME: elsewhere } });
    expect([login.code, login.stderr]).toEqual([0, expect.stringContaining('lacks the cli integration')]);
    const listed = await vibexp(['memory', 'list'], { env: { HOME: elsewhere } });
    expect([listed.code, listed.stderr]).toEqual([4, expect.stringContaining('"cli" integration')]);
    const bogus = await vibexp(['whoami'], { env: { VIBEXP_API_KEY: `vxk_${'0'.repeat(64)}` } });
    expect([bogus.code, bogus.stderr]).toEqual([4, expect.stringContaining('The key in VIBEXP_API_KEY was refused')]);
    // The API's AUTH_MALFORMED for a key cut short is not called revoked.
    const cut = await vibexp(['whoami'], { env: { VIBEXP_API_KEY: 'vxk_0000' } });
    expect([cut.code, cut.stderr]).toEqual([4, expect.stringContaining('AUTH_MALFORMED')]);
    expect(cut.stderr).toContain('is not shaped like a VibeXP key');
    expect(cut.stderr).not.toContain('revoked');
    // A wrong password is no refused key.
    const password = await vibexp([
      'api',
      'POST',
      '/auth/login',
      '--data',
      JSON.stringify({ email: user.email, password: 'not-the-password-1' }),
    ]);
    expect([password.code, password.stderr]).toEqual([4, expect.stringContaining('AUTH_INVALID')]);
    expect(password.stderr).not.toMatch(/key .*refused/);
  });

  it('refuses a value the API would refuse before sending it, and says at once that nothing listens', async () => {
    for (const argv of [
      ['memory', 'list', '--limit', '500'],
      ['audit', 'list', '--outcome', 'bogus'],
      ['search', 'x', '--types', 'bogus'],
    ])
      expect([argv, (await vibexp(argv)).code]).toEqual([argv, 2]);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const started = Date.now();
    const down = await vibexp(['whoami'], {
      env: { VIBEXP_API_KEY: key, VIBEXP_BASE_URL: `http://127.0.0.1:${port}` },
    });
    expect([down.code, down.stderr]).toEqual([1, expect.stringContaining(`nothing is listening at 127.0.0.1:${port}`)]);
    expect(down.stderr).not.toContain('retrying');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('logs out', async () => {
    expect((await vibexp(['auth', 'logout'])).code).toBe(0);
    const after = await vibexp(['whoami']);
    expect([after.code, after.stderr]).toEqual([4, expect.stringContaining('auth login --web')]);
  });
});
