// What a long history costs: an artifact of 1 MiB updated N times (default 300), timing its updates at the start
// and at the end, a versions page of the newest, and a restore of version 1. With snapshots every 25 versions the
// late figures stay near the early ones; without them they grow with the history.
//   node bench/long-history.mjs [N]            starts its own platform (as npm run bench does)
//   BENCH_URL=… BENCH_ADMIN_TOKEN=… node bench/long-history.mjs [N]
import { performance } from 'node:perf_hooks';
import { launchPlatform } from './lib/platform.mjs';
import { createKey, signup, unlimit } from './lib/accounts.mjs';
import { markdownTable } from './lib/table.mjs';

const versions = Number(process.argv[2] ?? 300);
const root = new URL('..', import.meta.url).pathname;
const platform = process.env.BENCH_URL
  ? {
      ready: Promise.resolve({ url: process.env.BENCH_URL, adminToken: process.env.BENCH_ADMIN_TOKEN }),
      stop: async () => {},
    }
  : launchPlatform({ root, log: (line) => console.error(`[bench] ${line}`) });
try {
  const { url, adminToken } = await platform.ready;
  const session = await signup(url);
  await unlimit(url, adminToken, session.accountId);
  const key = await createKey(session, ['cli']);
  const headers = { authorization: `Bearer ${key.fullKey}`, 'content-type': 'application/json' };
  const content = (n) => `version ${n} `.padEnd(1_048_576 - 64, 'x');
  const timed = async (method, path, body) => {
    const started = performance.now();
    const response = await fetch(`${url}/api/v1${path}`, { method, headers, body: body && JSON.stringify(body) });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
    return performance.now() - started;
  };
  const created = await fetch(`${url}/api/v1/artifacts`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ project: 'bench', title: 'Long history', content: content(1) }),
  });
  if (created.status !== 201) throw new Error(`create: ${created.status}`);
  const path = '/artifacts/bench/long-history';
  const updates = [];
  for (let n = 2; n <= versions; n += 1) updates.push(await timed('PUT', path, { content: content(n) }));
  const mean = (list) => (list.reduce((sum, ms) => sum + ms, 0) / list.length).toFixed(0);
  const rows = [
    ['update (versions 2–11)', mean(updates.slice(0, 10))],
    [`update (versions ${versions - 9}–${versions})`, mean(updates.slice(-10))],
    ['versions page (newest 2)', (await timed('GET', `${path}/versions?sort_order=desc&limit=2`)).toFixed(0)],
    ['versions page (oldest 2)', (await timed('GET', `${path}/versions?limit=2`)).toFixed(0)],
    ['restore version 1', (await timed('POST', `${path}/versions/1/restore`)).toFixed(0)],
  ];
  console.log(`An artifact of 1 MiB with ${versions} versions (mean ms of each request, one client):\n`);
  console.log(markdownTable([{ title: 'request' }, { title: 'ms', align: 'right' }], rows));
} finally {
  await platform.stop();
}
