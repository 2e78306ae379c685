#!/usr/bin/env node
// `npm run bench`: HTTP benchmarks against the platform, printed as a markdown table.
// Targets BENCH_URL when set (a running platform, loopback only); otherwise starts a throw-away
// platform (bench/lib/platform.mjs) and stops it afterwards. See bench/README.md.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createContent, createKey, createPrompts, measureUsageDelay, signup, unlimit } from './lib/accounts.mjs';
import { launchPlatform, startExtraGateway } from './lib/platform.mjs';
import { openLoop } from './lib/open-loop.mjs';
import { measureRevocation } from './lib/revocation.mjs';
import { auditTable, delayTable, fixedRateTable, headerLine, resultsTable, revocationTable } from './lib/table.mjs';
import {
  auditDatabaseUrl,
  measureAlertLatency,
  measureAuditQuery,
  measureDetector,
  measureIngest,
} from './lib/audit.mjs';

/**
 * What to measure, in order. The first entry is the baseline: every row's ratio is its req/s divided by
 * the first entry's req/s in the same run. Each entry:
 *   name     label in the table
 *   method   HTTP method
 *   path     path (and query) on the target
 *   headers  optional request headers
 *   body     optional request body: a string, or an object sent as JSON
 *   setup    optional async ({ url, adminToken }) => overrides: runs once before the entry's warm-up
 *            (e.g. create an API key or a content item) and returns fields to merge into the entry
 *            ({ path, headers, body, ... }). `adminToken` is the platform's ADMIN_TOKEN: random when the
 *            runner started the platform, BENCH_ADMIN_TOKEN when it targets BENCH_URL.
 *   fixedRate  also measure its latency at a fixed request rate (GET only; see bench/lib/open-loop.mjs),
 *            compared with the baseline's at the same rate
 */
/** A fresh account without an effective hourly limit (load tests would otherwise measure 429s). */
async function loadAccount(url, adminToken) {
  const session = await signup(url);
  await unlimit(url, adminToken, session.accountId);
  return session;
}

/** One account and key for the content benchmarks, made once per run. */
let contentKey;
async function contentAccount(url, adminToken) {
  contentKey ??= loadAccount(url, adminToken).then((session) => createKey(session, ['ai_tools', 'cli']));
  const key = await contentKey;
  return { key, headers: { authorization: `Bearer ${key.fullKey}` } };
}

const PROMPT_COUNT = 10_000;

const benchmarks = [
  { name: '/healthz', method: 'GET', path: '/healthz', fixedRate: true },
  {
    // Authentication overhead with usage events and rate limiting on: the same gateway, a valid API key,
    // answered from the verification cache.
    name: '/api/v1/auth/me (API key)',
    method: 'GET',
    path: '/api/v1/auth/me',
    fixedRate: true,
    setup: async ({ url, adminToken }) => {
      const key = await createKey(await loadAccount(url, adminToken));
      return { headers: { authorization: `Bearer ${key.fullKey}` } };
    },
  },
  {
    // Answered from the gateway's content cache after the first read (ContentReads).
    name: 'GET /api/v1/memories/{id}',
    method: 'GET',
    path: '/api/v1/memories/{id}',
    setup: async ({ url, adminToken }) => {
      const { headers } = await contentAccount(url, adminToken);
      const memory = await createContent(url, headers, '/api/v1/memories', {
        text: 'Benchmarks run on loopback only.',
        labels: ['bench'],
      });
      return { path: `/api/v1/memories/${memory.id}`, headers };
    },
  },
  {
    // The same kind of read through content-service every time: reads by slug are never cached.
    name: 'GET /api/v1/prompts/{slug} (uncached)',
    method: 'GET',
    path: '/api/v1/prompts/{slug}',
    setup: async ({ url, adminToken }) => {
      const { headers } = await contentAccount(url, adminToken);
      const prompt = await createContent(url, headers, '/api/v1/prompts', {
        name: 'Benchmark read by slug',
        body: 'Benchmarks run on loopback only.',
      });
      return { path: `/api/v1/prompts/${prompt.slug}`, headers };
    },
  },
  {
    name: `GET /api/v1/prompts?search=… (${PROMPT_COUNT.toLocaleString('en-US')} prompts)`,
    method: 'GET',
    path: '/api/v1/prompts?search=deploy%20checklist',
    setup: async ({ url, adminToken }) => {
      const { headers } = await contentAccount(url, adminToken);
      say(`creating ${PROMPT_COUNT} prompts...`);
      await createPrompts(url, headers, PROMPT_COUNT);
      return { headers };
    },
  },
  {
    name: 'POST /api/v1/memories',
    method: 'POST',
    path: '/api/v1/memories',
    body: { text: 'A memory written by the benchmark', labels: ['bench'], metadata: { source: 'bench' } },
    setup: async ({ url, adminToken }) => ({ headers: (await contentAccount(url, adminToken)).headers }),
  },
  {
    // What every `vibexp memory create` sends: the same write with a fresh Idempotency-Key per request.
    name: 'POST /api/v1/memories (Idempotency-Key)',
    method: 'POST',
    path: '/api/v1/memories',
    body: { text: 'A memory written by the benchmark', labels: ['bench'], metadata: { source: 'bench' } },
    perRequestHeaders: () => ({ 'idempotency-key': randomUUID() }),
    setup: async ({ url, adminToken }) => ({ headers: (await contentAccount(url, adminToken)).headers }),
  },
];

