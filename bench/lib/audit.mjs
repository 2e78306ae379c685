// Audit-service benchmarks: ingest rate, detector throughput (replay), alert latency, audit-log query
// latency over a large table. They need the platform the runner started (its NATS and database).
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { createKey, revokeKey, signup } from './accounts.mjs';

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

function usedEvent(i, accountId, keyId, at) {
  return {
    id: randomUUID(),
    type: 'key.used',
    stream: `usage-${keyId}`,
    version: 0,
    occurred_at: new Date(at).toISOString(),
    data: {
      key_id: keyId,
      key_prefix: 'vxk_bench000',
      status: 200,
      action: 'prompts.list',
      tool_type: 'cli',
      ip: `203.0.113.${i % 200}`,
      location: { country: 'GB', city: null },
    },
    meta: { request_id: `bench-${i}`, account_id: accountId, key_id: keyId },
  };
}

/** Publishes `count` key.used events straight to JetStream and times until audit_log holds them all. */
export async function measureIngest({ natsUrl, auditDb, count = 100_000 }) {
  const accountId = randomUUID();
  const keyId = randomUUID();
  const nc = await connect({ servers: natsUrl });
  const db = new pg.Client({ connectionString: auditDb });
  await db.connect();
  try {
    const started = performance.now();
    const base = Date.now();
    for (let i = 0; i < count; i += 1) {
      nc.publish('auth.events.key.used', JSON.stringify(usedEvent(i, accountId, keyId, base + i)));
      if (i % 5_000 === 4_999) await nc.flush();
    }
    await nc.flush();
    const published = performance.now();
    for (;;) {
      const { rows } = await db.query('SELECT count(*)::int AS n FROM audit_log WHERE account_id = $1', [accountId]);
      if (rows[0].n >= count) break;
      if (performance.now() - started > 300_000) throw new Error(`only ${rows[0].n} of ${count} stored after 300 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    return { events: count, seconds, perSecond: count / seconds, publishSeconds: (published - started) / 1000 };
  } finally {
    await db.end();
    await nc.close();
  }
}

/** Runs the replay command over `count` synthetic events (a realistic mix) and reads its own timing. */
export function measureDetector({ root, count = 500_000 }) {
  const dir = mkdtempSync(join(root, 'bench', 'results', '.replay-'));
  try {
    const file = join(dir, 'events.ndjson');
    const lines = [];
    const base = Date.UTC(2026, 0, 5);
    const accounts = Array.from({ length: 50 }, () => ({ account: randomUUID(), keys: [randomUUID(), randomUUID()] }));
    for (let i = 0; i < count; i += 1) {
      const owner = accounts[i % accounts.length];
      const at = base + i * 500;
      if (i % 50 === 0) {
        lines.push(
          JSON.stringify({
            ...usedEvent(i, owner.account, owner.keys[0], at),
            type: 'auth.failed',
            data: { reason: 'unknown', key_prefix: 'vxk_deadbeef', ip: `198.51.100.${i % 20}`, status: 401 },
          }),
        );
      } else {
        lines.push(JSON.stringify(usedEvent(i, owner.account, owner.keys[i % 2], at)));
      }
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const run = spawnSync(process.execPath, [join(root, 'dist/apps/audit-service/src/replay.js'), file], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (run.status !== 0) throw new Error(`replay failed: ${run.stderr}`);
    // The replay prints its own timing (reading, parsing and detecting, without process start-up).
    const summary = /(\d+) events, \d+ malformed lines, (\d+) alerts, ([\d.]+) s, (\d+) events\/s/.exec(run.stderr);
    if (!summary) throw new Error(`unexpected replay summary: ${run.stderr}`);
    return {
      events: Number(summary[1]),
      alerts: Number(summary[2]),
      seconds: Number(summary[3]),
      perSecond: Number(summary[4]),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** From a revoked-key attempt to its alert being listed by the API, over `trials` attempts. */
export async function measureAlertLatency(url, trials = 30) {
  const session = await signup(url);
  const delays = [];
  for (let trial = 0; trial < trials; trial += 1) {
    const key = await createKey(session);
    await revokeKey(session, key.id);
    const started = performance.now();
    await (await fetch(`${url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${key.fullKey}` } })).arrayBuffer();
    for (;;) {
      const response = await fetch(`${url}/api/v1/security/alerts?rule=revoked_key_use&key_id=${key.id}`, {
        headers: { cookie: session.cookie },
      });
      const body = await response.json();
      if (body.alerts?.length) break;
      if (performance.now() - started > 30_000) throw new Error('no alert within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    delays.push(performance.now() - started);
  }
  delays.sort((a, b) => a - b);
  return { trials, p50: percentile(delays, 50), p99: percentile(delays, 99), max: delays[delays.length - 1] };
}

/**
 * Fills audit_log with `rows` events of one account (10 keys, 30 days) straight in SQL, then times
 * `GET /api/v1/audit-log?key_id=…&from=…&to=…` sequentially: p50/p95/p99.
 */
export async function measureAuditQuery({ url, auditDb, adminSession, rows = 1_000_000, requests = 200 }) {
  const session = adminSession ?? (await signup(url));
  const key = await createKey(session);
  const db = new pg.Client({ connectionString: auditDb });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO audit_log (event_id, occurred_at, event_type, stream, stream_version, account_id, key_id, key_prefix, request_id, outcome, action, ip, tool_type, data, meta, source_stream)
       SELECT gen_random_uuid(), now() - (g * interval '2.5 seconds'), 'key.used', 'usage-bench', 0, $1::uuid,
              CASE WHEN g % 10 = 0 THEN $2::uuid ELSE gen_random_uuid() END, 'vxk_bench000', 'bench', 'success', 'prompts.list', '203.0.113.9', 'cli',
              '{}'::json, json_build_object('request_id', 'bench', 'account_id', $1::text), 'AUTH'
         FROM generate_series(1, $3::int) AS g`,
      [session.accountId, key.id, rows],
    );
    await db.query('ANALYZE audit_log');
  } finally {
    await db.end();
  }
  const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const to = new Date().toISOString();
  const path = `/api/v1/audit-log?key_id=${key.id}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&limit=50`;
  const latencies = [];
  for (let i = 0; i < requests; i += 1) {
    const started = performance.now();
    const response = await fetch(`${url}${path}`, { headers: { cookie: session.cookie } });
    const body = await response.json();
    if (!response.ok || !Array.isArray(body.events)) throw new Error(`audit-log query answered ${response.status}`);
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  return {
    rows,
    requests,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

/** The connection URL of the platform's audit database (embedded PostgreSQL under DATA_DIR). */
export function auditDatabaseUrl(dataDir, pgPort) {
  const password = readFileSync(join(dataDir, 'postgres.password'), 'utf8').trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/audit`;
}
