import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { KeysRpc } from '#contracts';
import { Client } from 'pg';
import { DashboardUser, call } from '../support/api-client';
import { freePort } from '../support/nats-server';
import { TestPlatform, spawnService, stopProcess, waitForHttp } from '../support/platform';
import { waitFor } from '../support/wait';

const ADMIN_TOKEN = `usage-admin-${randomUUID()}`;

describe('usage tracking and hourly rate limits (PRODUCT.md §4, §7)', () => {
  let platform: TestPlatform;
  let base: string;
  const admin = (path: string, body: unknown) => call(base, 'PATCH', path, { key: ADMIN_TOKEN, body });
  const setLimit = (accountId: string, limit: number) =>
    admin(`/admin/v1/accounts/${accountId}`, { tier: 'enterprise', rate_limit_per_hour: limit });
  /** Counts are per clock hour: a test that counts waits out the last 20 s of an hour rather than straddle it. */
  const awayFromTheTopOfTheHour = async () => {
    const msToHour = 3_600_000 - (Date.now() % 3_600_000);
    if (msToHour < 20_000) await new Promise((resolve) => setTimeout(resolve, msToHour + 100));
  };
  const usageOf = (user: DashboardUser, keyId: string, range = '24h') =>
    user.request<Record<string, unknown>>('GET', `/api/v1/settings/api-keys/${keyId}/usage?range=${range}`);

  beforeAll(async () => {
    // The test client is on 127.0.0.1: trusting it as a proxy lets X-Forwarded-For carry the client address.
    platform = await TestPlatform.start({
      gatewayEnv: { ADMIN_TOKEN, TRUSTED_PROXIES: '127.0.0.1/32,::1', RATE_LIMIT_SYNC_MS: '100' },
    });
    base = platform.url('gateway');
  }, 90_000);
  afterAll(() => platform?.stop());

  describe('rate limits', () => {
    it('sends the limit headers on every API-key response; a free account starts at 1000/h', async () => {
      const user = await DashboardUser.signup(base);
      const key = (await user.createKey()).full_key;
      const response = await call(base, 'GET', '/api/v1/auth/me', { key });
      const reset = Number(response.headers.get('x-ratelimit-reset'));
      const secondsToReset = reset - Math.floor(Date.now() / 1000);
      expect(response.headers.get('x-ratelimit-limit')).toBe('1000');
      expect(response.headers.get('x-ratelimit-remaining')).toBe('999');
      expect(reset % 3600).toBe(0);
      expect(secondsToReset).toBeGreaterThan(0);
      expect(secondsToReset).toBeLessThanOrEqual(3600);
      expect(response.headers.get('ratelimit-policy')).toBe('"hourly";q=1000;w=3600');
      expect(response.headers.get('ratelimit')).toMatch(/^"hourly";r=999;t=\d+$/);
      expect((await user.request('GET', '/api/v1/auth/me')).headers.get('x-ratelimit-limit')).toBeNull();
    });

    it('is exact on one instance: the (limit+1)-th request is 429 with Retry-After; refused requests do not count', async () => {
      await awayFromTheTopOfTheHour();
      const user = await DashboardUser.signup(base);
      const key = (await user.createKey({ integrations: ['cli'] })).full_key;
      expect((await setLimit(user.account.id, 25)).status).toBe(200);
      // A request refused for a missing integration still counts.
      const refused = await call(base, 'GET', '/api/v1/prompts', {
        key,
        headers: { 'X-VibeXP-Integration': 'ai_tools' },
      });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('24');
      // So does one answered 400 for a bad X-VibeXP-Integration: the key is valid, the request is its own.
      const badHeader = await call(base, 'GET', '/api/v1/prompts', { key, headers: { 'X-VibeXP-Integration': 'x' } });
      expect([badHeader.status, badHeader.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(badHeader.headers.get('x-ratelimit-remaining')).toBe('23');
      expect(badHeader.headers.get('ratelimit')).toMatch(/^"hourly";r=23;t=\d+$/);
      for (let i = 1; i <= 23; i += 1) {
        const ok = await call(base, 'GET', '/api/v1/auth/me', { key });
        expect([i, ok.status]).toEqual([i, 200]);
      }
      const limited = await call(base, 'GET', '/api/v1/auth/me', { key });
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('RATE_LIMIT_EXCEEDED');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      expect(Number(limited.headers.get('x-ratelimit-reset')) - Math.floor(Date.now() / 1000)).toBeGreaterThanOrEqual(
        retryAfter - 2,
      );
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      expect((await call(base, 'GET', '/api/v1/auth/me', { key })).status).toBe(429);
      // Raising the limit takes effect at once, and the refused requests were not counted.
      await setLimit(user.account.id, 26);
      expect((await call(base, 'GET', '/api/v1/auth/me', { key })).status).toBe(200);
      expect((await call(base, 'GET', '/api/v1/auth/me', { key })).status).toBe(429);
    });

    it("keeps the hour's count across a restart of the gateway", async () => {
      await awayFromTheTopOfTheHour();
      const user = await DashboardUser.signup(base);
      const key = (await user.createKey()).full_key;
      await setLimit(user.account.id, 5);
      for (let i = 1; i <= 5; i += 1) expect((await call(base, 'GET', '/api/v1/auth/me', { key })).status).toBe(200);

      await platform.restart('gateway');

      // The restarted instance reads the ledger before the account's first request: no fresh allowance.
      const statuses = await Promise.all(
        Array.from({ length: 3 }, () => call(base, 'GET', '/api/v1/auth/me', { key }).then((r) => r.status)),
      );
      expect(statuses).toEqual([429, 429, 429]);
    });

    it('shares the count between two instances, overshooting by at most what the other admits in one sync interval', async () => {
      const second = await platform.startExtraGateway();
      const user = await DashboardUser.signup(base);
      const key = (await user.createKey()).full_key;
      const limit = 60;
      await setLimit(user.account.id, limit);
      let accepted = 0;
      const perInterval = new Map<number, number>();
      for (let i = 0; i < 120; i += 1) {
        const gateway = i % 2 === 0 ? base : second.url;
        const response = await call(gateway, 'GET', '/api/v1/auth/me', { key });
        if (response.status === 200) {
          accepted += 1;
          const interval = Math.floor(Date.now() / 100);
          perInterval.set(interval, (perInterval.get(interval) ?? 0) + 1);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // The bound of the README: (N − 1) × what one instance admits in one sync interval (100 ms here),
      // taken over the two busiest intervals since a sync can straddle two.
      const busiest = [...perInterval.values()].sort((a, b) => b - a);
      const bound = (busiest[0] ?? 0) + (busiest[1] ?? 0);
      expect(accepted).toBeGreaterThanOrEqual(limit);
      expect(accepted - limit).toBeLessThanOrEqual(bound);
      expect(accepted).toBeLessThan(120);
    });
    it("keeps an instance's count once when its sync is sent again (a timeout hid that it was stored)", async () => {
      const nats = await connect({ servers: platform.nats.url });
      const account = (await DashboardUser.signup(base)).account.id;
      const hour = Math.floor(Date.now() / 3_600_000);
      const sync = async (instance: string, totals: { account_id: string; count: number }[]) =>
        (
          await nats.request(
            KeysRpc.rateLimitSync,
            JSON.stringify({ instance_id: instance, hour, totals, accounts: [account] }),
            { timeout: 5_000 },
          )
        ).json<{ response: { totals: { count: number }[] } }>().response.totals[0]?.count;
      try {
        expect(await sync('instance-a', [{ account_id: account, count: 3 }])).toBe(3);
        expect(await sync('instance-a', [{ account_id: account, count: 3 }])).toBe(3);
        expect(await sync('instance-b', [{ account_id: account, count: 7 }])).toBe(10);
        // A late copy of an older sync never lowers what was stored.
        expect(await sync('instance-a', [{ account_id: account, count: 2 }])).toBe(10);
        expect(await sync('instance-a', [{ account_id: account, count: 5 }])).toBe(12);
      } finally {
        await nats.close();
      }
    });
  });

  describe('usage', () => {
    it('records IP, location, tool type, client and action per request; answers the usage of a key', async () => {
      await awayFromTheTopOfTheHour(); // all five requests in the last hourly bucket
      const user = await DashboardUser.signup(base);
      const created = await user.createKey();
      const key = created.full_key;
      await call(base, 'GET', '/api/v1/prompts', {
        key,
        headers: { 'User-Agent': 'vibexp-cli/1.2.0', 'X-Forwarded-For': '81.2.69.160' },
      });
      await call(base, 'GET', '/api/v1/prompts', {
        key,
        headers: { 'User-Agent': 'curl/8.5.0', 'X-Forwarded-For': 'garbage, 1.128.0.1' },
      });
      await call(base, 'GET', '/api/v1/search?q=x', {
        key,
        headers: { 'User-Agent': 'python-requests/2.31.0', 'X-Forwarded-For': '10.0.0.7, 192.168.1.1' },
      });
      await call(base, 'GET', '/api/v1/auth/me', { key, headers: { 'User-Agent': 'x'.repeat(10_000) } });
      await call(base, 'GET', '/api/v1/auth/me', { key, headers: { 'X-Forwarded-For': '2a00:1450:4009:81a::200e' } });
      await call(base, 'GET', '/api/v1/auth/me', { key: `${created.key_prefix}${'0'.repeat(56)}` });

      const usage = await waitFor(
        () => usageOf(user, created.api_key.id),
        (r) => r.body.request_count === 5,
      );
      expect(usage.status).toBe(200);
      expect(usage.body).toMatchObject({
        key_id: created.api_key.id,
        range: '24h',
        request_count: 5,
        by_tool_type: { cli: 1, api: 4 },
        by_action: { 'prompts.list': 2, 'search.query': 1, 'auth.me': 2 },
        by_status: { '200': 5 },
      });
      const series = usage.body.series as { start: string; count: number }[];
      expect(series).toHaveLength(24);
      expect(series.reduce((sum, s) => sum + s.count, 0)).toBe(5);
      expect(series[23].count).toBe(5);
      const countries = (usage.body.locations as { country: string; count: number }[]).map((l) => l.country).sort();
      expect(countries).toEqual(expect.arrayContaining(['GB', 'local']));
      // "garbage, 1.128.0.1": the right-most entry is the client (AU); garbage further left is never reached.
      expect(countries).toContain('AU');
      const ips = (usage.body.ips as { ip: string }[]).map((i) => i.ip);
      expect(ips).toEqual(
        expect.arrayContaining(['81.2.69.160', '1.128.0.1', '192.168.1.1', '127.0.0.1', '2a00:1450:4009:81a::200e']),
      );
      const view = await user.request('GET', `/api/v1/settings/api-keys/${created.api_key.id}`);
      expect(view.body).toMatchObject({
        request_count: 5,
        last_used_ip: '2a00:1450:4009:81a::200e',
        last_tool_type: 'api',
      });
      expect(view.body.last_used_at).toEqual(usage.body.last_used_at);

      for (const range of ['7d', '30d', '90d']) {
        const longer = await usageOf(user, created.api_key.id, range);
        const days = { '7d': 7, '30d': 30, '90d': 90 }[range];
        expect([range, (longer.body.series as unknown[]).length, longer.body.request_count]).toEqual([range, days, 5]);
      }
      const bad = await usageOf(user, created.api_key.id, '1y');
      expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const stranger = await DashboardUser.signup(base);
      expect((await usageOf(stranger, created.api_key.id)).status).toBe(404);
    });

    it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
      // This platform's gateway trusts 127.0.0.1; a gateway without TRUSTED_PROXIES is the untrusted case.
      const port = await freePort();
      const plain = spawnService('gateway', { ...platform.envFor('gateway'), PORT: String(port) });
      try {
        await waitForHttp(`http://127.0.0.1:${port}/readyz`);
        const user = await DashboardUser.signup(base);
        const created = await user.createKey();
        await call(`http://127.0.0.1:${port}`, 'GET', '/api/v1/auth/me', {
          key: created.full_key,
          headers: { 'X-Forwarded-For': '81.2.69.160' },
        });
        const view = await waitFor(
          () => user.request('GET', `/api/v1/settings/api-keys/${created.api_key.id}`),
          (r) => r.body.request_count === 1,
        );
        expect(view.body).toMatchObject({
          last_used_ip: '127.0.0.1',
          last_used_location: { country: 'local', city: null },
        });
      } finally {
        await stopProcess(plain);
      }
    });

    it('loses no request from the counts, across a key-service restart under load', async () => {
      const user = await DashboardUser.signup(base);
      await setLimit(user.account.id, 100_000);
      const created = await user.createKey();
      const key = created.full_key;
      const total = 1_500;
      let sent = 0;
      let ok = 0;
      const worker = async () => {
        while (sent < total) {
          sent += 1;
          const response = await call(base, 'GET', '/api/v1/auth/me', { key });
          if (response.status === 200) ok += 1;
        }
      };
      const load = Promise.all(Array.from({ length: 10 }, worker));
      await new Promise((resolve) => setTimeout(resolve, 500));
      await platform.restart('key-service');
      await load;
      expect(ok).toBe(total);
      const view = await waitFor(
        () => user.request<{ request_count: number }>('GET', `/api/v1/settings/api-keys/${created.api_key.id}`),
        (r) => r.body.request_count >= total,
        30_000,
      );
      expect(view.body.request_count).toBe(total);
      const client = new Client({ connectionString: platform.databases.get('key-service')!.url });
      await client.connect();
      try {
        const { rows } = await client.query(
          `SELECT coalesce(sum(count), 0)::int AS n FROM key_usage_hourly WHERE key_id = $1`,
          [created.api_key.id],
        );
        expect(rows[0].n).toBe(total);
      } finally {
        await client.end();
      }
    }, 120_000);
  });
});