const root = resolve(import.meta.dirname, '..');
const say = (message) => process.stderr.write(`[bench] ${message}\n`);

const USAGE = `Usage: node bench/run.mjs [--connections N] [--duration S] [--warmup S] [--url URL]

  -c, --connections N  concurrent connections per benchmark (env BENCH_CONNECTIONS, default 50)
  -d, --duration S     measured seconds per benchmark      (env BENCH_DURATION, default 10)
  -w, --warmup S       unmeasured seconds before each one  (env BENCH_WARMUP, default 2)
  -u, --url URL        a running platform on this machine   (env BENCH_URL; default: start one)
  -t, --trials N       revocation propagation trials        (env BENCH_TRIALS, default 200)
  -r, --rate N         req/s of the fixed-rate latency runs  (env BENCH_RATE, default 3000; 0: none)
      --skip-audit     skip the audit-service benchmarks    (env BENCH_SKIP_AUDIT=1)
      --only REGEX     run only the HTTP benchmarks whose name matches (the /healthz baseline always
                       runs); skips usage visibility, revocation and audit (env BENCH_ONLY)
      --audit-only     run only the audit-service benchmarks, on a platform nothing else loaded
                       (env BENCH_AUDIT_ONLY=1)
`;

function options() {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', short: 'c' },
      duration: { type: 'string', short: 'd' },
      warmup: { type: 'string', short: 'w' },
      url: { type: 'string', short: 'u' },
      trials: { type: 'string', short: 't' },
      rate: { type: 'string', short: 'r' },
      'skip-audit': { type: 'boolean' },
      only: { type: 'string' },
      'audit-only': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const env = process.env;
  const number = (name, raw, fallback, { min, integer }) => {
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
      throw new Error(`${name}=${JSON.stringify(raw)}: must be ${integer ? 'an integer' : 'a number'} >= ${min}`);
    }
    return value;
  };
  const chosen = {
    connections: number('connections', values.connections ?? env.BENCH_CONNECTIONS, 50, { min: 1, integer: true }),
    duration: number('duration', values.duration ?? env.BENCH_DURATION, 10, { min: 1, integer: true }),
    warmup: number('warmup', values.warmup ?? env.BENCH_WARMUP, 2, { min: 0, integer: true }),
    url: values.url ?? (env.BENCH_URL || undefined),
    trials: number('trials', values.trials ?? env.BENCH_TRIALS, 200, { min: 1, integer: true }),
    rate: number('rate', values.rate ?? env.BENCH_RATE, 3000, { min: 0, integer: true }),
    skipAudit: values['skip-audit'] === true || env.BENCH_SKIP_AUDIT === '1',
    only: values.only ?? (env.BENCH_ONLY || undefined),
    auditOnly: values['audit-only'] === true || env.BENCH_AUDIT_ONLY === '1',
  };
  if (chosen.auditOnly && (chosen.skipAudit || chosen.only !== undefined || chosen.url !== undefined)) {
    // The audit benchmarks need a platform the runner started (they read its database directly).
    throw new Error('--audit-only goes with neither --skip-audit, --only nor --url');
  }
  return chosen;
}

/** Load is only ever sent to this machine. */
function loopbackUrl(raw) {
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (
    !['http:', 'https:'].includes(url.protocol) ||
    !(host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host))
  ) {
    throw new Error(`BENCH_URL=${raw}: only http(s) URLs on loopback (localhost, 127.x.x.x, ::1) are benchmarked`);
  }
  return url.origin;
}

let running; // the autocannon run in progress, stopped on Ctrl-C
let interrupted = false;

