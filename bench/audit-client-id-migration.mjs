// The upgrade cost of migration 1764310000000 (audit_log.client_id) on a million rows (990,000 key.used and
// 10,000 content events, half of them made through an app): `npm run build && node bench/audit-client-id-migration.mjs`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
const repo = new URL('..', import.meta.url).pathname;
const require = createRequire(`${repo}package.json`);
const { startPostgres } = await import(`${repo}scripts/lib/servers.mjs`);
const pg = require('pg');
const { markdownTable } = await import(`${repo}bench/lib/table.mjs`);
const root = `${repo}dist/apps/audit-service/src/migrations/`;
const migrations = [
  '1764140100000-create-audit-log',
  '1764190000000-create-alerts',
  '1764200000000-create-webhook-deliveries',
  '1764210000000-detector-state-rows',
  '1764230000000-detector-leadership',
  '1764240000000-detector-retired-keys-index',
  '1764250000000-audit-log-json-text',
  '1764260000000-audit-key-prefixes-by-key',
];
const dataDir = mkdtempSync(join(tmpdir(), 'vibexp-migration-'));
const postgres = await startPostgres({ dataDir: join(dataDir, 'pg') });
const client = new pg.Client({ connectionString: postgres.urlFor('postgres') });
await client.connect();
const queryRunner = { query: (sql, params) => client.query(sql, params).then((r) => r.rows) };
const load = async (name) => Object.values(require(root + name + '.js'))[0];
for (const name of migrations) await new (await load(name))().up(queryRunner);
for (const [from, to] of [
  ['2026-09-01', '2026-10-01'],
  ['2026-10-01', '2026-11-01'],
  ['2026-11-01', '2026-12-01'],
])
  await client.query(
    `CREATE TABLE audit_log_${from.slice(0, 7).replace('-', '_')} PARTITION OF audit_log FOR VALUES FROM ('${from}') TO ('${to}')`,
  );
const account = '0190a7b8-0000-7000-8000-000000000001';
let t = Date.now();
await client.query(`INSERT INTO audit_log (event_id, occurred_at, event_type, stream, stream_version, account_id, key_id, key_prefix, request_id, outcome, action, ip, location, tool_type, data, meta, source_stream)
  SELECT gen_random_uuid(), timestamptz '2026-09-01' + (i * interval '7 seconds'), 'key.used', 'usage', 0, '${account}', '0190a7b8-0000-7000-8000-000000000002', 'vxk_1a2b3c4d', 'req-' || i, 'success', 'prompts.list', '81.2.69.160',
    '{"country":"GB","city":"London"}', 'cli',
    json_build_object('key_id','0190a7b8-0000-7000-8000-000000000002','key_prefix','vxk_1a2b3c4d','status',200,'action','prompts.list','route','/api/v1/prompts','latency_ms',3,'ip','81.2.69.160','location',json_build_object('country','GB','city','London'),'tool_type','cli','client','vibexp-cli/1.0'),
    json_build_object('request_id','req-' || i,'account_id','${account}','key_id','0190a7b8-0000-7000-8000-000000000002'),
    'AUTH'
  FROM generate_series(1, 990000) i`);
await client.query(`INSERT INTO audit_log (event_id, occurred_at, event_type, stream, stream_version, account_id, request_id, outcome, action, data, meta, source_stream)
  SELECT gen_random_uuid(), timestamptz '2026-09-01' + (i * interval '700 seconds'), 'memory.created', 'memory-' || i, 1, '${account}', 'req-c' || i, 'success', 'memory.created',
    json_build_object('text', repeat('x', 500)),
    CASE WHEN i % 2 = 0 THEN json_build_object('request_id','req-c' || i,'account_id','${account}','client_id','0190a7b8-0000-7000-8000-0000000000aa')
         ELSE json_build_object('request_id','req-c' || i,'account_id','${account}') END,
    'CONTENT'
  FROM generate_series(1, 10000) i`);
console.log(`seeded 1,000,000 rows in ${((Date.now() - t) / 1000).toFixed(1)} s`);
await client.query('VACUUM ANALYZE audit_log');
const Migration = await load('1764310000000-audit-log-client-id');
t = Date.now();
await client.query('BEGIN');
await new Migration().up(queryRunner);
await client.query('COMMIT');
const seconds = ((Date.now() - t) / 1000).toFixed(1);
const [{ named }] = (await client.query(`SELECT count(*)::int AS named FROM audit_log WHERE client_id IS NOT NULL`))
  .rows;
if (named !== 5000) throw new Error(`the migration named the app on ${named} rows, not 5,000`);
console.log(
  markdownTable(
    [
      { title: 'migration' },
      { title: 'rows', align: 'right' },
      { title: 'rows naming an app', align: 'right' },
      { title: 'seconds', align: 'right' },
    ],
    [['1764310000000 (audit_log.client_id)', '1,000,000', named.toLocaleString('en-US'), seconds]],
  ),
);
await client.end();
await postgres.stop();
rmSync(dataDir, { recursive: true, force: true });
