import { randomUUID } from 'node:crypto';
import type { AiToolSessionView as Session } from '#contracts';
import { ContentStore } from '../../apps/content-service/src/shared/content-store';
import { type ApiResponse, DashboardUser, call } from '../support/api-client';
import { TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

type Body = Record<string, unknown>;
interface SessionList {
  sessions: Session[];
  total_count: number;
  page: number;
  per_page: number;
  total_pages: number;
}

describe('IDE hook endpoints (PRODUCT.md §10)', () => {
  let platform: TestPlatform;
  let base: string;
  let owner: DashboardUser;
  let aiKey: string;
  let cliKey: string;
  let stranger: DashboardUser;
  let strangerKey: string;

  const hook = (path: string, body: unknown, key = aiKey, headers: Record<string, string> = {}) =>
    call<Body>(base, 'POST', `/api/v1${path}`, { key, body, headers });
  const sessions = (tool: string, query = '', key = aiKey) =>
    call<SessionList>(base, 'GET', `/api/v1/ai-tools/${tool}/sessions${query}`, { key });
  const memory = async (body: Body) => {
    const created = await call<Body>(base, 'POST', '/api/v1/memories', { key: cliKey, body });
    expect(created.status).toBe(201);
  };
  const context = (response: ApiResponse<Body>) =>
    (response.body.hookSpecificOutput as { additionalContext: string } | undefined)?.additionalContext;

  beforeAll(async () => {
    platform = await TestPlatform.start();
    base = platform.url('gateway');
    owner = await DashboardUser.signup(base);
    aiKey = (await owner.createKey({ integrations: ['ai_tools'] })).full_key;
    cliKey = (await owner.createKey({ integrations: ['cli'] })).full_key;
    stranger = await DashboardUser.signup(base);
    strangerKey = (await stranger.createKey({ integrations: ['ai_tools', 'cli'] })).full_key;
  }, 90_000);
  afterAll(() => platform?.stop());

  it('stores a Claude Code hook unchanged and answers 201 with the event id', async () => {
    const sessionId = randomUUID();
    const response = await hook('/claude-code/hooks', {
      session_id: sessionId,
      transcript_path: '/home/ann/.claude/projects/x.jsonl',
      cwd: '/home/ann/src/shop',
      hook_event_name: 'PostToolUse',
      tool_name: 'Bash',
      tool_input: { command: 'npm test' },
      tool_response: { stdout: 'ok', stderr: '', interrupted: false },
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      status: 'success',
      data: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), created_at: expect.any(String) },
    });
    expect(response.headers.get('x-ratelimit-limit')).toBe('1000');

    const eventId = (response.body.data as Body).id;
    const stored = await waitFor(
      () => owner.request<{ events: Body[] }>('GET', `/api/v1/audit-log?type=hook.received&limit=100`),
      (page) => page.body.events.some((event) => event.id === eventId),
    );
    const event = stored.body.events.find((e) => e.id === eventId);
    expect(event).toMatchObject({
      type: 'hook.received',
      key_id: expect.any(String),
      tool_type: 'claude_code',
      data: {
        session_id: sessionId,
        hook_event_name: 'PostToolUse',
        tool_name: 'Bash',
        cwd: '/home/ann/src/shop',
        payload: { tool_input: { command: 'npm test' }, tool_response: { stdout: 'ok' } },
      },
    });

    const used = await waitFor(
      () => owner.request<{ events: Body[] }>('GET', `/api/v1/audit-log?type=key.used&action=hooks.claude_code`),
      (page) => page.body.events.length > 0,
    );
    expect(used.body.events[0]).toMatchObject({ tool_type: 'claude_code', action: 'hooks.claude_code' });
  });

  it('tells a session’s hooks apart and lists the session with its counts and tools', async () => {
    const sessionId = `claude-${randomUUID()}`;
    const send = (hook_event_name: string, extra: Body = {}) =>
      hook('/claude-code/hooks', { session_id: sessionId, hook_event_name, cwd: '/w/inventory', ...extra });
    expect((await send('SessionStart', { source: 'startup' })).status).toBe(201);
    expect((await send('PreToolUse', { tool_name: 'Read' })).status).toBe(201);
    expect((await send('PostToolUse', { tool_name: 'Read' })).status).toBe(201);
    expect((await send('PreToolUse', { tool_name: 'Edit', cwd: '/w/inventory/api' })).status).toBe(201);
    expect((await send('Stop')).status).toBe(201);

    const list = await sessions('claude-code', '?limit=100');
    expect(list.status).toBe(200);
    const session = list.body.sessions.find((s) => s.session_id === sessionId);
    expect(session).toEqual({
      session_id: sessionId,
      tool: 'claude_code',
      first_seen: expect.any(String),
      last_seen: expect.any(String),
      hook_count: 5,
      tools_used: ['Read', 'Edit'],
      cwd: '/w/inventory',
      last_hook_event: 'Stop',
    });
    expect(Date.parse(session!.last_seen)).toBeGreaterThanOrEqual(Date.parse(session!.first_seen));
    // Newest first by default; the Cursor list does not hold Claude Code's sessions.
    expect(list.body.sessions[0].session_id).toBe(sessionId);
    expect((await sessions('cursor-ide')).body.sessions.map((s) => s.session_id)).not.toContain(sessionId);
  });

  it('keeps the last directory sent when later hooks send none, and at most 100 tool names', async () => {
    const sessionId = randomUUID();
    const send = (extra: Body) =>
      hook('/claude-code/hooks', { session_id: sessionId, hook_event_name: 'PostToolUse', ...extra });
    expect((await send({ cwd: '/w/first' })).status).toBe(201);
    expect((await send({ cwd: '/w/second' })).status).toBe(201);
    for (let i = 0; i < 101; i += 1) expect((await send({ tool_name: `tool-${i}` })).status).toBe(201);
    const session = (await sessions('claude-code', '?limit=100')).body.sessions.find((s) => s.session_id === sessionId);
    expect(session).toMatchObject({ cwd: '/w/second', hook_count: 103 });
    expect(session?.tools_used).toHaveLength(100);
    expect(session?.tools_used[99]).toBe('tool-99');
  }, 30_000);

  it('counts every hook of a session sent at once', async () => {
    const sessionId = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        hook('/claude-code/hooks', { session_id: sessionId, hook_event_name: 'PostToolUse', tool_name: `T${i % 3}` }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    const session = (await sessions('claude-code', '?limit=100')).body.sessions.find((s) => s.session_id === sessionId);
    expect(session?.hook_count).toBe(20);
    expect([...(session?.tools_used ?? [])].sort()).toEqual(['T0', 'T1', 'T2']);
  });

  it('stores Cursor hooks under conversation_id and lists them with the first workspace root', async () => {
    const conversation = randomUUID();
    const response = await hook('/cursor-ide/hooks', {
      conversation_id: conversation,
      generation_id: randomUUID(),
      hook_event_name: 'beforeShellExecution',
      command: 'git status',
      workspace_roots: ['/Users/bo/code/site', '/Users/bo/code/lib'],
    });
    expect(response.status).toBe(201);
    expect(response.body.hookSpecificOutput).toBeUndefined();
    const list = await sessions('cursor-ide');
    expect(list.body.sessions.find((s) => s.session_id === conversation)).toMatchObject({
      tool: 'cursor',
      hook_count: 1,
      cwd: '/Users/bo/code/site',
      last_hook_event: 'beforeShellExecution',
    });
    const missing = await hook('/cursor-ide/hooks', { session_id: conversation, hook_event_name: 'stop' });
    expect([missing.status, missing.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(missing.body.validation_errors).toEqual([{ field: 'conversation_id', message: 'is required' }]);
  });

  describe('additionalContext', () => {
    beforeAll(async () => {
      await memory({ project: 'billing/api', title: 'Invoices', text: 'Invoices are numbered per tenant and year.' });
      await memory({ project: 'billing', title: 'Stack', text: 'The billing service runs on Postgres 16.' });
      await memory({ project: 'billing/api', title: 'Archived', text: 'Old invoice rule', status: 'archived' });
      await memory({ project: 'shipping', title: 'Carriers', text: 'We ship invoices with DHL.' });
      await memory({ title: 'No project', text: 'Invoices everywhere' });
      const strangerMemory = await call(base, 'POST', '/api/v1/memories', {
        key: strangerKey,
        body: { project: 'billing/api', title: 'Foreign', text: 'Another account’s invoices secret' },
      });
      expect(strangerMemory.status).toBe(201);
    });

    it('gives SessionStart the active memories of the project of cwd, most specific first', async () => {
      const response = await hook('/claude-code/hooks', {
        session_id: randomUUID(),
        hook_event_name: 'SessionStart',
        source: 'startup',
        cwd: '/home/ann/src/billing/api',
      });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ status: 'success', data: { id: expect.any(String) } });
      expect(response.body.hookSpecificOutput).toEqual({
        hookEventName: 'SessionStart',
        additionalContext: expect.any(String),
      });
      const text = context(response)!;
      expect(text).toContain('Invoices are numbered per tenant and year.');
      expect(text).toContain('Postgres 16');
      expect(text.indexOf('Invoices are numbered')).toBeLessThan(text.indexOf('Postgres 16'));
      for (const absent of ['Old invoice rule', 'DHL', 'Invoices everywhere', 'secret'])
        expect(text).not.toContain(absent);
    });

    it('finds the project of a folder written in another case (macOS and Windows folders ignore it)', async () => {
      const response = await hook('/claude-code/hooks', {
        session_id: randomUUID(),
        hook_event_name: 'SessionStart',
        cwd: '/Users/ann/src/Billing/API',
      });
      expect(context(response)).toContain('Invoices are numbered per tenant and year.');
    });

    it('gives UserPromptSubmit only the memories the prompt is about', async () => {
      const response = await hook('/claude-code/hooks', {
        session_id: randomUUID(),
        hook_event_name: 'UserPromptSubmit',
        prompt: 'How are invoices numbered?',
        cwd: '/srv/billing/api',
      });
      const text = context(response)!;
      expect(text).toContain('Invoices are numbered per tenant and year.');
      expect(text).not.toContain('Postgres 16');
    });

    it('answers an empty context where no memory matches, and none for other events or Cursor', async () => {
      const elsewhere = await hook('/claude-code/hooks', {
        session_id: randomUUID(),
        hook_event_name: 'SessionStart',
        cwd: '/tmp/unrelated',
      });
      expect(elsewhere.body.hookSpecificOutput).toEqual({ hookEventName: 'SessionStart', additionalContext: '' });
      const noCwd = await hook('/claude-code/hooks', { session_id: randomUUID(), hook_event_name: 'SessionStart' });
      expect(context(noCwd)).toBe('');
      const other = await hook('/claude-code/hooks', {
        session_id: randomUUID(),
        hook_event_name: 'PreToolUse',
        cwd: '/srv/billing/api',
      });
      expect(other.body.hookSpecificOutput).toBeUndefined();
    });
  });

  describe('who may call', () => {
    it('needs the ai_tools integration, a session, or a declared integration the key holds', async () => {
      const body = { session_id: randomUUID(), hook_event_name: 'Stop' };
      const cli = await hook('/claude-code/hooks', body, cliKey);
      expect([cli.status, cli.body.code]).toEqual([403, 'INTEGRATION_NOT_PERMITTED']);
      expect(cli.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="ai_tools"');
      const declared = await hook('/claude-code/hooks', body, cliKey, { 'x-vibexp-integration': 'cli' });
      expect(declared.status).toBe(201);
      const sessionsByCli = await sessions('claude-code', '', cliKey);
      expect([sessionsByCli.status, sessionsByCli.body]).toMatchObject([403, { code: 'INTEGRATION_NOT_PERMITTED' }]);

      const anonymous = await call<Body>(base, 'POST', '/api/v1/claude-code/hooks', { body });
      expect([anonymous.status, anonymous.body.code]).toEqual([401, 'AUTH_REQUIRED']);

      const dashboard = await owner.request<Body>('POST', '/api/v1/claude-code/hooks', { body });
      expect(dashboard.status).toBe(201);
      const noCsrf = await owner.request<Body>('POST', '/api/v1/claude-code/hooks', { body, csrf: false });
      expect([noCsrf.status, noCsrf.body.code]).toEqual([403, 'CSRF_FAILED']);
      expect((await owner.request<SessionList>('GET', '/api/v1/ai-tools/claude-code/sessions')).status).toBe(200);
    });

    it('never shows one account the sessions of another', async () => {
      const mine = randomUUID();
      expect((await hook('/claude-code/hooks', { session_id: mine, hook_event_name: 'Stop' })).status).toBe(201);
      // The same session id from another account is another session.
      expect(
        (await hook('/claude-code/hooks', { session_id: mine, hook_event_name: 'Stop' }, strangerKey)).status,
      ).toBe(201);
      const theirs = await sessions('claude-code', '?limit=100', strangerKey);
      expect(theirs.body.sessions.map((s) => [s.session_id, s.hook_count])).toEqual([[mine, 1]]);
    });
  });

  describe('bad input', () => {
    const post = (rawBody: string, contentType = 'application/json') =>
      call<Body>(base, 'POST', '/api/v1/claude-code/hooks', {
        key: aiKey,
        rawBody,
        headers: { 'content-type': contentType },
      });

    it.each([
      ['invalid JSON', '{"session_id": ', 400, 'INVALID_JSON'],
      ['a JSON array', '[]', 400, 'VALIDATION_FAILED'],
      ['a JSON string', '"hi"', 400, 'VALIDATION_FAILED'],
      ['no fields', '{}', 400, 'VALIDATION_FAILED'],
      ['a number as session_id', '{"session_id": 1, "hook_event_name": "Stop"}', 400, 'VALIDATION_FAILED'],
    ])('refuses %s', async (_, rawBody, status, code) => {
      const response = await post(rawBody);
      expect([response.status, response.body.code]).toEqual([status, code]);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });

    it('refuses a body that is not JSON with 415, and an unknown tool with 404', async () => {
      const text = await post('session_id=x', 'text/plain');
      expect([text.status, text.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      const unknown = await call<Body>(base, 'POST', '/api/v1/vscode/hooks', {
        key: aiKey,
        body: { session_id: 's', hook_event_name: 'Stop' },
      });
      expect(unknown.status).toBe(404);
      expect((await sessions('vscode')).status).toBe(404);
    });

    it('refuses unknown sort_by and a limit over 100 on the session list', async () => {
      for (const query of ['?sort_by=name', '?limit=101', '?sort_order=up', '?page=0']) {
        const response = await sessions('claude-code', query);
        expect([query, response.status, response.body]).toMatchObject([query, 400, { code: 'VALIDATION_FAILED' }]);
      }
      const page = await sessions('claude-code', '?limit=1&page=2&sort_by=hook_count&sort_order=asc');
      expect(page.body).toMatchObject({ page: 2, per_page: 1 });
      expect(page.body.sessions).toHaveLength(1);
      const ascending = (await sessions('claude-code', '?limit=100&sort_by=hook_count&sort_order=asc')).body.sessions;
      const counts = ascending.map((session) => session.hook_count);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      expect(counts[counts.length - 1]).toBeGreaterThan(counts[0]);
      expect(ascending[1].session_id).toBe(page.body.sessions[0].session_id);
    });

    it('stores __proto__ and constructor keys as sent, and long strings cut with a flag; refuses over 1 MiB with 413', async () => {
      const sessionId = randomUUID();
      const rawBody = `{"session_id":"${sessionId}","hook_event_name":"PostToolUse","tool_input":{"constructor":"c","__proto__":{"p":1}},"tool_response":"${'r'.repeat(20_000)}"}`;
      const response = await post(rawBody);
      expect(response.status).toBe(201);
      const stored = await waitFor(
        () => owner.request<{ events: { data: Body }[] }>('GET', '/api/v1/audit-log?type=hook.received&limit=100'),
        (page) => page.body.events.some((event) => event.data.session_id === sessionId),
      );
      const data = stored.body.events.find((e) => e.data.session_id === sessionId)!.data;
      // Both as own properties (PostgreSQL's jsonb orders keys its own way).
      const toolInput = (data.payload as Body).tool_input as Body;
      expect(Object.keys(toolInput).sort()).toEqual(['__proto__', 'constructor']);
      expect([
        toolInput.constructor,
        JSON.stringify(Object.getOwnPropertyDescriptor(toolInput, '__proto__')?.value),
      ]).toEqual(['c', '{"p":1}']);
      expect(data.truncated).toBe(true);
      expect(((data.payload as Body).tool_response as string).length).toBeLessThan(17_000);

      const huge = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`f${i}`, 'z'.repeat(16_384)]));
      const tooLarge = await hook('/claude-code/hooks', { session_id: randomUUID(), hook_event_name: 'Stop', ...huge });
      expect([tooLarge.status, tooLarge.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    });

    /** The `hook.received` event of a session, as the audit log shows it once it is there. */
    async function storedHook(sessionId: string): Promise<{ data: Body }> {
      const stored = await waitFor(
        () => owner.request<{ events: { data: Body }[] }>('GET', '/api/v1/audit-log?type=hook.received&limit=100'),
        (page) => page.body.events.some((event) => event.data.session_id === sessionId),
      );
      return stored.body.events.find((e) => e.data.session_id === sessionId)!;
    }

    it('stores a key or password inside a hook masked, and NUL characters as U+FFFD', async () => {
      const leaked = `vxk_${'c'.repeat(64)}`;
      const sessionId = randomUUID();
      const response = await hook('/claude-code/hooks', {
        session_id: sessionId,
        hook_event_name: 'PreToolUse',
        tool_name: 'Bash',
        tool_input: {
          command: `curl -H "Authorization: Bearer ${leaked}" https://me:hunter2@example.com -b vx_session=s3ss10nvalue`,
          password: 'correct horse',
        },
        tool_response: 'binary\u0000output',
      });
      expect(response.status).toBe(201);
      const event = await storedHook(sessionId);
      const text = JSON.stringify(event);
      expect(text).not.toContain(leaked);
      for (const secret of ['hunter2', 's3ss10nvalue', 'correct horse']) expect(text).not.toContain(secret);
      expect((event.data.payload as Body).tool_response).toBe('binary\uFFFDoutput');
    });

    it('masks tokens and third-party secrets by their field names and shapes, and keeps counts', async () => {
      const access = `vxo_${'1a'.repeat(32)}`;
      const refresh = `vxr_${'2b'.repeat(32)}`;
      const github = `ghp_${'Q7w'.repeat(12)}`;
      const sessionId = randomUUID();
      const response = await hook('/claude-code/hooks', {
        session_id: sessionId,
        hook_event_name: 'PostToolUse',
        tool_name: 'Bash',
        tool_input: {
          access_token: 'opaque-access-value',
          refresh_token: 'opaque-refresh-value',
          api_key: 'sk-live-123',
          GITHUB_TOKEN: 'opaque-github-value',
          client_secret: 'opaque-client-secret',
          AWS_SECRET_ACCESS_KEY: 'opaque-aws-value',
          input_tokens: 1234,
          // Environment variables glue the words: each one a secret all the same.
          env: {
            PGPASSWORD: 'opaque-pg-value',
            NGROK_AUTHTOKEN: 'opaque-ngrok-value',
            MYSQL_PWD: 'opaque-mysql-value',
          },
        },
        tool_response: `Authorization: Bearer ${access}\nrefresh=${refresh}\ngh=${github}\nGET /me?access_token=opaque-url-value`,
      });
      expect(response.status).toBe(201);
      const event = await storedHook(sessionId);
      const text = JSON.stringify(event);
      for (const secret of [
        access.slice(12),
        refresh.slice(12),
        github.slice(12),
        'opaque-access-value',
        'opaque-refresh-value',
        'sk-live-123',
        'opaque-github-value',
        'opaque-client-secret',
        'opaque-aws-value',
        'opaque-pg-value',
        'opaque-ngrok-value',
        'opaque-mysql-value',
        'opaque-url-value',
      ])
        expect([secret, text.includes(secret)]).toEqual([secret, false]);
      expect(((event.data.payload as Body).tool_input as Body).input_tokens).toBe(1234);
    });
  });

  it('rebuilds the session list from the hook events with the same rows (runs last)', async () => {
    await platform.withDatabase('content-service', async (dataSource) => {
      const store = new ContentStore(dataSource, () => new Date());
      const snapshot = () => dataSource.query(`SELECT * FROM ai_tool_sessions ORDER BY account_id, tool, session_id`);
      const before = (await snapshot()) as unknown[];
      expect(before.length).toBeGreaterThan(5);
      await store.events.rebuild(store.hookSessions);
      expect(await snapshot()).toEqual(before);
    });
  });
});