function load(definition, url, seconds, connections) {
  const { method, path, headers = {}, body, perRequestHeaders } = definition;
  const json = body !== undefined && typeof body !== 'string';
  const tracker = autocannon({
    url: new URL(path, url).toString(),
    method,
    headers: json ? { 'content-type': 'application/json', ...headers } : headers,
    body: json ? JSON.stringify(body) : body,
    connections,
    duration: seconds,
    // Headers that must differ on every request (an Idempotency-Key), added as each one is sent.
    ...(perRequestHeaders
      ? {
          requests: [
            { setupRequest: (request) => ({ ...request, headers: { ...request.headers, ...perRequestHeaders() } }) },
          ],
        }
      : {}),
  });
  running = tracker;
  return Promise.resolve(tracker).finally(() => {
    running = undefined;
  });
}

/** Share of CPU time busy on this machine over `ms`. */
async function busyShare(ms) {
  const total = () =>
    cpus().reduce(
      (sum, { times }) => {
        sum.all += times.user + times.nice + times.sys + times.irq + times.idle;
        sum.idle += times.idle;
        return sum;
      },
      { all: 0, idle: 0 },
    );
  const before = total();
  await sleep(ms);
  const after = total();
  return 1 - (after.idle - before.idle) / Math.max(1, after.all - before.all);
}

/**
 * Waits (at most 60 s) until the machine is quiet: a saturated run leaves the consumers of its key.used
 * events a backlog, which would otherwise compete with the next measurement.
 */
async function untilQuiet() {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && (await busyShare(1000)) > 0.15);
}

/** The requests the benchmarks sent (after their setup), by name: the fixed-rate runs send them again. */
const sentRequests = new Map();

async function measure(definition, context, { connections, duration, warmup }) {
  const overrides = definition.setup ? await definition.setup(context) : undefined;
  const request = { ...definition, ...overrides };
  sentRequests.set(definition.name, request);
  if (warmup > 0) await load(request, context.url, warmup, connections);
  const result = await load(request, context.url, duration, connections);
  return {
    name: definition.name,
    method: request.method,
    path: request.path,
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors,
    non2xx: result.non2xx,
    socketErrors: result.errors,
    timeouts: result.timeouts,
    autocannon: result,
  };
}

