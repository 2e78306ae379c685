import { randomUUID } from 'node:crypto';
import { JsonLogger } from '#common';
import { AuditPartitions, partitionName } from '../../apps/audit-service/src/audit-log/audit-partitions';
import { DashboardUser, PASSWORD, call } from '../support/api-client';
import { TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

type AuditEvent = Record<string, unknown> & { id: string; type: string };
type AuditPage = { events: AuditEvent[]; next_cursor: string | null };

describe('audit log (PRODUCT.md §9.1)', () => {
  let platform: TestPlatform;
  let base: string;
  let user: DashboardUser;
  let key: { full_key: string; key_prefix: string; api_key: { id: string } };

  // Through the session by default: a request with an API key is itself a new key.used event in the log,
  // which would make "the log as it was" a moving target.
  const log = (query = '', as: { key?: string; user?: DashboardUser } = {}) =>
    as.key
      ? call<AuditPage>(base, 'GET', `/api/v1/audit-log${query}`, { key: as.key })
      : (as.user ?? user).request<AuditPage>('GET', `/api/v1/audit-log${query}`);

  beforeAll(async () => {
    platform = await TestPlatform.start({ gatewayEnv: { TRUSTED_PROXIES: '127.0.0.1/32' } });
    base = platform.url('gateway');
    user = await DashboardUser.signup(base);
    key = await user.createKey({ name: 'Audited' });
    await call(base, 'GET', '/api/v1/prompts', {
      key: key.full_key,
      headers: { 'User-Agent': 'vibexp-cli/1.0', 'X-Forwarded-For': '81.2.69.160' },
    });
    await call(base, 'GET', '/api/v1/auth/me', { key: `${key.key_prefix}${'0'.repeat(56)}` });
    await call(base, 'POST', '/api/v1/memories', { key: key.full_key, body: { text: 'audited memory' } });
    // Each stream reaches the log through its own consumer: wait for every event these made, not a count.
    const made = ['account.created', 'session.created', 'key.created', 'auth.failed', 'memory.created'];
    await waitFor(
      () => log('?limit=100'),
      (r) =>
        r.status === 200 &&
        made.every((type) => r.body.events.some((e) => e.type === type)) &&
        r.body.events.filter((e) => e.type === 'key.used').length === 2,
    );
  }, 90_000);
  afterAll(() => platform?.stop());

  it('lists the account’s events newest first, with outcome, action, ip, location, tool_type and key fields on top', async () => {
    const response = await log('?limit=100');
    expect(response.status).toBe(200);
    const types = response.body.events.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'account.created',
        'session.created',
        'key.created',
        'key.used',
        'auth.failed',
        'memory.created',
      ]),
    );
    const used = response.body.events.find((e) => e.type === 'key.used' && e.action === 'prompts.list');
    expect(used).toMatchObject({
      id: expect.any(String),
      stream: expect.any(String),
      version: 0,
      occurred_at: expect.any(String),
      data: expect.any(Object),
      meta: expect.objectContaining({
        account_id: user.account.id,
        key_id: key.api_key.id,
        request_id: expect.any(String),
      }),
      outcome: 'success',
      action: 'prompts.list',
      ip: '81.2.69.160',
      location: { country: 'GB', city: expect.any(String) },
      tool_type: 'cli',
      key_id: key.api_key.id,
      key_prefix: key.key_prefix,
    });
    const failed = response.body.events.find((e) => e.type === 'auth.failed');
    expect(failed).toMatchObject({ outcome: 'failure', key_prefix: key.key_prefix, action: 'auth.me' });
    const times = response.body.events.map((e) => e.occurred_at as string);
    expect([...times].sort().reverse()).toEqual(times);
    expect(JSON.stringify(response.body)).not.toContain(key.full_key);
  });

  it('shows where a command came from too: a sign-up, a login, a key’s creation, a content change', async () => {
    const events = (await log('?limit=100')).body.events;
    for (const type of ['account.created', 'session.created', 'key.created', 'memory.created'])
      expect([type, events.find((e) => e.type === type)?.location]).toEqual([type, { country: 'local', city: null }]);
    // Through the trusted proxy, from a British address.
    const login = await call(base, 'POST', '/api/v1/auth/login', {
      body: { email: user.email, password: PASSWORD },
      headers: { 'X-Forwarded-For': '81.2.69.160' },
    });
    expect(login.status).toBe(200);
    const fromAbroad = await waitFor(
      async () => (await log('?type=session.created&ip=81.2.69.160')).body.events,
      (found) => found.length === 1,
    );
    expect(fromAbroad[0]).toMatchObject({ ip: '81.2.69.160', location: { country: 'GB' } });
    expect(fromAbroad[0].meta).toMatchObject({ location: { country: 'GB' } });
  });

  it.each([
    ['type=key.*', (e: AuditEvent) => e.type.startsWith('key.')],
    ['type=auth.failed,memory.created', (e: AuditEvent) => ['auth.failed', 'memory.created'].includes(e.type)],
    // A list as people write it, with spaces after the commas.
    ['type=auth.failed,%20memory.created%20', (e: AuditEvent) => ['auth.failed', 'memory.created'].includes(e.type)],
    ['outcome=failure', (e: AuditEvent) => e.outcome === 'failure'],
    ['action=prompts.list', (e: AuditEvent) => e.action === 'prompts.list'],
    ['ip=81.2.69.160', (e: AuditEvent) => e.ip === '81.2.69.160'],
    // The same address in its IPv4-mapped IPv6 spelling.
    ['ip=::ffff:81.2.69.160', (e: AuditEvent) => e.ip === '81.2.69.160'],
    ['ip=%3A%3AFFFF%3A5102%3A45a0', (e: AuditEvent) => e.ip === '81.2.69.160'],
  ])('filters by %s', async (query, matches) => {
    const all = (await log('?limit=500')).body.events;
    const filtered = await log(`?${query}&limit=500`);
    expect(filtered.status).toBe(200);
    expect(filtered.body.events.length).toBeGreaterThan(0);
    expect(filtered.body.events.map((e) => e.id)).toEqual(all.filter(matches).map((e) => e.id));
  });

  it('filters by key and by time range', async () => {
    const byKey = await log(`?key_id=${key.api_key.id}&limit=500`);
    expect(byKey.body.events.length).toBeGreaterThanOrEqual(3);
    expect(byKey.body.events.every((e) => e.key_id === key.api_key.id)).toBe(true);
    const future = await log(`?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
    expect(future.body.events).toEqual([]);
    const all = await log(
      `?from=2020-01-01T00:00:00Z&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&limit=500`,
    );
    expect(all.body.events.length).toBeGreaterThanOrEqual(6);
  });

  it.each([
    ['limit=501', 'limit'],
    ['limit=0', 'limit'],
    ['limit=1e2', 'limit'],
    ['limit=0x10', 'limit'],
    ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
    ['from=yesterday', 'from'],
    // ISO 8601 but not RFC 3339 (PRODUCT.md §1): a week date once reached PostgreSQL and failed there (500).
    ['from=2026-W48', 'from'],
    ['to=2026-330', 'to'],
    ['from=20261126T200000Z', 'from'],
    ['outcome=maybe', 'outcome'],
    ['type=DROP TABLE', 'type'],
    ['key_id=nope', 'key_id'],
    ['ip=999.1.1.1', 'ip'],
    ['sort_by=bogus', 'sort_by'],
    ['sort_by=key_id', 'sort_by'],
    ['sort_order=sideways', 'sort_order'],
  ])('refuses %s with 400', async (query) => {
    const response = await log(`?${query}`);
    expect([response.status, (response.body as unknown as { code: string }).code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('refuses a forged cursor', async () => {
    for (const cursor of [
      'not-a-cursor',
      Buffer.from('{"s":"1; DROP TABLE"}').toString('base64url'),
      Buffer.from('[]').toString('base64url'),
      Buffer.from('null').toString('base64url'),
      Buffer.from('7').toString('base64url'),
      Buffer.from(`{"t":"2026-11-27T00:00:00Z","id":"${randomUUID()}","o":"desc"}`).toString('base64url'),
      Buffer.from(`{"t":"2026-11-27T00:00:00Z","id":"${randomUUID()}","o":1}`).toString('base64url'),
      // Well-formed, but a time PostgreSQL cannot take (these were 500s).
      Buffer.from(`{"t":"2026-02-30T00:00:00Z","id":"${randomUUID()}"}`).toString('base64url'),
      Buffer.from(`{"t":"+275760-09-13T00:00:00.000Z","id":"${randomUUID()}"}`).toString('base64url'),
    ]) {
      const response = await log(`?cursor=${cursor}`);
      expect([response.status, (response.body as unknown as { code: string }).code]).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
      expect((response.body as unknown as { validation_errors: unknown }).validation_errors).toEqual([
        { field: 'cursor', message: 'is not a cursor this API gave out' },
      ]);
    }
  });

  it('pages with a cursor that neither repeats nor skips while new events arrive', async () => {
    const before = (await log('?limit=500')).body.events.map((e) => e.id);
    const first = await log('?limit=3');
    expect(first.body.events.map((e) => e.id)).toEqual(before.slice(0, 3));
    expect(first.body.next_cursor).toEqual(expect.any(String));
    // New events arrive between pages.
    for (let i = 0; i < 5; i += 1)
      await call(base, 'POST', '/api/v1/memories', { key: key.full_key, body: { text: `later ${i}` } });
    await waitFor(
      () => log('?limit=500'),
      (r) => r.body.events.length >= before.length + 10,
    );
    const seen = [...first.body.events.map((e) => e.id)];
    let cursor = first.body.next_cursor;
    while (cursor) {
      const page = await log(`?limit=3&cursor=${cursor}`);
      seen.push(...page.body.events.map((e) => e.id));
      cursor = page.body.next_cursor;
    }
    expect(seen).toEqual(before);
  });

  it('pages 20 events by default, newest first, and oldest first with sort_order=asc', async () => {
    // More events than a default page holds.
    const stored = (await log('?limit=500')).body.events.length;
    for (let i = 0; i < 25; i += 1) await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key });
    const newest = (
      await waitFor(
        () => log('?limit=500'),
        (r) => r.body.events.length >= stored + 25,
      )
    ).body.events.map((e) => e.id);
    expect(newest.length).toBeGreaterThan(20);
    const byDefault = await log('');
    expect(byDefault.body.events.map((e) => e.id)).toEqual(newest.slice(0, 20));
    expect((await log('?sort_by=occurred_at&sort_order=desc&limit=500')).body.events.map((e) => e.id)).toEqual(newest);

    const oldest: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof log>> = await log(
        `?sort_order=asc&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      );
      oldest.push(...page.body.events.map((e) => e.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(oldest).toEqual([...newest].reverse());
    // A cursor goes on in the order it was read in.
    const descending = (await log('?limit=2')).body.next_cursor!;
    const mixed = await log(`?sort_order=asc&cursor=${descending}`);
    expect([mixed.status, (mixed.body as unknown as { validation_errors: unknown }).validation_errors]).toEqual([
      400,
      [{ field: 'cursor', message: 'was given out for sort_order=desc: send that order with it' }],
    ]);
  });

  it('answers with the own account’s events only, for a session too', async () => {
    const other = await DashboardUser.signup(base);
    const response = await log('?limit=500', { user: other });
    expect(response.status).toBe(200);
    expect(JSON.stringify(response.body)).not.toContain(user.account.id);
    const forged = await log(`?key_id=${key.api_key.id}`, { user: other });
    expect(forged.body.events).toEqual([]);
    const aiOnly = (await other.createKey({ integrations: ['ai_tools'] })).full_key;
    expect((await log('', { key: aiOnly })).status).toBe(403);
    // The audit log and the alerts take a cli key, whatever integration a request declares (PRODUCT.md §9).
    for (const path of ['/api/v1/audit-log', '/api/v1/audit-log/export?format=ndjson', '/api/v1/security/alerts']) {
      const declared = await call(base, 'GET', path, { key: aiOnly, headers: { 'X-VibeXP-Integration': 'ai_tools' } });
      expect([path, declared.status, declared.body.code]).toEqual([path, 403, 'INTEGRATION_NOT_PERMITTED']);
      expect(declared.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="cli"');
    }
    const cliKey = (await other.createKey({ integrations: ['cli'] })).full_key;
    const cliDeclaringAi = await call(base, 'GET', '/api/v1/audit-log', {
      key: cliKey,
      headers: { 'X-VibeXP-Integration': 'ai_tools' },
    });
    expect(cliDeclaringAi.status).toBe(200);
    // /auth/me takes any key, but a declared integration must still be a real one (PRODUCT.md §3.2).
    const retired = await call(base, 'GET', '/api/v1/auth/me', {
      key: cliKey,
      headers: { 'X-VibeXP-Integration': 'mcp_server' },
    });
    expect([retired.status, retired.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('exports the selection as NDJSON and as CSV', async () => {
    const all = (await log('?limit=500')).body.events;
    const ndjson = await fetch(`${base}/api/v1/audit-log/export?format=ndjson`, {
      headers: { cookie: `vx_session=${user.cookie}` },
    });
    expect(ndjson.status).toBe(200);
    expect(ndjson.headers.get('content-type')).toContain('application/x-ndjson');
    expect(ndjson.headers.get('content-disposition')).toMatch(/attachment; filename="audit-log-.*\.ndjson"/);
    const lines = (await ndjson.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEvent);
    expect(lines.length).toBeGreaterThanOrEqual(all.length);
    expect(lines.map((e) => e.id)).toEqual(expect.arrayContaining(all.map((e) => e.id)));
    // HEAD answers the export's headers without running the export.
    const head = await fetch(`${base}/api/v1/audit-log/export?format=ndjson`, {
      method: 'HEAD',
      headers: { cookie: `vx_session=${user.cookie}` },
    });
    expect([head.status, head.headers.get('content-type'), await head.text()]).toEqual([
      200,
      'application/x-ndjson',
      '',
    ]);
    const csv = await fetch(`${base}/api/v1/audit-log/export?format=csv&type=key.*`, {
      headers: { cookie: `vx_session=${user.cookie}` },
    });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows = (await csv.text()).trim().split('\r\n');
    expect(rows[0]).toBe(
      'id,occurred_at,type,outcome,action,key_id,key_prefix,client_id,ip,country,city,tool_type,request_id,stream,version,data',
    );
    expect(rows.length - 1).toBe(all.filter((e) => e.type.startsWith('key.')).length);
    expect((await call(base, 'GET', '/api/v1/audit-log/export?format=xml', { key: key.full_key })).status).toBe(400);
  });

  it('exports a selection of 100,000 events completely, page by page', async () => {
    const exporter = await DashboardUser.signup(base);
    const { Client } = await import('pg');
    const client = new Client({ connectionString: platform.databases.get('audit-service')!.url });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO audit_log (event_id, occurred_at, event_type, stream, stream_version, account_id, request_id, outcome, action, data, meta, source_stream)
         SELECT gen_random_uuid(), now() - (g * interval '1 second'), 'key.used', 'usage-export', 0, $1::uuid, 'export', 'success', 'prompts.list',
                '{}'::json, json_build_object('request_id', 'export', 'account_id', $1::text), 'AUTH'
           FROM generate_series(1, 100000) AS g`,
        [exporter.account.id],
      );
    } finally {
      await client.end();
    }
    const response = await fetch(`${base}/api/v1/audit-log/export?format=ndjson&type=key.used`, {
      headers: { cookie: `vx_session=${exporter.cookie}` },
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let lines = 0;
    let tail = '';
    const ids = new Set<string>();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const text = tail + Buffer.from(value).toString('utf8');
      const parts = text.split('\n');
      tail = parts.pop() ?? '';
      for (const line of parts) {
        lines += 1;
        ids.add((JSON.parse(line) as { id: string }).id);
      }
    }
    expect(tail).toBe('');
    expect(lines).toBe(100_000);
    expect(ids.size).toBe(100_000);
  }, 120_000);

  it('keeps monthly partitions ahead and drops those past the retention', async () => {
    await platform.withDatabase('audit-service', async (dataSource) => {
      const now = new Date();
      const current = partitionName(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)));
      const names = async () =>
        (
          (await dataSource.query(
            `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_log'::regclass`,
          )) as { name: string }[]
        ).map((r) => r.name);
      expect(await names()).toEqual(expect.arrayContaining([current, 'audit_log_default']));
      const [{ n }] = (await dataSource.query(`SELECT count(*)::int AS n FROM ONLY audit_log_default`)) as {
        n: number;
      }[];
      expect(n).toBe(0);

      // Rows no monthly partition takes (older than last month when stored) land in the default partition.
      const laterTime = now.getTime() + 2 * 365 * 86_400_000;
      const storeOld = async (occurredAt: number) => {
        const id = randomUUID();
        await dataSource.query(
          `INSERT INTO audit_log (event_id, occurred_at, event_type, stream, stream_version, request_id, outcome, action, data, meta, source_stream)
           VALUES ($1, $2, 'key.used', 'test', 0, 'req_test', 'success', 'read', '{}', '{}', 'AUTH')`,
          [id, new Date(occurredAt).toISOString()],
        );
        return id;
      };
      const pastRetention = await storeOld(now.getTime() - 3 * 365 * 86_400_000);
      const withinRetention = await storeOld(laterTime - 100 * 86_400_000);
      const inDefault = async () =>
        (
          (await dataSource.query(`SELECT event_id FROM ONLY audit_log_default WHERE event_id = ANY($1)`, [
            [pastRetention, withinRetention],
          ])) as { event_id: string }[]
        ).map((r) => r.event_id);
      expect((await inDefault()).sort()).toEqual([pastRetention, withinRetention].sort());

      // Two years later, with 400 days of retention: this month's partition goes, whole, and the default
      // partition's rows past the retention go one by one.
      const later = new AuditPartitions(dataSource, 400, new JsonLogger('test', 'silent'), () => new Date(laterTime));
      const { created, dropped } = await later.maintain();
      const expiredDefaultRows = await later.expireDefaultRows();
      expect(dropped).toContain(current);
      expect(created.length).toBeGreaterThan(0);
      expect(await names()).not.toContain(current);
      expect(expiredDefaultRows).toBe(1);
      expect(await inDefault()).toEqual([withinRetention]);
      await dataSource.query(`DELETE FROM audit_log_default WHERE event_id = $1`, [withinRetention]);
    });
  });

  it('records an unknown event type as such and sets a malformed message aside, without stopping', async () => {
    const { connect } = await import('@nats-io/transport-node');
    const nats = await connect({ servers: platform.nats.url });
    const unknownId = randomUUID();
    try {
      const js = (await import('@nats-io/jetstream')).jetstream(nats);
      await js.publish('content.events.memory.created', '{not json');
      await js.publish(
        'content.events.weather.changed',
        JSON.stringify({
          id: unknownId,
          type: 'weather.changed',
          stream: 'weather-1',
          version: 1,
          occurred_at: new Date().toISOString(),
          data: { sky: 'grey' },
          meta: { request_id: 'unknown-type', account_id: user.account.id },
        }),
      );
    } finally {
      await nats.close();
    }
    const stored = await waitFor(
      () => log('?type=weather.changed'),
      (r) => r.body.events.length === 1,
    );
    expect(stored.body.events[0]).toMatchObject({
      id: unknownId,
      type: 'weather.changed',
      outcome: 'success',
      action: 'weather.changed',
    });
    await call(base, 'POST', '/api/v1/memories', { key: key.full_key, body: { text: 'after the poison message' } });
    await waitFor(
      () => log('?type=memory.created&limit=500'),
      (r) =>
        r.body.events.some(
          (e) => (e.data as { fields?: { text?: string } }).fields?.text === 'after the poison message',
        ),
    );
  });

  it('stores each event once across an audit-service restart (idempotent on the event id)', async () => {
    const marker = randomUUID();
    for (let i = 0; i < 20; i += 1)
      await call(base, 'POST', '/api/v1/memories', { key: key.full_key, body: { text: `${marker} ${i}` } });
    await platform.restart('audit-service');
    // Messages JetStream sent to the stopping instance after it unsubscribed come again once their ack wait
    // (30 s) has passed: allow for that redelivery, which is what this test is about.
    const created = await waitFor(
      () => log('?type=memory.created&limit=500'),
      (r) =>
        r.body.events.filter((e) => String((e.data as { fields?: { text?: string } }).fields?.text).startsWith(marker))
          .length >= 20,
      45_000,
    );
    const ids = created.body.events
      .filter((e) => String((e.data as { fields?: { text?: string } }).fields?.text).startsWith(marker))
      .map((e) => e.id);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
  }, 90_000);
});
