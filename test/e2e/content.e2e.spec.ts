import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import axios from 'axios';
import { ContentStore } from '../../apps/content-service/src/shared/content-store';
import { sweepExpiredKeys } from '../../apps/content-service/src/shared/idempotency';
import { DashboardUser, call } from '../support/api-client';
import { TestPlatform } from '../support/platform';
import { natsTrafficDuring } from '../support/secret-scan';
import { waitFor } from '../support/wait';

type Body = Record<string, unknown>;

describe('content: prompts, artifacts, memories and search (PRODUCT.md §5, §6)', () => {
  let platform: TestPlatform;
  let base: string;
  let owner: DashboardUser;
  let key: string;
  let stranger: DashboardUser;
  let strangerKey: string;

  const api = <T = Body>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call<T>(base, method, `/api/v1${path}`, { key, body, headers });

  beforeAll(async () => {
    platform = await TestPlatform.start();
    base = platform.url('gateway');
    owner = await DashboardUser.signup(base);
    key = (await owner.createKey({ integrations: ['cli'] })).full_key;
    stranger = await DashboardUser.signup(base);
    strangerKey = (await stranger.createKey({ integrations: ['cli', 'ai_tools'] })).full_key;
  }, 90_000);
  afterAll(() => platform?.stop());

  describe('prompts', () => {
    it('creates with defaults and a slug derived from the name, reads by id and by slug', async () => {
      const created = await api('POST', '/prompts', {
        name: 'Daily Stand-up!',
        body: 'What did {{who}} do?',
        labels: [' team ', 'team', 'daily'],
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        slug: 'daily-stand-up',
        name: 'Daily Stand-up!',
        description: '',
        body: 'What did {{who}} do?',
        status: 'draft',
        labels: ['team', 'daily'],
        mcp_expose: true,
        version: 1,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect((await api('GET', `/prompts/${created.body.id}`)).body).toEqual(created.body);
      expect((await api('GET', '/prompts/daily-stand-up')).body).toEqual(created.body);
      const again = await api('POST', '/prompts', { name: 'Daily stand up', body: 'x' });
      expect(again.body.slug).toBe('daily-stand-up-2');
      const taken = await api('POST', '/prompts', { name: 'Other', slug: 'daily-stand-up', body: 'x' });
      expect([taken.status, taken.body.code]).toEqual([409, 'RESOURCE_EXISTS']);
    });

    it.each([
      ['an upper-case slug', { name: 'n', slug: 'Bad', body: 'b' }, 'slug'],
      ['a slug with spaces', { name: 'n', slug: 'a b', body: 'b' }, 'slug'],
      ['a slug with ..', { name: 'n', slug: '..', body: 'b' }, 'slug'],
      ['an empty name', { name: '', body: 'b' }, 'name'],
      ['a 101-character name', { name: 'x'.repeat(101), body: 'b' }, 'name'],
      ['an empty body', { name: 'n', body: '' }, 'body'],
      ['11 labels', { name: 'n', body: 'b', labels: Array.from({ length: 11 }, (_, i) => `l${i}`) }, 'labels'],
      ['a 51-character label', { name: 'n', body: 'b', labels: ['x'.repeat(51)] }, 'labels'],
      ['an unknown status', { name: 'n', body: 'b', status: 'live' }, 'status'],
      ['an unknown field', { name: 'n', body: 'b', owner: 'me' }, 'owner'],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_, body, field) => {
      const response = await api('POST', '/prompts', body);
      expect([response.status, response.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect((response.body.validation_errors as { field: string }[]).map((e) => e.field.split('.')[0])).toContain(
        field,
      );
    });

    it('updates partially, keeps versions, restores, and guards with expected_version', async () => {
      const created = await api('POST', '/prompts', { name: 'Versioned', body: 'v1 body', status: 'draft' });
      const id = created.body.id as string;
      const v2 = await api('PUT', `/prompts/${id}`, { body: 'v2 body', expected_version: 1 });
      expect(v2.body).toMatchObject({ version: 2, body: 'v2 body', name: 'Versioned', status: 'draft' });
      const v3 = await api('PUT', '/prompts/versioned', { status: 'published', labels: ['x'] });
      expect(v3.body).toMatchObject({ version: 3, status: 'published', labels: ['x'] });
      const stale = await api('PUT', `/prompts/${id}`, { body: 'lost update', expected_version: 2 });
      expect([stale.status, stale.body.code]).toEqual([409, 'VERSION_CONFLICT']);
      // A version no item can reach is a mistake in the request, not a conflict.
      const unreachable = await api('PUT', `/prompts/${id}`, { body: 'lost update', expected_version: 1e20 });
      expect([unreachable.status, unreachable.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const unchanged = await api('PUT', `/prompts/${id}`, { body: 'v2 body' });
      expect(unchanged.body.version).toBe(3);

      const versions = await api<{ versions: Body[] }>('GET', `/prompts/${id}/versions`);
      expect(versions.body.versions.map((v) => [v.version, v.body, v.status])).toEqual([
        [1, 'v1 body', 'draft'],
        [2, 'v2 body', 'draft'],
        [3, 'v2 body', 'published'],
      ]);
      expect(versions.body.versions[0]).toMatchObject({
        name: 'Versioned',
        description: '',
        labels: [],
        actor: { type: 'api_key' },
        created_at: expect.any(String),
      });

      const restored = await api('POST', `/prompts/${id}/versions/1/restore`);
      expect(restored.status).toBe(200);
      expect(restored.body).toMatchObject({ version: 4, body: 'v1 body', status: 'draft', labels: [] });
      for (const n of ['0', '99', 'abc', '-1']) {
        const missing = await api('POST', `/prompts/${id}/versions/${n}/restore`);
        expect([n, missing.status, missing.body.code]).toEqual([n, 404, 'RESOURCE_NOT_FOUND']);
      }
    });

    it('answers concurrent updates of one prompt with 200 or 409, never a lost update', async () => {
      const created = await api('POST', '/prompts', { name: 'Contended', body: 'start' });
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          api('PUT', `/prompts/${created.body.id}`, { body: `writer ${i}`, expected_version: 1 }),
        ),
      );
      expect(outcomes.filter((o) => o.status === 200)).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 409).every((o) => o.body.code === 'VERSION_CONFLICT')).toBe(true);
    });

    it('applies every concurrent update sent without expected_version, and answers concurrent deletes as one after another', async () => {
      const created = await api('POST', '/prompts', { name: 'Shared', body: 'start' });
      const path = `/prompts/${created.body.id}`;
      // Each writer changes its own field: none is lost, none is told to retry a version it never named.
      const changes = [
        { body: 'new body' },
        { description: 'new description' },
        { labels: ['x'] },
        { status: 'published' },
      ];
      const outcomes = await Promise.all(changes.map((change) => api('PUT', path, change)));
      expect(outcomes.map((o) => o.status)).toEqual([200, 200, 200, 200]);
      expect((await api('GET', path)).body).toMatchObject({ ...Object.assign({}, ...changes), version: 5 });

      const memory = await api('POST', '/memories', { text: 'to delete' });
      const deletes = await Promise.all(Array.from({ length: 6 }, () => api('DELETE', `/memories/${memory.body.id}`)));
      // One deleted it; the others found it deleted (404, as a DELETE sent later would), never a 409.
      expect(deletes.map((o) => o.status).sort()).toEqual([204, 404, 404, 404, 404, 404]);
    });

    it('applies 25 updates and 10 restores sent at once without a version, each answered with the state it made', async () => {
      const created = await api<{ id: string }>('POST', '/memories', { text: 'w-start' });
      const path = `/memories/${created.body.id}`;
      const updates = await Promise.all(
        Array.from({ length: 25 }, (_, i) => api<{ text: string; version: number }>('PUT', path, { text: `w${i}` })),
      );
      expect(updates.map((o) => o.status)).toEqual(Array(25).fill(200));
      type Listed = { versions: { version: number; text: string }[] };
      const history = (await api<Listed>('GET', `${path}/versions?limit=100`)).body.versions;
      const textAt = new Map(history.map((v) => [v.version, v.text]));
      // Each answer is its own write: the version it names holds the text it sent.
      for (const [i, answer] of updates.entries())
        expect([answer.body.version, textAt.get(answer.body.version)]).toEqual([answer.body.version, `w${i}`]);
      expect(new Set(updates.map((o) => o.body.version)).size).toBe(25);

      const restores = await Promise.all(
        Array.from({ length: 10 }, () => api<{ text: string; version: number }>('POST', `${path}/versions/1/restore`)),
      );
      expect(restores.map((o) => [o.status, o.body.text])).toEqual(Array(10).fill([200, 'w-start']));
      expect(new Set(restores.map((o) => o.body.version)).size).toBe(10);
    });

    it('renders templates: placeholders, nested references, escapes, missing values, cycles', async () => {
      await api('POST', '/prompts', {
        name: 'Voice',
        slug: 'voice',
        body: 'Write in a {{tone}} voice for {{audience}}.',
      });
      await api('POST', '/prompts', { name: 'Rules', slug: 'rules', body: '@voice Never share secrets.' });
      const root = await api('POST', '/prompts', {
        name: 'Review',
        slug: 'review',
        body: 'Review the {{language}} diff. @rules Ask @@team or mail ada@example.com. @missing',
      });
      const placeholders = await api('GET', '/prompts/review/placeholders');
      expect(placeholders.body).toEqual({ placeholders: ['language', 'tone', 'audience'] });
      const rendered = await api('POST', '/prompts/review/render', { placeholders: { language: 'Go', tone: 'calm' } });
      expect(rendered.status).toBe(200);
      expect(rendered.body).toEqual({
        rendered_body:
          'Review the Go diff. Write in a calm voice for {{audience}}. Never share secrets. Ask @team or mail ada@example.com. @missing',
        placeholders_missing: ['audience'],
        references_used: ['rules', 'voice'],
        warnings: ['unknown reference @missing was left as it is'],
      });
      expect((await api('GET', `/prompts/${root.body.id}/placeholders`)).status).toBe(200);

      await api('POST', '/prompts', { name: 'Ping', slug: 'ping', body: 'ping @pong' });
      await api('POST', '/prompts', { name: 'Pong', slug: 'pong', body: 'pong @ping' });
      const cycle = await api('POST', '/prompts/ping/render', {});
      expect([cycle.status, cycle.body.code]).toEqual([422, 'TEMPLATE_CYCLE']);
      expect(cycle.body.detail).toContain('@ping');
      expect((await api('GET', '/prompts/pong/placeholders')).body.code).toBe('TEMPLATE_CYCLE');
      const badValues = await api('POST', '/prompts/voice/render', { placeholders: { tone: 5 } });
      expect(badValues.status).toBe(400);
    });

    it('refuses a 100-deep reference chain with 422 TEMPLATE_TOO_DEEP', async () => {
      for (let i = 99; i >= 0; i -= 1) {
        const response = await api('POST', '/prompts', {
          name: `Chain ${i}`,
          slug: `chain-${i}`,
          body: i === 99 ? 'end' : `link ${i} @chain-${i + 1}`,
        });
        expect(response.status).toBe(201);
      }
      const deep = await api('POST', '/prompts/chain-0/render', {});
      expect([deep.status, deep.body.code]).toEqual([422, 'TEMPLATE_TOO_DEEP']);
      const shallow = await api('POST', '/prompts/chain-80/render', {});
      expect(shallow.status).toBe(200);
      expect(shallow.body.rendered_body).toBe(
        'link 80 link 81 link 82 link 83 link 84 link 85 link 86 link 87 link 88 link 89 link 90 link 91 link 92 link 93 link 94 link 95 link 96 link 97 link 98 end',
      );
    });

    it('refuses prompts that multiply each other past the size limit with 422 TEMPLATE_TOO_LARGE, and still lists their placeholders', async () => {
      // Five levels, each including the one below ten times, over a 1,000-character leaf: 100 MB rendered.
      const leaf = await api('POST', '/prompts', {
        name: 'Bomb leaf',
        slug: 'bomb-5',
        body: `{{who}} ${'L'.repeat(1_000)}`,
      });
      expect(leaf.status).toBe(201);
      for (let level = 4; level >= 0; level -= 1) {
        const body = Array.from({ length: 10 }, () => `@bomb-${level + 1}`).join(' ');
        expect((await api('POST', '/prompts', { name: `Bomb ${level}`, slug: `bomb-${level}`, body })).status).toBe(
          201,
        );
      }
      const refused = await api('POST', '/prompts/bomb-0/render', { placeholders: { who: 'x' } });
      expect([refused.status, refused.body.code]).toEqual([422, 'TEMPLATE_TOO_LARGE']);
      expect(refused.body.detail).toContain('longer than 1,000,000 characters');
      // 100 copies of the 1,002-character leaf, 99 spaces between them, stay under the limit.
      const fine = await api('POST', '/prompts/bomb-3/render', { placeholders: { who: 'x' } });
      expect(fine.status).toBe(200);
      expect((fine.body.rendered_body as string).length).toBe(100 * 1_002 + 99);
      const names = await api('GET', '/prompts/bomb-0/placeholders');
      expect([names.status, names.body]).toEqual([200, { placeholders: ['who'] }]);
      // One placeholder repeated with a large value is the same kind of request.
      await api('POST', '/prompts', { name: 'Echo', slug: 'echo-many', body: '{{v}}'.repeat(20_000) });
      const echoed = await api('POST', '/prompts/echo-many/render', { placeholders: { v: 'y'.repeat(1_000) } });
      expect([echoed.status, echoed.body.code]).toEqual([422, 'TEMPLATE_TOO_LARGE']);
    });

    it('refuses to delete or rename a prompt that others reference (409), deletes it once free', async () => {
      await api('POST', '/prompts', { name: 'Base', slug: 'base-rules', body: 'base' });
      const user = await api('POST', '/prompts', { name: 'User', slug: 'uses-base', body: 'see @base-rules' });
      const refused = await api('DELETE', '/prompts/base-rules');
      expect([refused.status, refused.body.code]).toEqual([409, 'RESOURCE_IN_USE']);
      expect(refused.body.detail).toContain('@uses-base');
      const rename = await api('PUT', '/prompts/base-rules', { slug: 'renamed-rules' });
      expect([rename.status, rename.body.code]).toEqual([409, 'RESOURCE_IN_USE']);
      // Nor by restoring a version that had another slug; one with the same slug restores.
      const earlier = await api('POST', '/prompts', { name: 'Earlier', slug: 'earlier-slug', body: 'one' });
      await api('PUT', `/prompts/${earlier.body.id}`, { slug: 'later-slug', body: 'two' });
      await api('POST', '/prompts', { name: 'Refers', body: 'see @later-slug' });
      const back = await api('POST', `/prompts/${earlier.body.id}/versions/1/restore`);
      expect([back.status, back.body.code]).toEqual([409, 'RESOURCE_IN_USE']);
      expect(back.body.detail).toContain('@refers');
      expect((await api('PUT', `/prompts/${earlier.body.id}`, { body: 'three' })).status).toBe(200);
      const sameSlug = await api('POST', `/prompts/${earlier.body.id}/versions/2/restore`);
      expect([sameSlug.status, sameSlug.body.body]).toEqual([200, 'two']);
      await api('PUT', `/prompts/${user.body.id}`, { body: 'no reference any more' });
      expect((await api('DELETE', '/prompts/base-rules')).status).toBe(204);
      expect((await api('GET', '/prompts/base-rules')).status).toBe(404);
      expect((await api('DELETE', '/prompts/base-rules')).status).toBe(404);
    });

    it('lists with search, status, labels, sorting and pagination; refuses bad parameters', async () => {
      const user = await DashboardUser.signup(base);
      const own = (await user.createKey({ integrations: ['cli'] })).full_key;
      const make = (body: Body) => call(base, 'POST', '/api/v1/prompts', { key: own, body });
      await make({ name: 'Alpha deploy', body: 'Deploying services safely', status: 'published', labels: ['ops'] });
      await make({ name: 'Bravo', body: 'Unit testing guide', labels: ['qa'] });
      await make({
        name: 'Charlie',
        body: 'Release notes',
        description: 'deployment checklist',
        labels: ['ops', 'docs'],
      });
      const list = (query: string) =>
        call<{ prompts: Body[]; total_count: number }>(base, 'GET', `/api/v1/prompts?${query}`, { key: own });
      expect((await list('search=deploy')).body.prompts.map((p) => p.name).sort()).toEqual(['Alpha deploy', 'Charlie']);
      expect((await list('status=published')).body.prompts.map((p) => p.name)).toEqual(['Alpha deploy']);
      expect((await list('labels=qa,docs&sort_by=name&sort_order=asc')).body.prompts.map((p) => p.name)).toEqual([
        'Bravo',
        'Charlie',
      ]);
      const page = await list('sort_by=name&sort_order=asc&limit=2&page=2');
      expect(page.body).toMatchObject({ total_count: 3, page: 2, per_page: 2, total_pages: 2 });
      expect(page.body.prompts.map((p) => p.name)).toEqual(['Charlie']);
      const lastPage = await list('page=1000000');
      expect([lastPage.status, lastPage.body.prompts]).toEqual([200, []]);
      for (const query of [
        'limit=0',
        'limit=101',
        'page=-1',
        'page=0',
        'page=1000001',
        'page=99999999999999999999',
        'sort_by=body',
        'status=live',
      ]) {
        const bad = await list(query);
        expect([query, bad.status, bad.body]).toEqual([
          query,
          400,
          expect.objectContaining({ code: 'VALIDATION_FAILED' }),
        ]);
      }
    });
  });

  describe('slugs', () => {
    it('gives concurrent creates without a slug their own derived slugs, never 409 (30 at once)', async () => {
      const burst = 30;
      const prompts = await Promise.all(
        Array.from({ length: burst }, () =>
          api<{ slug: string }>('POST', '/prompts', { name: 'Race Again', body: 'x' }),
        ),
      );
      expect(prompts.map((r) => r.status)).toEqual(Array(burst).fill(201));
      expect(new Set(prompts.map((r) => r.body.slug)).size).toBe(burst);
      const artifacts = await Promise.all(
        Array.from({ length: burst }, () =>
          api<{ slug: string }>('POST', '/artifacts', { project: 'race', title: 'Race A', content: 'c' }),
        ),
      );
      expect(artifacts.map((r) => r.status)).toEqual(Array(burst).fill(201));
      expect(new Set(artifacts.map((r) => r.body.slug)).size).toBe(burst);
    });

    it('refuses a prompt slug shaped like an id, and derives none from a name that is one', async () => {
      const id = '29faf9ef-8a1b-4c2d-9e3f-0a1b2c3d4e5f';
      const explicit = await api('POST', '/prompts', { name: 'Shadow', slug: id, body: 'b' });
      expect([explicit.status, explicit.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(explicit.body.validation_errors).toEqual([
        { field: 'slug', message: expect.stringMatching(/shape of an id/) },
      ]);
      const derived = await api<{ id: string; slug: string }>('POST', '/prompts', { name: id, body: 'b' });
      expect([derived.status, derived.body.slug]).toEqual([201, `prompt-${id}`]);
      expect((await api('GET', `/prompts/prompt-${id}`)).body.id).toBe(derived.body.id);
    });

    it('refuses a prompt name, artifact title or memory text of spaces only', async () => {
      for (const [path, body, field] of [
        ['/prompts', { name: '   ', body: 'x' }, 'name'],
        ['/artifacts', { project: 'p', title: ' \t ', content: 'x' }, 'title'],
        ['/memories', { text: '  ' }, 'text'],
      ] as const) {
        const response = await api('POST', path, body);
        expect([response.status, response.body.validation_errors]).toEqual([
          400,
          [{ field, message: 'must not be blank' }],
        ]);
      }
    });

    it('answers a path that is not percent-encoded UTF-8 with VALIDATION_FAILED', async () => {
      for (const path of ['/prompts/x%FF', '/memories/%E0%A4', '/prompts/x%']) {
        const response = await api('GET', path);
        expect([response.status, response.body.code, response.body.validation_errors]).toEqual([
          400,
          'VALIDATION_FAILED',
          [{ field: '(path)', message: 'is not valid percent-encoded UTF-8' }],
        ]);
      }
    });
  });

  describe('content near its size limits (over NATS)', () => {
    it('stores a 1 MiB artifact, lists and versions such artifacts, and keeps every later event flowing', async () => {
      const content = (fill: string) => fill.repeat(1024 * 1024);
      const first = await api<{ id: string; version: number }>('POST', '/artifacts', {
        project: 'big',
        title: 'One',
        content: content('a'),
      });
      expect(first.status).toBe(201);
      // JSON escaping doubles it on the wire: still one event, still under the platform's 8 MiB messages.
      const second = await api('POST', '/artifacts', {
        project: 'big',
        title: 'Two',
        content: content('"').slice(0, 900_000),
      });
      expect(second.status).toBe(201);
      const updated = await api('PUT', `/artifacts/${first.body.id}`, { content: content('b') });
      expect(updated.status).toBe(200);

      const listed = await api<{ artifacts: { content: string }[] }>('GET', '/artifacts?project=big');
      expect([listed.status, listed.body.artifacts.map((a) => a.content.length).sort((x, y) => x - y)]).toEqual([
        200,
        [900_000, 1024 * 1024],
      ]);
      const versions = await api<{ versions: unknown[] }>('GET', `/artifacts/big/one/versions`);
      expect([versions.status, versions.body.versions.length]).toEqual([200, 2]);

      // The content events went out (the outbox did not stall on them), and so does the next one.
      const after = await api('POST', '/memories', { text: 'after the big ones' });
      expect(after.status).toBe(201);
      const log = await waitFor(
        () =>
          api<{ events: { type: string; stream?: string }[] }>(
            'GET',
            '/audit-log?type=memory.created,artifact.*&limit=10',
          ),
        (response) => response.body.events.some((event) => event.stream === `memory-${String(after.body.id)}`),
      );
      // Newest first: this test's three (other tests of this account made artifacts before).
      expect(
        log.body.events
          .map((event) => event.type)
          .filter((type) => type.startsWith('artifact.'))
          .slice(0, 3),
      ).toEqual(['artifact.updated', 'artifact.created', 'artifact.created']);

      // An audit page stops at 16 MiB of event data (at least one event), and its cursor goes on from there.
      let lastId = '';
      for (let i = 0; i < 16; i += 1) {
        const created = await api('POST', '/artifacts', { project: 'bigger', title: `N${i}`, content: content('c') });
        expect(created.status).toBe(201);
        lastId = created.body.id as string;
      }
      // Once the last one is in the log, so are the others (one stream, stored in order); before that, the
      // page would also hold older, small artifact events of this account.
      const page = await waitFor(
        () =>
          api<{ events: { data: { id?: string } }[]; next_cursor: string | null }>(
            'GET',
            '/audit-log?type=artifact.created&limit=50',
          ),
        (response) => response.body.events[0]?.data.id === lastId,
      );
      expect(page.status).toBe(200);
      expect(page.body.events.length).toBeLessThan(17);
      expect(page.body.events.length).toBeGreaterThanOrEqual(15);
      const rest = await api<{ events: unknown[] }>(
        'GET',
        `/audit-log?type=artifact.created&limit=50&cursor=${page.body.next_cursor}`,
      );
      expect(rest.body.events.length).toBeGreaterThan(0);
    });
  });

  describe('artifacts', () => {
    it('addresses /{project}/{slug} with the project written plainly or percent-encoded; stores aliases canonically', async () => {
      const created = await api('POST', '/artifacts', {
        project: 'my-app/backend',
        title: 'Sprint 12 report',
        content: '# Done\n\nShipped the login page.',
        type: 'work-reports',
        status: 'expired',
        metadata: { sprint: 12 },
        labels: ['report'],
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        project: 'my-app/backend',
        slug: 'sprint-12-report',
        type: 'work_reports',
        status: 'archived',
        version: 1,
      });
      for (const path of [
        '/artifacts/my-app/backend/sprint-12-report',
        '/artifacts/my-app%2Fbackend/sprint-12-report',
        '/artifacts/my-app%2fbackend%2Fsprint-12-report',
        `/artifacts/${created.body.id}`,
      ]) {
        const response = await api('GET', path);
        expect([path, response.status, response.body.id]).toEqual([path, 200, created.body.id]);
      }
      const updated = await api('PUT', '/artifacts/my-app%2Fbackend/sprint-12-report', {
        status: 'active',
        type: 'static-contexts',
      });
      expect(updated.body).toMatchObject({ version: 2, status: 'active', type: 'static_contexts' });
      const versions = await api<{ versions: Body[] }>('GET', '/artifacts/my-app/backend/sprint-12-report/versions');
      expect(versions.body.versions.map((v) => [v.version, v.status])).toEqual([
        [1, 'archived'],
        [2, 'active'],
      ]);
      const restored = await api('POST', '/artifacts/my-app/backend/sprint-12-report/versions/1/restore');
      expect(restored.body).toMatchObject({ version: 3, status: 'archived', type: 'work_reports' });
      expect((await api('DELETE', '/artifacts/my-app%2Fbackend/sprint-12-report')).status).toBe(204);
      expect((await api('GET', '/artifacts/my-app/backend/sprint-12-report')).status).toBe(404);
    });

    it.each([
      ['a project with an empty segment', { project: 'a//b', title: 't', content: 'c' }, 'project'],
      ['a project with a leading /', { project: '/a', title: 't', content: 'c' }, 'project'],
      ['an 81-character project', { project: 'p'.repeat(81), title: 't', content: 'c' }, 'project'],
      ['a project with ..', { project: 'a/../b', title: 't', content: 'c' }, 'project'],
      ['content over 1 MiB', { project: 'a', title: 't', content: 'é'.repeat(600_000) }, 'content'],
      ['empty content', { project: 'a', title: 't', content: '' }, 'content'],
      [
        'metadata over 16 KiB',
        { project: 'a', title: 't', content: 'c', metadata: { blob: 'x'.repeat(17_000) } },
        'metadata',
      ],
      ['metadata that is a list', { project: 'a', title: 't', content: 'c', metadata: [1] }, 'metadata'],
      ['an unknown type', { project: 'a', title: 't', content: 'c', type: 'novel' }, 'type'],
    ])('refuses %s with 400', async (_, body, field) => {
      const response = await api('POST', '/artifacts', body);
      expect([response.status, response.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect((response.body.validation_errors as { field: string }[]).map((e) => e.field)).toContain(field);
    });

    it('reaches an artifact whose slug is `versions` or `restore`: the last path segment is the slug', async () => {
      // One project segment: `p/versions` can only be the artifact, for every method.
      const named = await api<Body>('POST', '/artifacts', { project: 'paths', title: 'Versions', content: 'v1' });
      expect([named.status, named.body.slug]).toEqual([201, 'versions']);
      expect((await api<Body>('GET', '/artifacts/paths/versions')).body).toMatchObject({ id: named.body.id });
      const changed = await api<Body>('PUT', '/artifacts/paths/versions', { content: 'v2' });
      expect([changed.status, changed.body.version]).toEqual([200, 2]);
      const history = await api<{ versions: Body[] }>('GET', '/artifacts/paths/versions/versions');
      expect(history.body.versions.map((version) => version.version)).toEqual([1, 2]);
      const restored = await api<Body>('POST', '/artifacts/paths/versions/versions/1/restore');
      expect([restored.status, restored.body.content]).toEqual([200, 'v1']);

      // Two readings of `deep/app/versions`: the versions of `deep/app` when it exists, else the artifact.
      const deep = await api<Body>('POST', '/artifacts', {
        project: 'deep/app',
        slug: 'versions',
        title: 'V',
        content: 'x',
      });
      expect(deep.status).toBe(201);
      expect((await api<Body>('GET', '/artifacts/deep/app/versions')).body).toMatchObject({ id: deep.body.id });
      const app = await api<Body>('POST', '/artifacts', { project: 'deep', slug: 'app', title: 'App', content: 'y' });
      expect(app.status).toBe(201);
      const appHistory = await api<{ versions: Body[] }>('GET', '/artifacts/deep/app/versions');
      expect(appHistory.body.versions).toHaveLength(1);
      expect(appHistory.body.versions[0]).toMatchObject({ version: 1, title: 'App' });
      // PUT and DELETE have no history reading: always the artifact.
      expect((await api('PUT', '/artifacts/deep/app/versions', { content: 'z' })).status).toBe(200);
      expect((await api('DELETE', '/artifacts/deep/app/versions')).status).toBe(204);
      expect((await api('GET', `/artifacts/${deep.body.id as string}`)).status).toBe(404);
      const restore = await api<Body>('POST', '/artifacts', {
        project: 'paths',
        slug: 'restore',
        title: 'R',
        content: 'r',
      });
      expect((await api<Body>('GET', '/artifacts/paths/restore')).body).toMatchObject({ id: restore.body.id });
      expect((await api('DELETE', '/artifacts/paths/versions')).status).toBe(204);
      expect((await api('GET', '/artifacts/paths/versions')).status).toBe(404);
    });

    it('answers 404 for paths that cannot name an artifact (including %2F..%2F)', async () => {
      for (const path of [
        '/artifacts/only-one',
        '/artifacts/a%2F..%2Fb/slug',
        '/artifacts/a//slug',
        '/artifacts/a/Upper',
      ]) {
        const response = await api('GET', path);
        expect([path, response.status]).toEqual([path, 404]);
      }
    });

    it('lists all but archived by default, filters by project, type, status, search and labels', async () => {
      const user = await DashboardUser.signup(base);
      const own = (await user.createKey({ integrations: ['cli'] })).full_key;
      const make = (body: Body) => call(base, 'POST', '/api/v1/artifacts', { key: own, body });
      await make({
        project: 'web',
        title: 'Checkout context',
        content: 'Payment flow notes',
        type: 'static_contexts',
        labels: ['pay'],
      });
      await make({ project: 'web', title: 'Old report', content: 'Archived payment report', status: 'archived' });
      await make({ project: 'api/v2', title: 'Rate limits', content: 'Hourly quotas', labels: ['limits'] });
      const names = async (query: string) =>
        (await call<{ artifacts: Body[] }>(base, 'GET', `/api/v1/artifacts?${query}`, { key: own })).body.artifacts
          .map((a) => a.title)
          .sort();
      expect(await names('')).toEqual(['Checkout context', 'Rate limits']);
      expect(await names('status=archived')).toEqual(['Old report']);
      expect(await names('project=web')).toEqual(['Checkout context']);
      expect(await names('project=api/v2')).toEqual(['Rate limits']);
      expect(await names('type=static-contexts')).toEqual(['Checkout context']);
      expect(await names('search=payment')).toEqual(['Checkout context']);
      expect(await names('labels=limits,none')).toEqual(['Rate limits']);
    });
  });

  describe('memories', () => {
    it('lists versions oldest first a page at a time (PRODUCT.md §1: page, limit ≤ 100, totals), for every kind', async () => {
      const user = await DashboardUser.signup(base);
      const own = (await user.createKey({ integrations: ['cli'] })).full_key;
      const send = <T = Body>(method: string, path: string, body?: unknown) =>
        call<T>(base, method, `/api/v1${path}`, { key: own, body });
      const memory = await send<{ id: string }>('POST', '/memories', { text: 'v1' });
      for (let n = 2; n <= 25; n += 1)
        expect((await send('PUT', `/memories/${memory.body.id}`, { text: `v${n}` })).status).toBe(200);
      type Versions = {
        versions: { version: number; text: string }[];
        total_count: number;
        page: number;
        per_page: number;
        total_pages: number;
      };
      const listed = async (query: string) =>
        (await send<Versions>('GET', `/memories/${memory.body.id}/versions${query}`)).body;

      const first = await listed('');
      expect(first.versions.map((v) => v.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(first).toMatchObject({ total_count: 25, page: 1, per_page: 20, total_pages: 2 });
      expect((await listed('?page=2')).versions.map((v) => v.text)).toEqual(['v21', 'v22', 'v23', 'v24', 'v25']);
      expect((await listed('?limit=5&page=5')).versions.map((v) => v.version)).toEqual([21, 22, 23, 24, 25]);
      expect((await listed('?page=9')).versions).toEqual([]);
      for (const bad of ['?limit=101', '?limit=0', '?page=0', '?limit=x'])
        expect([bad, (await send('GET', `/memories/${memory.body.id}/versions${bad}`)).status]).toEqual([bad, 400]);

      const prompt = await send<{ id: string }>('POST', '/prompts', { name: 'Paged', body: 'one' });
      await send('PUT', `/prompts/${prompt.body.id}`, { body: 'two' });
      expect((await send<Versions>('GET', '/prompts/paged/versions?limit=1&page=2')).body).toMatchObject({
        versions: [{ version: 2, body: 'two' }],
        total_count: 2,
        total_pages: 2,
      });
      await send('POST', '/artifacts', { project: 'paged', title: 'Paged', content: 'one' });
      await send('PUT', '/artifacts/paged/paged', { content: 'two' });
      expect((await send<Versions>('GET', '/artifacts/paged/paged/versions?limit=1')).body).toMatchObject({
        versions: [{ version: 1, content: 'one' }],
        total_count: 2,
        page: 1,
      });
      expect((await send('GET', '/artifacts/paged/paged/versions?limit=500')).status).toBe(400);
      // The newest first when asked; a plain artifact read takes no page and ignores one.
      expect(
        (await send<Versions>('GET', `/memories/${memory.body.id}/versions?sort_order=desc&limit=2`)).body.versions.map(
          (v) => v.version,
        ),
      ).toEqual([25, 24]);
      expect((await send('GET', `/memories/${memory.body.id}/versions?sort_order=up`)).status).toBe(400);
      expect((await send('GET', '/artifacts/paged/paged?limit=500&page=x')).status).toBe(200);
      expect((await send('GET', '/artifacts/paged/paged/versions?sort_order=desc&limit=1')).body).toMatchObject({
        versions: [{ version: 2, content: 'two' }],
      });
    });

    it('reads a long history from snapshots every 25 versions, which are a cache of the events and come back when lost', async () => {
      const user = await DashboardUser.signup(base);
      const own = (await user.createKey({ integrations: ['cli'] })).full_key;
      const send = <T = Body>(method: string, path: string, body?: unknown) =>
        call<T>(base, method, `/api/v1${path}`, { key: own, body });
      const memory = await send<{ id: string }>('POST', '/memories', { text: 't1', title: 'Original' });
      const path = `/memories/${memory.body.id}`;
      const stream = `memory-${memory.body.id}`;
      // 60 events: texts t1..t30, a delete (version 31), a restore of version 2 (32), then t33..t60.
      for (let n = 2; n <= 30; n += 1) expect((await send('PUT', path, { text: `t${n}` })).status).toBe(200);
      expect((await send('DELETE', path)).status).toBe(204);
      expect((await send('POST', `${path}/versions/2/restore`)).status).toBe(200);
      for (let n = 33; n <= 60; n += 1) expect((await send('PUT', path, { text: `t${n}` })).status).toBe(200);
      const expectedText = (version: number) => (version === 32 ? 't2' : `t${version}`);
      type Versions = { versions: { version: number; text: string }[]; total_count: number };
      const everyVersion = async () => {
        const seen: [number, string][] = [];
        for (const query of ['?limit=7&page=1', '?limit=7&page=5', '?limit=100', '?limit=9&page=3&sort_order=desc']) {
          const page = (await send<Versions>('GET', `${path}/versions${query}`)).body;
          expect(page.total_count).toBe(59);
          seen.push(...page.versions.map((v): [number, string] => [v.version, v.text]));
        }
        return seen;
      };
      const snapshots = () =>
        platform.withDatabase('content-service', async (dataSource) =>
          (
            (await dataSource.query(
              `SELECT stream_version, state FROM content_snapshots WHERE stream_id = $1 ORDER BY stream_version`,
              [stream],
            )) as { stream_version: number; state: { version: number; fields: { text: string } } }[]
          ).map((row) => [row.stream_version, row.state.version, row.state.fields.text]),
        );

      const answers = await everyVersion();
      expect(answers.every(([version, text]) => version !== 31 && text === expectedText(version))).toBe(true);
      expect(answers.slice(0, 7).map(([version]) => version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(answers.slice(7, 14).map(([version]) => version)).toEqual([29, 30, 32, 33, 34, 35, 36]);
      expect(answers.slice(-9).map(([version]) => version)).toEqual([42, 41, 40, 39, 38, 37, 36, 35, 34]);
      expect(await snapshots()).toEqual([
        [25, 25, 't25'],
        [50, 50, 't50'],
      ]);

      // Reads start from a snapshot: one made to say something else shows through (then it is put right).
      await platform.withDatabase('content-service', (dataSource) =>
        dataSource.query(
          `UPDATE content_snapshots SET state = jsonb_set(state, '{fields,title}', '"From the snapshot"')
            WHERE stream_id = $1 AND stream_version = 50`,
          [stream],
        ),
      );
      type Titled = { versions: { version: number; title: string }[] };
      const titles = async (query: string) =>
        (await send<Titled>('GET', `${path}/versions${query}`)).body.versions.map((v) => [v.version, v.title]);
      expect(await titles('?limit=2&page=26')).toEqual([
        [52, 'From the snapshot'],
        [53, 'From the snapshot'],
      ]);
      expect(await titles('?limit=2&page=25')).toEqual([
        [50, 'Original'],
        [51, 'Original'],
      ]);
      // A history without snapshots (written before them, or after they were dropped) gets them on its next read.
      await platform.withDatabase('content-service', (dataSource) =>
        dataSource.query(`DELETE FROM content_snapshots WHERE stream_id = $1`, [stream]),
      );
      expect(await everyVersion()).toEqual(answers);
      expect(await snapshots()).toEqual([
        [25, 25, 't25'],
        [50, 50, 't50'],
      ]);

      // Writes decide on the folded state: a version check, an update, a restore of a version before any snapshot.
      expect((await send('PUT', path, { text: 'stale', expected_version: 59 })).status).toBe(409);
      expect((await send<{ version: number }>('PUT', path, { text: 't61', expected_version: 60 })).body.version).toBe(
        61,
      );
      expect((await send<{ version: number; text: string }>('POST', `${path}/versions/3/restore`)).body).toMatchObject({
        version: 62,
        text: 't3',
      });
      expect((await send('POST', `${path}/versions/31/restore`)).status).toBe(404);
      expect((await send<{ version: number; text: string }>('POST', `${path}/versions/50/restore`)).body).toMatchObject(
        {
          version: 63,
          text: 't50',
        },
      );
    });

    it('creates, filters by metadata (keys AND, values OR), labels (ANY), project and full-text search', async () => {
      const user = await DashboardUser.signup(base);
      const own = (await user.createKey({ integrations: ['cli'] })).full_key;
      const make = async (body: Body) => (await call(base, 'POST', '/api/v1/memories', { key: own, body })).body;
      const a = await make({
        text: 'Blue-green deploys switch the router',
        title: 'Deploys',
        project: 'infra',
        metadata: { team: 'infra', env: 'prod' },
        labels: ['ops'],
      });
      await make({ text: 'Frontend uses React', metadata: { team: 'web', env: 'prod' }, labels: ['ui'] });
      await make({ text: 'Staging database is reset nightly', metadata: { team: 'infra', env: 'staging' } });
      await make({ text: 'Old note', status: 'expired' });
      expect(a).toMatchObject({ title: 'Deploys', project: 'infra', status: 'active', version: 1 });
      const texts = async (query: Record<string, string>) =>
        (
          await call<{ memories: Body[] }>(base, 'GET', `/api/v1/memories?${new URLSearchParams(query)}`, { key: own })
        ).body.memories
          .map((m) => m.text)
          .sort();
      expect(await texts({ metadata: JSON.stringify({ team: ['infra', 'web'], env: 'prod' }) })).toEqual([
        'Blue-green deploys switch the router',
        'Frontend uses React',
      ]);
      expect(await texts({ metadata: JSON.stringify({ team: 'infra' }) })).toEqual([
        'Blue-green deploys switch the router',
        'Staging database is reset nightly',
      ]);
      expect(await texts({ labels: 'ui,ops' })).toEqual([
        'Blue-green deploys switch the router',
        'Frontend uses React',
      ]);
      expect(await texts({ search: 'deploy' })).toEqual(['Blue-green deploys switch the router']);
      expect(await texts({ project: 'infra' })).toEqual(['Blue-green deploys switch the router']);
      expect(await texts({ status: 'archived' })).toEqual(['Old note']);
      for (const metadata of [
        '{not json',
        '[1,2]',
        '{"team":{"nested":true}}',
        '{"team":[]}',
        '{"__proto__":["v"]}',
        '{"constructor":"v"}',
      ]) {
        const bad = await call(base, 'GET', `/api/v1/memories?${new URLSearchParams({ metadata })}`, { key: own });
        expect([metadata, bad.status, bad.body.code]).toEqual([metadata, 400, 'VALIDATION_FAILED']);
      }
    });

    it('keeps metadata keys and placeholders named like object members (toString…) as sent, and refuses reserved ones', async () => {
      const members = { toString: 't', valueOf: 1, hasOwnProperty: 'h', normal: 'n', deep: { toString: 'd' } };
      const created = await api('POST', '/memories', { text: 'members', metadata: members });
      expect([created.status, created.body.metadata]).toEqual([201, members]);
      const id = created.body.id as string;
      const updated = await api('PUT', `/memories/${id}`, { metadata: { valueOf: 'x' } });
      expect(updated.body.metadata).toEqual({ valueOf: 'x' });
      expect((await api('GET', `/memories/${id}`)).body.metadata).toEqual({ valueOf: 'x' });
      const filtered = await api<{ memories: Body[] }>(
        'GET',
        `/memories?${new URLSearchParams({ metadata: '{"valueOf":"x"}' })}`,
      );
      expect(filtered.body.memories.map((item) => item.id)).toEqual([id]);
      const artifact = await api('POST', '/artifacts', {
        project: 'members',
        title: 't',
        content: 'c',
        metadata: members,
      });
      expect(artifact.body.metadata).toEqual(members);
      await api('POST', '/prompts', { name: 'Members', slug: 'members', body: '{{valueOf}} {{toString}}' });
      const rendered = await api('POST', '/prompts/members/render', { placeholders: { valueOf: 'V', toString: 'T' } });
      expect([rendered.body.rendered_body, rendered.body.placeholders_missing]).toEqual(['V T', []]);
      // Reserved keys, which would be dropped on the way, are refused at any depth; nothing is changed.
      for (const [method, path, body, field] of [
        ['PUT', `/memories/${id}`, { metadata: { constructor: 'x' } }, 'metadata.constructor'],
        ['PUT', `/memories/${id}`, { metadata: { a: [{ prototype: 1 }] } }, 'metadata.a[0].prototype'],
        ['POST', '/prompts/members/render', { placeholders: { constructor: 'C' } }, 'placeholders.constructor'],
        ['POST', '/memories', { text: 'x', constructor: { prototype: { x: 1 } } }, 'constructor'],
      ] as const) {
        const refused = await api(method, path, body);
        expect([refused.status, refused.body.code]).toEqual([400, 'VALIDATION_FAILED']);
        expect(refused.body.validation_errors).toEqual([{ field, message: expect.stringContaining('reserved') }]);
      }
      expect((await api('GET', `/memories/${id}`)).body).toMatchObject({ version: 2, metadata: { valueOf: 'x' } });
      // In a DTO itself a member's name is an unknown field like any other.
      for (const [path, body, field] of [
        ['/memories', { text: 'x', toString: 'y' }, 'toString'],
        ['/prompts', { name: 'p', body: 'b', hasOwnProperty: 1 }, 'hasOwnProperty'],
      ] as const) {
        const refused = await api('POST', path, body);
        expect([refused.status, refused.body.validation_errors]).toEqual([
          400,
          [{ field, message: `property ${field} should not exist` }],
        ]);
      }
    });

    it('refuses text over 50,000 characters; keeps versions and restores', async () => {
      expect((await api('POST', '/memories', { text: 'x'.repeat(50_001) })).status).toBe(400);
      const created = await api('POST', '/memories', { text: 'first' });
      await api('PUT', `/memories/${created.body.id}`, { text: 'second', title: 'Titled' });
      const restored = await api('POST', `/memories/${created.body.id}/versions/1/restore`);
      expect(restored.body).toMatchObject({ text: 'first', title: null, version: 3 });
      const versions = await api<{ versions: Body[] }>('GET', `/memories/${created.body.id}/versions`);
      expect(versions.body.versions.map((v) => v.text)).toEqual(['first', 'second', 'first']);
    });
  });

  describe('a deleted item', () => {
    it.each([
      ['prompt', '/prompts', { name: 'Undeletable', body: 'first body' }, { body: 'second body' }, 'body'],
      [
        'artifact',
        '/artifacts',
        { project: 'undo/app', title: 'Undeletable', content: 'first content' },
        { content: 'second content' },
        'content',
      ],
      ['memory', '/memories', { text: 'first text' }, { text: 'second text' }, 'text'],
    ])(
      '%s: keeps its versions, listed by id, and a restore brings it back',
      async (_, collection, create, change, field) => {
        const created = await api(`POST`, collection, create);
        const id = created.body.id as string;
        const item =
          collection === '/artifacts' ? `${collection}/undo/app/${created.body.slug as string}` : `${collection}/${id}`;
        expect((await api('PUT', item, change)).status).toBe(200);
        expect((await api('DELETE', item)).status).toBe(204);
        expect((await api('GET', `${collection}/${id}`)).status).toBe(404);
        const versions = await api<{ versions: Body[] }>('GET', `${collection}/${id}/versions`);
        expect(versions.status).toBe(200);
        expect(versions.body.versions.map((v) => [v.version, v[field]])).toEqual([
          [1, create[field as keyof typeof create]],
          [2, change[field as keyof typeof change]],
        ]);
        // Another account still cannot see it: a deleted item is not found for it, on every route.
        const foreign = await call(base, 'GET', `/api/v1${collection}/${id}/versions`, { key: strangerKey });
        expect([foreign.status, foreign.body.code]).toEqual([404, 'RESOURCE_NOT_FOUND']);
        expect(
          (await call(base, 'POST', `/api/v1${collection}/${id}/versions/2/restore`, { key: strangerKey })).status,
        ).toBe(404);
        expect((await call(base, 'GET', `/api/v1${collection}/${id}`, { key: strangerKey })).status).toBe(404);

        const back = await api('POST', `${collection}/${id}/versions/1/restore`);
        expect(back.status).toBe(200);
        expect(back.body).toMatchObject({ id, version: 4, [field]: create[field as keyof typeof create] });
        expect(back.body.created_at).toBe(created.body.created_at);
        expect((await api('GET', `${collection}/${id}`)).body).toEqual(back.body);
        const listed = await api<Record<string, Body[]>>('GET', collection);
        expect(
          Object.values(listed.body)
            .find(Array.isArray)!
            .map((entry) => entry.id),
        ).toContain(id);
      },
    );

    it('answers restores sent at once 200 each, one after another, never a conflict', async () => {
      const created = await api('POST', '/memories', { text: 'raced' });
      const path = `/memories/${created.body.id as string}`;
      expect((await api('DELETE', path)).status).toBe(204);
      const answers = await Promise.all([1, 1, 1, 1].map((n) => api('POST', `${path}/versions/${n}/restore`)));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
      expect(answers.map((answer) => answer.body.version as number).sort()).toEqual([3, 4, 5, 6]);
      expect((await api('GET', path)).body).toMatchObject({ text: 'raced', version: 6 });
    });

    it('comes back only to a free slug: 409 RESOURCE_EXISTS when another prompt took it meanwhile', async () => {
      const first = await api('POST', '/prompts', { name: 'Taken again', body: 'one' });
      expect((await api('DELETE', `/prompts/${first.body.id as string}`)).status).toBe(204);
      const second = await api('POST', '/prompts', { name: 'Taken again', body: 'two' });
      expect(second.body.slug).toBe(first.body.slug);
      const refused = await api('POST', `/prompts/${first.body.id as string}/versions/1/restore`);
      expect([refused.status, refused.body.code]).toEqual([409, 'RESOURCE_EXISTS']);
      expect((await api('GET', `/prompts/${first.body.slug as string}`)).body.id).toBe(second.body.id);
      expect((await api('GET', `/prompts/${first.body.id as string}`)).status).toBe(404);
    });

    it('is not found by slug, nor for reads, changes or a second delete', async () => {
      const created = await api('POST', '/prompts', { name: 'Gone for good', body: 'x' });
      await api('DELETE', `/prompts/${created.body.id as string}`);
      expect((await api('GET', `/prompts/${created.body.slug as string}/versions`)).status).toBe(404);
      expect((await api('PUT', `/prompts/${created.body.id as string}`, { body: 'y' })).status).toBe(404);
      expect((await api('DELETE', `/prompts/${created.body.id as string}`)).status).toBe(404);
      expect((await api('GET', `/prompts/${randomUUID()}/versions`)).status).toBe(404);
    });
  });

  it('searches all three kinds, ranked, own account only', async () => {
    const user = await DashboardUser.signup(base);
    const own = (await user.createKey({ integrations: ['cli'] })).full_key;
    await call(base, 'POST', '/api/v1/prompts', {
      key: own,
      body: { name: 'Kubernetes rollout', body: 'Roll out with kubectl' },
    });
    await call(base, 'POST', '/api/v1/artifacts', {
      key: own,
      body: { project: 'ops', title: 'Cluster notes', content: 'Our kubernetes cluster has three nodes' },
    });
    await call(base, 'POST', '/api/v1/memories', { key: own, body: { text: 'kubernetes upgrades happen on Mondays' } });
    await call(base, 'POST', '/api/v1/memories', {
      key: strangerKey,
      body: { text: 'kubernetes secrets of someone else' },
    });
    const response = await call<{ results: Body[] }>(base, 'GET', '/api/v1/search?q=kubernetes', { key: own });
    expect(response.status).toBe(200);
    expect(response.body.results.map((r) => r.type).sort()).toEqual(['artifacts', 'memories', 'prompts']);
    expect(response.body.results[0]).toMatchObject({
      type: 'prompts',
      title: 'Kubernetes rollout',
      slug: 'kubernetes-rollout',
    });
    expect(response.body.results.every((r) => typeof r.excerpt === 'string' && typeof r.score === 'number')).toBe(true);
    const scores = response.body.results.map((r) => r.score as number);
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);
    // A short text is its whole excerpt, words before the match and closing punctuation kept; a long one is cut
    // into fragments around its matches.
    const excerpts = Object.fromEntries(response.body.results.map((r) => [r.type as string, r.excerpt as string]));
    expect(excerpts.memories).toBe('**kubernetes** upgrades happen on Mondays');
    expect(excerpts.artifacts).toBe('Our **kubernetes** cluster has three nodes');
    await call(base, 'POST', '/api/v1/prompts', {
      key: own,
      body: { name: 'Greeting', body: 'Say hello to {{name}}.' },
    });
    const greeting = await call<{ results: Body[] }>(base, 'GET', '/api/v1/search?q=hello&types=prompts', { key: own });
    expect(greeting.body.results.map((r) => r.excerpt)).toEqual(['Say **hello** to {{name}}.']);
    const long = `${'filler words here. '.repeat(40)}the quokka appears once ${'and more filler text. '.repeat(40)}`;
    await call(base, 'POST', '/api/v1/memories', { key: own, body: { text: long } });
    const fragment = (await call<{ results: Body[] }>(base, 'GET', '/api/v1/search?q=quokka', { key: own })).body
      .results[0].excerpt as string;
    expect(fragment).toContain('**quokka**');
    expect(fragment.length).toBeLessThan(400);
    // A name or title holding the word comes before a body that repeats it.
    await call(base, 'POST', '/api/v1/artifacts', {
      key: own,
      body: { project: 'ops', title: 'Other doc', content: 'zymurgy '.repeat(60) },
    });
    await call(base, 'POST', '/api/v1/memories', { key: own, body: { text: 'zymurgy '.repeat(30) } });
    await call(base, 'POST', '/api/v1/prompts', { key: own, body: { name: 'Zymurgy basics', body: 'brewing intro' } });
    const titled = await call<{ results: Body[] }>(base, 'GET', '/api/v1/search?q=zymurgy', { key: own });
    expect(titled.body.results.map((r) => r.title)[0]).toBe('Zymurgy basics');
    expect(titled.body.results).toHaveLength(3);
    const onlyMemories = await call<{ results: Body[] }>(
      base,
      'GET',
      '/api/v1/search?q=kubernetes&types=memories&limit=5',
      { key: own },
    );
    expect(onlyMemories.body.results.map((r) => r.type)).toEqual(['memories']);
    const repeated = await call<{ results: Body[] }>(
      base,
      'GET',
      '/api/v1/search?q=kubernetes&types=prompts,memories,prompts',
      { key: own },
    );
    expect(repeated.body.results.map((r) => r.type).sort()).toEqual(['memories', 'prompts']);
    expect((await call(base, 'GET', '/api/v1/search?q=x&types=emails', { key: own })).status).toBe(400);
    expect((await call(base, 'GET', '/api/v1/search', { key: own })).status).toBe(400);
    // A filter written with brackets would be ignored as an unknown name, and the whole list answered: refused.
    for (const query of [
      '/api/v1/memories?labels[]=x',
      '/api/v1/artifacts?status[a]=draft',
      '/api/v1/prompts?limit[]=5',
    ]) {
      const bracketed = await call<{ validation_errors?: { field: string }[] }>(base, 'GET', query, { key: own });
      expect([query, bracketed.status]).toEqual([query, 400]);
    }
    // One ranked page: a further page or another order would be the same answer, so they are refused (§1).
    for (const [query, status] of [
      ['&page=1&sort_by=score', 200],
      ['&page=2', 400],
      ['&sort_by=bogus', 400],
      ['&sort_by=updated_at', 400],
    ] as const) {
      const answer = await call<{ validation_errors?: unknown[] }>(base, 'GET', `/api/v1/search?q=kubernetes${query}`, {
        key: own,
      });
      expect([query, answer.status]).toEqual([query, status]);
    }
    const memory = (await call<{ id: string }>(base, 'POST', '/api/v1/memories', { key: own, body: { text: 'm' } }))
      .body;
    for (const [query, status] of [
      ['?sort_by=version', 200],
      ['?sort_by=bogus', 400],
    ] as const)
      expect([
        query,
        (await call(base, 'GET', `/api/v1/memories/${memory.id}/versions${query}`, { key: own })).status,
      ]).toEqual([query, status]);
  });

  describe('isolation between accounts', () => {
    it('answers another account’s resource by id with 403 FORBIDDEN, by slug or path with 404, and never lists it', async () => {
      const prompt = await api('POST', '/prompts', { name: 'Secret prompt', slug: 'secret-prompt', body: 'mine' });
      const artifact = await api('POST', '/artifacts', {
        project: 'private',
        slug: 'plan',
        title: 'Plan',
        content: 'mine',
      });
      const memory = await api('POST', '/memories', { text: 'my private memory' });
      const as = (method: string, path: string, body?: unknown) =>
        call(base, method, `/api/v1${path}`, { key: strangerKey, body });
      const byId = [
        as('GET', `/prompts/${prompt.body.id}`),
        as('PUT', `/prompts/${prompt.body.id}`, { body: 'theirs' }),
        as('DELETE', `/prompts/${prompt.body.id}`),
        as('GET', `/prompts/${prompt.body.id}/versions`),
        as('POST', `/prompts/${prompt.body.id}/versions/1/restore`),
        as('POST', `/prompts/${prompt.body.id}/render`, {}),
        as('GET', `/prompts/${prompt.body.id}/placeholders`),
        as('GET', `/artifacts/${artifact.body.id}`),
        as('PUT', `/artifacts/${artifact.body.id}`, { title: 'theirs' }),
        as('DELETE', `/artifacts/${artifact.body.id}`),
        as('GET', `/memories/${memory.body.id}`),
        as('PUT', `/memories/${memory.body.id}`, { text: 'theirs' }),
        as('DELETE', `/memories/${memory.body.id}`),
        as('GET', `/memories/${memory.body.id}/versions`),
        as('POST', `/memories/${memory.body.id}/versions/1/restore`),
      ];
      for (const response of await Promise.all(byId))
        expect([response.status, response.body.code]).toEqual([403, 'FORBIDDEN']);
      const byName = [
        as('GET', '/prompts/secret-prompt'),
        as('PUT', '/prompts/secret-prompt', { body: 'theirs' }),
        as('DELETE', '/prompts/secret-prompt'),
        as('GET', '/artifacts/private/plan'),
        as('PUT', '/artifacts/private/plan', { title: 'theirs' }),
        as('DELETE', '/artifacts/private/plan'),
        as('GET', '/artifacts/private/plan/versions'),
      ];
      for (const response of await Promise.all(byName))
        expect([response.status, response.body.code]).toEqual([404, 'RESOURCE_NOT_FOUND']);
      const lists = await Promise.all([
        as('GET', '/prompts?limit=100'),
        as('GET', '/artifacts?limit=100&status=active'),
        as('GET', '/memories?limit=100'),
        as('GET', '/search?q=mine'),
      ]);
      expect(JSON.stringify(lists.map((l) => l.body))).not.toMatch(
        /Secret prompt|my private memory|"project":"private"/,
      );
      expect((await api('GET', `/prompts/${prompt.body.id}`)).body.body).toBe('mine');
      expect((await api('GET', `/memories/${memory.body.id}`)).body.text).toBe('my private memory');
    });
  });

  describe('authentication and integrations on content routes', () => {
    it('needs the cli integration by default, ai_tools when declared; a session works too', async () => {
      const aiOnly = (await owner.createKey({ integrations: ['ai_tools'] })).full_key;
      const refused = await call(base, 'GET', '/api/v1/prompts', { key: aiOnly });
      expect([refused.status, refused.body.code]).toEqual([403, 'INTEGRATION_NOT_PERMITTED']);
      expect(
        (await call(base, 'GET', '/api/v1/prompts', { key: aiOnly, headers: { 'X-VibeXP-Integration': 'ai_tools' } }))
          .status,
      ).toBe(200);
      expect((await call(base, 'GET', '/api/v1/prompts')).status).toBe(401);
      expect((await owner.request('GET', '/api/v1/prompts')).status).toBe(200);
      const created = await owner.request('POST', '/api/v1/memories', { body: { text: 'from the dashboard' } });
      expect(created.status).toBe(201);
      const versions = await owner.request<{ versions: Body[] }>('GET', `/api/v1/memories/${created.body.id}/versions`);
      expect(versions.body.versions[0].actor).toEqual({ type: 'session' });
    });
  });

  describe('the seed page’s examples, unchanged, against the local base URL', () => {
    it('curl', () => {
      const out = execFileSync('curl', ['-s', '-H', `Authorization: Bearer ${key}`, `${base}/api/v1/prompts`], {
        encoding: 'utf8',
      });
      expect(JSON.parse(out)).toMatchObject({ prompts: expect.any(Array), total_count: expect.any(Number) });
    });

    it('Node (axios)', async () => {
      const client = axios.create({ baseURL: `${base}/api/v1`, headers: { Authorization: `Bearer ${key}` } });
      const prompts = await client.get('/prompts');
      expect(prompts.status).toBe(200);
      expect(prompts.data.prompts.length).toBeGreaterThan(0);
    });

    it('Python (requests)', () => {
      const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
      const script = [
        'import requests, json',
        'headers = {',
        `'Authorization': 'Bearer ${key}'`,
        '}',
        'response = requests.get(',
        `'${base}/api/v1/prompts',`,
        'headers=headers',
        ')',
        'prompts = response.json()',
        'print(json.dumps({"status": response.status_code, "count": len(prompts["prompts"])}))',
      ].join('\n');
      const out = JSON.parse(execFileSync(python, ['-c', script], { encoding: 'utf8' })) as {
        status: number;
        count: number;
      };
      expect(out.status).toBe(200);
      expect(out.count).toBeGreaterThan(0);
    });
  });

  it('sends no key pasted into a memory id or a prompt id or slug to content-service (NATS)', async () => {
    const pasted = (await owner.createKey({ name: 'in a path' })).full_key;
    const paths = [
      ['GET', `/memories/${pasted}`],
      ['GET', `/memories/${pasted}/versions`],
      ['DELETE', `/memories/${pasted}`],
      ['GET', `/prompts/${pasted}`],
      ['GET', `/prompts/${pasted}/versions`],
      ['GET', `/prompts/${pasted}/placeholders`],
      ['POST', `/prompts/${pasted}/versions/1/restore`],
    ] as const;
    const statuses: number[] = [];
    const traffic = await natsTrafficDuring(platform.nats.url, async () => {
      for (const [method, path] of paths) statuses.push((await api(method, path)).status);
    });
    // No memory has a key for its id, no prompt for its slug.
    expect(statuses).toEqual([404, 404, 404, 404, 404, 404, 404]);
    expect(traffic).toContain('content.rpc.');
    expect(traffic).not.toContain(pasted.slice(4));
  });

  it('masks a whole API key pasted into stored text (content, metadata, a key name) before any event carries it', async () => {
    const pasted = (await owner.createKey({ name: 'pasted one' })).full_key;
    const shown = `${pasted.slice(0, 12)}…[REDACTED]`;
    const created = await api<{ id: string; text: string; title: string; metadata: Body }>('POST', '/memories', {
      title: `key ${pasted}`,
      text: `use ${pasted}. Not a key: vxk_${'a'.repeat(40)} nor ak_live_1234567890`,
      metadata: { [pasted]: [pasted], note: 'kept' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      title: `key ${shown}`,
      text: `use ${shown}. Not a key: vxk_${'a'.repeat(40)} nor ak_live_1234567890`,
      metadata: { [shown]: [shown], note: 'kept' },
    });
    // Its hex in capitals is still the key (the gateway refuses it, but a reader could correct it).
    const upper = `vxk_${pasted.slice(4).toUpperCase()}`;
    const updated = await api<{ text: string }>('PUT', `/memories/${created.body.id}`, { text: upper });
    expect(updated.body.text).toBe(`${upper.slice(0, 12)}…[REDACTED]`);
    const prompt = await api<{ body: string }>('POST', '/prompts', { name: 'Setup', body: `export KEY=${pasted}` });
    expect(prompt.body.body).toBe(`export KEY=${shown}`);
    const named = await owner.request<{ name: string }>('POST', '/api/v1/settings/api-keys', {
      body: { name: `for ${pasted}`, integrations: ['cli'] },
    });
    expect(named.body).toMatchObject({ api_key: { name: `for ${shown}` } });

    // Exact values are not rewritten: a project or a webhook URL that holds a key is refused.
    const project = await api('POST', '/memories', { text: 'x', project: `team/${pasted}` });
    expect([project.status, project.body.validation_errors]).toEqual([
      400,
      [{ field: 'project', message: 'must not contain an API key' }],
    ]);
    const webhook = await owner.request('PUT', '/api/v1/settings/security', {
      body: {
        timezone: 'UTC',
        working_hours: null,
        webhook_url: `https://hooks.example.com/in?token=${pasted}`,
        auto_revoke_on: [],
      },
    });
    expect([webhook.status, webhook.body.validation_errors]).toEqual([
      400,
      [{ field: 'webhook_url', message: 'must not contain an API key' }],
    ]);
    // A search is masked the same way, so it finds the masked text (and the key never travels in the query).
    const found = await api<{ memories: { id: string }[] }>('GET', `/memories?search=${encodeURIComponent(pasted)}`);
    expect(found.body.memories.map((memory) => memory.id)).toContain(created.body.id);
    // The keys list, searched with the whole key, finds it by its prefix.
    const byKey = await owner.request<{ api_keys: { name: string }[] }>(
      'GET',
      `/api/v1/settings/api-keys?search=${pasted}`,
    );
    expect(byKey.body.api_keys.map((key) => key.name)).toContain('pasted one');

    // The events (the audit log's data) hold the mask, not the key.
    const log = await waitFor(
      () => api<{ events: unknown[] }>('GET', '/audit-log?type=memory.*,prompt.created&limit=50'),
      (response) => JSON.stringify(response.body).includes(`export KEY=${shown}`),
    );
    expect(JSON.stringify(log.body)).not.toContain(pasted.slice(12));
    expect(JSON.stringify(log.body)).not.toContain(upper.slice(12));
    // The key itself still works: it was masked in the text, not revoked.
    expect((await call(base, 'GET', '/api/v1/auth/me', { key: pasted })).status).toBe(200);
  });

  it('documents the routes with their schemas at /api/openapi.json and serves the UI at /api/docs', async () => {
    const document = await call<{
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    }>(base, 'GET', '/api/openapi.json');
    expect(document.status).toBe(200);
    for (const path of [
      '/api/v1/prompts',
      '/api/v1/prompts/{id}/render',
      '/api/v1/memories/{id}',
      '/api/v1/artifacts',
      '/api/v1/search',
      '/api/v1/settings/api-keys',
      '/api/v1/settings/oauth/grants/{id}/usage',
    ]) {
      expect(Object.keys(document.body.paths)).toContain(path);
    }
    expect(Object.keys(document.body.components.schemas)).toEqual(
      expect.arrayContaining(['CreatePromptDto', 'CreateArtifactDto', 'CreateMemoryDto', 'Problem']),
    );
    // An action that takes no body (it refuses any field) documents none as required.
    const restore = document.body.paths['/api/v1/memories/{id}/versions/{n}/restore'].post as {
      requestBody?: { required?: boolean };
    };
    expect(restore.requestBody?.required ?? false).toBe(false);
    type Operation = {
      parameters?: { name: string; in: string }[];
      security?: Record<string, string[]>[];
      responses: Record<string, { content?: Record<string, unknown> }>;
    };
    const operations = Object.entries(document.body.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, Operation>).map(([method, operation]) => ({ path, method, operation })),
    );
    for (const { path, method, operation } of operations) {
      expect([method, path, Array.isArray(operation.security)]).toEqual([method, path, true]);
      // Valid OpenAPI: every `{name}` of a path is a declared path parameter (the artifacts' `{path}` was not).
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
        expect([method, path, operation.parameters?.some((p) => p.name === name && p.in === 'path')]).toEqual([
          method,
          path,
          true,
        ]);
      }
      expect([method, path, Object.keys(operation.responses.default?.content ?? {})]).toEqual([
        method,
        path,
        ['application/problem+json'],
      ]);
    }
    // Who may call what, from the same access policies the gateway enforces.
    const security = (path: string, method = 'get') =>
      (document.body.paths[path][method] as Operation).security?.flatMap((scheme) => Object.keys(scheme));
    expect(security('/healthz')).toEqual([]);
    expect(security('/api/v1/auth/signup', 'post')).toEqual([]);
    expect(security('/api/v1/settings/api-keys')).toEqual(['session']);
    expect(security('/api/v1/memories')).toEqual(['api_key', 'session']);
    expect(security('/admin/v1/accounts')).toEqual(['admin_token']);
    // Open (an empty requirement), or with the deployment's METRICS_TOKEN when it sets one.
    expect((document.body.paths['/metrics'].get as Operation).security).toEqual([{}, { metrics_token: [] }]);
    // The MCP endpoint and its OAuth server (PRODUCT.md §14) are in the document too: MCP takes POST only.
    expect(Object.keys(document.body.paths['/mcp/v1/common'])).toEqual(['post']);
    expect(security('/mcp/v1/common', 'post')).toEqual(['oauth2']);
    for (const [path, method] of [
      ['/.well-known/oauth-authorization-server', 'get'],
      ['/.well-known/oauth-protected-resource/mcp/v1/common', 'get'],
      ['/oauth/register', 'post'],
      ['/oauth/authorize', 'get'],
      ['/oauth/token', 'post'],
      ['/oauth/revoke', 'post'],
    ])
      expect([path, security(path, method)]).toEqual([path, []]);
    const token = document.body.paths['/oauth/token'].post as Operation & {
      requestBody: { content: Record<string, unknown> };
    };
    expect(Object.keys(token.requestBody.content).sort()).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ]);
    expect(token.responses['400'].content?.['application/json']).toMatchObject({
      schema: { required: ['error', 'error_description'] },
    });
    const schemes = (document.body as unknown as { components: { securitySchemes: Record<string, unknown> } })
      .components.securitySchemes;
    for (const name of ['admin_token', 'metrics_token'])
      expect(schemes[name]).toMatchObject({ scheme: 'bearer', bearerFormat: 'opaque, at least 16 characters' });
    expect(schemes.oauth2).toMatchObject({
      type: 'oauth2',
      flows: { authorizationCode: { tokenUrl: '/oauth/token', scopes: { 'content:read': expect.any(String) } } },
    });
    // Fields that take a string or null are strings in the document, not objects.
    const memory = document.body.components.schemas.CreateMemoryDto as {
      properties: Record<string, { type: string; nullable?: boolean }>;
    };
    expect(memory.properties.title).toMatchObject({ type: 'string', nullable: true });
    for (const [schema, field] of [
      ['SecuritySettingsDto', 'webhook_url'],
      ['ResolveAlertDto', 'note'],
      ['UpdateAccountDto', 'rate_limit_per_hour'],
      ['CreateApiKeyDto', 'expires_at'],
    ]) {
      const property = (document.body.components.schemas[schema] as { properties: Record<string, { type?: string }> })
        .properties[field];
      expect([schema, field, property.type]).toEqual([
        schema,
        field,
        field === 'rate_limit_per_hour' ? 'number' : 'string',
      ]);
    }
    const ui = await fetch(`${base}/api/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  describe("the gateway's cache of reads by id", () => {
    let second: string;
    const on = <T = Body>(url: string, method: string, path: string, body?: unknown, as = key) =>
      call<T>(url, method, `/api/v1${path}`, { key: as, body });
    /** gateway_content_cache_total{outcome="hit"} of one gateway instance. */
    const hits = async (url: string) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(/gateway_content_cache_total\{outcome="hit"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
    };

    beforeAll(async () => {
      second = (await platform.startExtraGateway()).url;
    }, 90_000);

    it('serves repeated reads from the cache, and a change through another instance is seen at once', async () => {
      const created = await on<Body>(base, 'POST', '/memories', { text: 'version one' });
      const id = created.body.id as string;
      const hitsBefore = await hits(second);
      expect((await on(second, 'GET', `/memories/${id}`)).body.text).toBe('version one');
      expect((await on(second, 'GET', `/memories/${id}`)).body.text).toBe('version one');
      expect(await hits(second)).toBe(hitsBefore + 1);

      expect((await on(base, 'PUT', `/memories/${id}`, { text: 'version two' })).status).toBe(200);
      expect((await on(second, 'GET', `/memories/${id}`)).body).toMatchObject({ text: 'version two', version: 2 });

      expect((await on(base, 'POST', `/memories/${id}/versions/1/restore`)).status).toBe(200);
      expect((await on(second, 'GET', `/memories/${id}`)).body).toMatchObject({ text: 'version one', version: 3 });

      expect((await on(base, 'DELETE', `/memories/${id}`)).status).toBe(204);
      const gone = await on(second, 'GET', `/memories/${id}`);
      expect([gone.status, gone.body.code]).toEqual([404, 'RESOURCE_NOT_FOUND']);
    });

    it("a change addressed by slug reaches the other instance's copy read by id", async () => {
      const created = await on<Body>(base, 'POST', '/prompts', { name: 'Cached prompt', body: 'first body' });
      const { id, slug } = created.body as { id: string; slug: string };
      const hitsBefore = await hits(second);
      expect((await on(second, 'GET', `/prompts/${id}`)).body.body).toBe('first body');
      expect((await on(second, 'GET', `/prompts/${id}`)).body.body).toBe('first body');
      expect(await hits(second)).toBe(hitsBefore + 1);

      expect((await on(base, 'PUT', `/prompts/${slug}`, { body: 'second body' })).status).toBe(200);
      expect((await on(second, 'GET', `/prompts/${id}`)).body).toMatchObject({ body: 'second body', version: 2 });
      // Written by slug through the instance that holds the copy read by id.
      expect((await on(second, 'POST', `/prompts/${slug}/versions/1/restore`)).status).toBe(200);
      expect((await on(second, 'GET', `/prompts/${id}`)).body).toMatchObject({ body: 'first body', version: 3 });
      expect((await on(base, 'DELETE', `/prompts/${slug}`)).status).toBe(204);
      expect((await on(second, 'GET', `/prompts/${id}`)).status).toBe(404);
    });

    it("never answers another account from the owner's cached copy", async () => {
      const created = await on<Body>(second, 'POST', '/memories', { text: 'only for the owner' });
      const id = created.body.id as string;
      expect((await on(second, 'GET', `/memories/${id}`)).status).toBe(200);
      expect((await on(second, 'GET', `/memories/${id}`)).status).toBe(200);

      const foreign = await on(second, 'GET', `/memories/${id}`, undefined, strangerKey);
      expect([foreign.status, foreign.body.code]).toEqual([403, 'FORBIDDEN']);
      expect(JSON.stringify(foreign.body)).not.toContain('only for the owner');
    });
  });

  describe('Idempotency-Key on creates', () => {
    const create = (path: string, body: Body, idempotencyKey: string, withKey = key) =>
      call<Body>(base, 'POST', `/api/v1${path}`, {
        key: withKey,
        body,
        headers: { 'idempotency-key': idempotencyKey },
      });

    it('answers a create sent again with the same key with the item the first one made', async () => {
      const idempotencyKey = `retry-${Date.now()}`;
      const first = await create('/memories', { text: 'made once', project: 'idem' }, idempotencyKey);
      const again = await create('/memories', { text: 'made once', project: 'idem' }, idempotencyKey);
      expect([first.status, again.status]).toEqual([201, 201]);
      expect(again.body.id).toBe(first.body.id);
      const listed = await api<{ memories: Body[] }>('GET', '/memories?project=idem');
      expect(listed.body.memories.filter((memory) => memory.text === 'made once')).toHaveLength(1);
      // Prompts and artifacts, whose slugs are derived, too.
      const prompt = await create('/prompts', { name: 'Idempotent prompt', body: 'b' }, `${idempotencyKey}-p`);
      expect((await create('/prompts', { name: 'Idempotent prompt', body: 'b' }, `${idempotencyKey}-p`)).body.id).toBe(
        prompt.body.id,
      );
      const artifact = await create(
        '/artifacts',
        { project: 'idem', title: 'Once', content: 'c' },
        `${idempotencyKey}-a`,
      );
      const artifactAgain = await create(
        '/artifacts',
        { project: 'idem', title: 'Once', content: 'c' },
        `${idempotencyKey}-a`,
      );
      expect([artifactAgain.body.id, artifactAgain.body.slug]).toEqual([artifact.body.id, 'once']);
    });

    it('makes one item for requests with the same key sent at once', async () => {
      const idempotencyKey = `race-${Date.now()}`;
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => create('/memories', { text: 'raced', project: 'idem-race' }, idempotencyKey)),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(201));
      expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
      expect((await api<{ memories: Body[] }>('GET', '/memories?project=idem-race')).body.memories).toHaveLength(1);
    });

    it('refuses the key with another body (422) or another kind, and keeps keys per account', async () => {
      const idempotencyKey = `reuse-${Date.now()}`;
      expect((await create('/memories', { text: 'first' }, idempotencyKey)).status).toBe(201);
      const other = await create('/memories', { text: 'second' }, idempotencyKey);
      expect([other.status, other.body.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
      const otherKind = await create('/prompts', { name: 'p', body: 'first' }, idempotencyKey);
      expect([otherKind.status, otherKind.body.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
      const stranger = await create('/memories', { text: 'second' }, idempotencyKey, strangerKey);
      expect(stranger.status).toBe(201);
    });

    it('leaves no key behind when a create fails, and answers a replay of the same body in another key order', async () => {
      const idempotencyKey = `rollback-${Date.now()}`;
      expect((await api('POST', '/prompts', { name: 'Taken slug', slug: 'idem-taken', body: 'x' })).status).toBe(201);
      const taken = await create('/prompts', { name: 'Mine', slug: 'idem-taken', body: 'x' }, idempotencyKey);
      expect([taken.status, taken.body.code]).toEqual([409, 'RESOURCE_EXISTS']);
      const free = await create('/prompts', { name: 'Mine', slug: 'idem-free', body: 'x' }, idempotencyKey);
      expect([free.status, free.body.slug]).toEqual([201, 'idem-free']);

      const reordered = `reorder-${Date.now()}`;
      const first = await create('/memories', { text: 'm', metadata: { team: 'web', env: 'prod' } }, reordered);
      const again = await create('/memories', { metadata: { env: 'prod', team: 'web' }, text: 'm' }, reordered);
      expect(again.body.id).toBe(first.body.id);
    });

    it('forgets keys after 24 hours: the sweep removes them and the key can make a new item', async () => {
      const idempotencyKey = `expired-${Date.now()}`;
      const first = await create('/memories', { text: 'old' }, idempotencyKey);
      await platform.withDatabase('content-service', async (dataSource) => {
        await dataSource.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`, [
          idempotencyKey,
        ]);
        // An expired key no longer answers: the same key with a new body makes a new item.
        const reused = await create('/memories', { text: 'new' }, idempotencyKey);
        expect([reused.status, reused.body.id === first.body.id]).toEqual([201, false]);
        // Only this test's keys are aged: the sweep removes them, in batches, and nothing younger.
        await dataSource.query(
          `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key LIKE 'expired-%'`,
        );
        const younger = (await dataSource.query(`SELECT count(*)::int AS n FROM idempotency_keys`)) as { n: number }[];
        expect(await sweepExpiredKeys(dataSource.manager, 1)).toBe(1);
        expect(await dataSource.query(`SELECT 1 FROM idempotency_keys WHERE key LIKE 'expired-%'`)).toEqual([]);
        const left = (await dataSource.query(`SELECT count(*)::int AS n FROM idempotency_keys`)) as { n: number }[];
        expect(left[0].n).toBe(younger[0].n - 1);
      });
    });

    it.each([
      ['empty', ''],
      ['over 255 characters', 'k'.repeat(256)],
      ['with a space', 'a b'],
      ['with a non-ASCII character', 'clé'],
    ])('refuses a key %s with 400 naming the header', async (_, idempotencyKey) => {
      const response = await fetch(`${base}/api/v1/memories`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'idempotency-key': Buffer.from(idempotencyKey, 'utf8').toString('latin1'),
        },
        body: JSON.stringify({ text: 'never stored' }),
      });
      const body = (await response.json()) as Body;
      expect([response.status, body.code, body.validation_errors]).toEqual([
        400,
        'VALIDATION_FAILED',
        [{ field: 'Idempotency-Key', message: expect.any(String) }],
      ]);
    });
  });

  it('rebuilds prompts, artifacts and memories from their events with the same rows (runs last)', async () => {
    await platform.withDatabase('content-service', async (dataSource) => {
      const store = new ContentStore(dataSource, () => new Date());
      const snapshot = async () => ({
        prompts: await dataSource.query(`SELECT * FROM prompts ORDER BY id`),
        references: await dataSource.query(`SELECT * FROM prompt_references ORDER BY prompt_id, slug`),
        artifacts: await dataSource.query(`SELECT * FROM artifacts ORDER BY id`),
        memories: await dataSource.query(`SELECT * FROM memories ORDER BY id`),
      });
      const before = await snapshot();
      expect(before.prompts.length).toBeGreaterThan(50);
      expect(before.artifacts.length).toBeGreaterThan(2);
      expect(before.memories.length).toBeGreaterThan(5);
      for (const projection of Object.values(store.projections)) await store.events.rebuild(projection);
      expect(await snapshot()).toEqual(before);
    });
  });
});
