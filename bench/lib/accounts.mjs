import { performance } from 'node:perf_hooks';
// A benchmark's own account and keys, made through the public API like a user would.
import { randomUUID } from 'node:crypto';

async function json(response, what) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${what}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** Signs up a fresh account; returns what a dashboard session needs. */
export async function signup(url) {
  const response = await fetch(`${url}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `bench-${randomUUID()}@example.com`,
      password: 'benchmark password',
      name: 'Benchmark',
    }),
  });
  const body = await json(response, 'signup');
  const cookie = response.headers
    .getSetCookie()
    .find((c) => c.startsWith('vx_session='))
    .split(';')[0];
  return { url, cookie, csrf: body.csrf_token, accountId: body.user.id };
}

/** Lifts the account's hourly limit (admin route) so that a load test measures the platform, not the 429s. */
export async function unlimit(url, adminToken, accountId) {
  const response = await fetch(`${url}/admin/v1/accounts/${accountId}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ tier: 'enterprise', rate_limit_per_hour: 100_000_000 }),
  });
  await json(response, 'raise the hourly limit (is BENCH_ADMIN_TOKEN set?)');
}

export async function createKey(session, integrations = ['ai_tools', 'cli']) {
  const response = await fetch(`${session.url}/api/v1/settings/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: session.cookie, 'x-csrf-token': session.csrf },
    body: JSON.stringify({ name: `bench ${randomUUID().slice(0, 8)}`, integrations }),
  });
  const body = await json(response, 'create key');
  return { id: body.api_key.id, fullKey: body.full_key };
}

export async function revokeKey(session, keyId) {
  const response = await fetch(`${session.url}/api/v1/settings/api-keys/${keyId}`, {
    method: 'DELETE',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
  });
  if (response.status !== 204) throw new Error(`revoke: ${response.status}`);
}

export async function createContent(url, headers, path, body) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return json(response, `POST ${path}`);
}

const WORDS = [
  'review',
  'release',
  'incident',
  'database',
  'migration',
  'frontend',
  'testing',
  'security',
  'refactor',
  'onboarding',
  'summary',
  'changelog',
  'latency',
  'caching',
  'logging',
  'metrics',
  'pipeline',
  'container',
  'schema',
  'payments',
];

/** `count` prompts of varied words; one in a hundred is a "deploy checklist". 16 requests at a time. */
export async function createPrompts(url, headers, count) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const words = Array.from({ length: 12 }, (_, j) => WORDS[(i * 7 + j * 13) % WORDS.length]).join(' ');
      await createContent(url, headers, '/api/v1/prompts', {
        name: `Prompt ${i}`,
        body: `${i % 100 === 0 ? 'deploy checklist: ' : ''}${words} {{target}}`,
        labels: [WORDS[i % WORDS.length]],
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/**
 * How long after a request its key's `request_count` shows it (usage is folded in the background):
 * one request, then the key is read every 50 ms until the count moves. Returns milliseconds per trial.
 */
export async function measureUsageDelay(session, trials = 30) {
  const key = await createKey(session);
  const count = async () => {
    const response = await fetch(`${session.url}/api/v1/settings/api-keys/${key.id}`, {
      headers: { cookie: session.cookie },
    });
    return (await json(response, 'read key')).request_count;
  };
  const delays = [];
  for (let trial = 0; trial < trials; trial += 1) {
    const before = await count();
    const sentAt = performance.now();
    await (
      await fetch(`${session.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${key.fullKey}` } })
    ).arrayBuffer();
    while ((await count()) === before) {
      if (performance.now() - sentAt > 30_000) throw new Error('request_count did not move within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    delays.push(performance.now() - sentAt);
  }
  return delays;
}