async function main() {
  const opts = options();
  let platform;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, async () => {
      if (interrupted) return say(`${signal}: already stopping`);
      interrupted = true;
      say(`${signal}: stopping`);
      running?.stop();
      await platform?.stop();
      process.exit(130);
    });
  }

  try {
    let context;
    if (opts.url) {
      context = { url: loopbackUrl(opts.url), adminToken: process.env.BENCH_ADMIN_TOKEN };
      const response = await fetch(new URL('/healthz', context.url)).catch((error) => {
        throw new Error(`BENCH_URL=${context.url} does not answer: ${error.cause?.message ?? error.message}`);
      });
      if (!response.ok) throw new Error(`BENCH_URL=${context.url}: GET /healthz answered ${response.status}`);
    } else {
      say('starting the platform (node scripts/start.mjs; builds first, may take a minute)...');
      platform = launchPlatform({ root, log: (line) => say(line) });
      const { url, adminToken } = await platform.ready;
      context = { url, adminToken };
      say(`platform ready at ${context.url}`);
    }

    const cpuList = cpus();
    const machine = {
      cpus: availableParallelism(),
      cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      date: new Date().toISOString(),
    };
    const target = `${context.url}${platform ? ' (started by the runner)' : ''}`;

    const only = opts.only === undefined ? undefined : new RegExp(opts.only);
    const selected = opts.auditOnly
      ? []
      : benchmarks.filter((definition, index) => index === 0 || !only || only.test(definition.name));
    const results = [];
    for (const definition of selected) {
      if (interrupted) return;
      say(`${definition.name}: ${opts.warmup} s warm-up, ${opts.duration} s measured, ${opts.connections} connections`);
      try {
        results.push(await measure(definition, context, opts));
      } catch (error) {
        results.push({
          name: definition.name,
          method: definition.method,
          path: definition.path,
          failure: error.message,
        });
      }
    }
    if (interrupted) return;
    const baseline = results[0];
    for (const result of results) {
      if (!result.failure && !baseline?.failure && baseline.reqPerSec > 0) {
        result.ratio = result.reqPerSec / baseline.reqPerSec;
        result.addedP99 = result.p99 - baseline.p99;
      }
    }

    // Latency at a fixed rate, below saturation: what a request adds, without the queue of a saturated run.
    const fixedRate = [];
    if (opts.rate > 0 && !interrupted && !baseline?.failure) {
      for (const result of results.filter((r) => !r.failure && sentRequests.get(r.name)?.fixedRate)) {
        if (interrupted) return;
        const request = sentRequests.get(result.name);
        const run = (seconds) =>
          openLoop({
            url: new URL(request.path, context.url).toString(),
            headers: request.headers,
            rate: opts.rate,
            seconds,
          });
        say(`${result.name}: ${opts.warmup} s warm-up, ${opts.duration} s at a fixed ${opts.rate} req/s`);
        await untilQuiet();
        try {
          if (opts.warmup > 0) await run(opts.warmup);
          fixedRate.push({ name: result.name, ...(await run(opts.duration)) });
        } catch (error) {
          fixedRate.push({ name: result.name, failure: `at a fixed rate: ${error.message}` });
        }
      }
      const [fixedBaseline] = fixedRate;
      for (const row of fixedRate) {
        if (!row.failure && !fixedBaseline.failure) row.addedP99 = row.p99 - fixedBaseline.p99;
      }
    }

    // Usage visibility: from a request to its key's request_count showing it.
    let usageDelay;
    if (!interrupted && !only && !opts.auditOnly && context.adminToken) {
      say('usage visibility: 30 trials');
      const delays = (await measureUsageDelay(await signup(context.url), 30)).sort((a, b) => a - b);
      const at = (p) => delays[Math.min(delays.length - 1, Math.ceil((p / 100) * delays.length) - 1)];
      usageDelay = { trials: delays.length, p50: at(50), p99: at(99), max: delays[delays.length - 1] };
    }

    // Revocation propagation needs a second gateway on the platform's NATS: only on a platform we started.
    let revocation;
    if (platform && !interrupted && !only && !opts.auditOnly) {
      const { natsUrl } = await platform.ready;
      say(`revocation propagation: ${opts.trials} trials across two gateway instances`);
      const second = await startExtraGateway({ root, natsUrl });
      try {
        revocation = await measureRevocation(context.url, second.url, opts.trials);
      } finally {
        await second.stop();
      }
    }

    // Audit service: ingest, detector, alert latency, audit-log query over a large table.
    let audit;
    if (platform && !interrupted && !only && !opts.skipAudit) {
      const { natsUrl, dataDir, pgPort } = await platform.ready;
      const auditDb = auditDatabaseUrl(dataDir, pgPort);
      say('audit: ingest of 100,000 events');
      const ingest = await measureIngest({ natsUrl, auditDb, count: 100_000 });
      say('audit: detector replay of 500,000 events');
      const detector = measureDetector({ root, count: 500_000 });
      say('audit: alert latency, 30 trials');
      const alertLatency = await measureAlertLatency(context.url, 30);
      say('audit: query over 1,000,000 events');
      const query = await measureAuditQuery({ url: context.url, auditDb, rows: 1_000_000, requests: 200 });
      audit = { ingest, detector, alertLatency, query };
    }

    const report = {
      machine,
      options: { connections: opts.connections, duration: opts.duration, warmup: opts.warmup, rate: opts.rate },
      target,
      results,
      fixedRate,
      revocation,
      usageDelay,
      audit,
    };
    process.stdout.write(`${headerLine(report)}\n`);
    if (results.length > 0) process.stdout.write(`\n${resultsTable(results)}\n`);
    if (fixedRate.length > 0) {
      process.stdout.write(
        `\nLatency at a fixed ${opts.rate.toLocaleString('en-US')} req/s (open loop, ${opts.duration} s each):\n\n${fixedRateTable(fixedRate)}\n`,
      );
    }
    if (usageDelay) {
      process.stdout.write(
        `\nUsage visibility (a request → its key's request_count shows it):\n\n${delayTable(usageDelay)}\n`,
      );
    }
    if (revocation)
      process.stdout.write(
        `\nRevocation propagation (DELETE answered on gateway A → first 401 on gateway B):\n\n${revocationTable(revocation)}\n`,
      );
    if (audit) process.stdout.write(`\nAudit service:\n\n${auditTable(audit)}\n`);
    for (const failed of [...results, ...fixedRate].filter((result) => result.failure)) {
      process.stdout.write(`\n${failed.name} failed: ${failed.failure}\n`);
    }

    const file = join(root, 'bench', 'results', 'latest.json');
    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    say(`raw results: ${file}`);
    if ([...results, ...fixedRate].some((result) => result.failure)) process.exitCode = 1;
  } finally {
    if (platform && !interrupted) {
      say('stopping the platform...');
      await platform.stop();
    }
  }
}

main().catch((error) => {
  if (interrupted) return; // the signal handler reports and exits
  say(`error: ${error.message}`);
  process.exitCode = 1;
});
