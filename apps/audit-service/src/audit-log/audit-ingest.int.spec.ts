import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { EventEnvelope } from '#contracts';
import { createMigratedDataSource } from '../../../../test/support/test-database';
import { eventAt } from '../../../../test/support/events';
import { AuditServiceMigrations } from '../migrations';
import { AuditLogJsonText1764250000000 } from '../migrations/1764250000000-audit-log-json-text';
import { AuditLogClientId1764310000000 } from '../migrations/1764310000000-audit-log-client-id';
import { storeAuditEvents } from './audit-ingest';

const START = Date.UTC(2026, 10, 2, 9, 0);

describe('storeAuditEvents (PostgreSQL)', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ dataSource, close } = await createMigratedDataSource('audit_ingest', AuditServiceMigrations));
  });
  afterAll(() => close());

  const store = (events: EventEnvelope[]) =>
    dataSource.transaction((manager) => storeAuditEvents(events, 'AUTH', manager));
  const rowsOf = (accountId: string) =>
    dataSource.query(
      `SELECT event_id, account_id, key_prefix, request_id, action, data, meta FROM audit_log WHERE account_id = $1 ORDER BY occurred_at`,
      [accountId],
    ) as Promise<{ event_id: string; request_id: string; action: string; data: Record<string, unknown> }[]>;

  function used(accountId: string, at: number, data: object = {}): EventEnvelope {
    return eventAt('key.used', `usage-${accountId}`, at, { status: 200, action: 'auth.me', ...data }, accountId);
  }

  it('stores every event of a batch once, with the fields the filters use', async () => {
    const account = randomUUID();
    const events = Array.from({ length: 300 }, (_, i) => used(account, START + i * 1000, { ip: '192.0.2.1' }));
    await store(events);
    const rows = await rowsOf(account);
    expect(rows.map((row) => row.event_id)).toEqual(events.map((event) => event.id));
    expect(rows[0]).toMatchObject({ action: 'auth.me', data: { ip: '192.0.2.1', status: 200 } });
  });

  it('keeps text exactly, whatever characters COPY uses as separators', async () => {
    const account = randomUUID();
    const awkward = 'tab\there, newline\nthere, return\r, backslash \\ and \\N, quote " and ünïcode ✓';
    const event = used(account, START, { route: awkward, nested: { list: [awkward, null] } });
    event.meta.request_id = `req\t${awkward}`;
    await store([event]);
    const [row] = await rowsOf(account);
    expect(row.request_id).toBe(`req\t${awkward}`);
    expect(row.data).toMatchObject({ route: awkward, nested: { list: [awkward, null] } });
  });

  it('stores any JSON value in the JSON columns, a bare string included', async () => {
    const account = randomUUID();
    const event = used(account, START, { location: 'GB' });
    event.data.location = 'GB';
    await store([event, used(account, START + 1, { location: { country: 'FR', city: null } })]);
    const rows = (await dataSource.query(`SELECT location FROM audit_log WHERE account_id = $1 ORDER BY occurred_at`, [
      account,
    ])) as { location: unknown }[];
    expect(rows.map((row) => row.location)).toEqual(['GB', { country: 'FR', city: null }]);
  });

  it('stores a redelivered batch without duplicates, and keeps its new events', async () => {
    const account = randomUUID();
    const first = [used(account, START), used(account, START + 1)];
    await store(first);
    const again = [...first, used(account, START + 2)];
    await store(again);
    // The same event twice within one batch, too.
    await store([again[2], again[2], used(account, START + 3)]);
    const rows = await rowsOf(account);
    expect(rows).toHaveLength(4);
    expect(new Set(rows.map((row) => row.event_id)).size).toBe(4);
  });

  it('ties a failure that shows only a prefix to the one account with a key of that prefix', async () => {
    const owner = randomUUID();
    const keyId = randomUUID();
    const prefix = `vxk_${randomUUID().slice(0, 8)}`;
    const shared = `vxk_${randomUUID().slice(0, 8)}`;
    const other = randomUUID();
    const failure = (keyPrefix: string) =>
      eventAt('auth.failed', 'auth-unattributed', START + 5, { reason: 'unknown', key_prefix: keyPrefix }, null);
    const born = (accountId: string, keyPrefix: string) => ({
      ...eventAt('key.created', `key-${randomUUID()}`, START, { key_prefix: keyPrefix }, accountId),
      meta: { request_id: randomUUID(), account_id: accountId, key_id: randomUUID() },
    });
    // The key's birth and the failure in one batch; a prefix two accounts have stays unattributed.
    const ownKey = { ...born(owner, prefix), meta: { request_id: randomUUID(), account_id: owner, key_id: keyId } };
    await store([ownKey, born(owner, shared), born(other, shared), failure(prefix), failure(shared)]);
    const attributed = (await dataSource.query(
      `SELECT account_id, key_prefix FROM audit_log WHERE event_type = 'auth.failed' AND key_prefix = ANY($1)`,
      [[prefix, shared]],
    )) as { account_id: string | null; key_prefix: string }[];
    expect(Object.fromEntries(attributed.map((row) => [row.key_prefix, row.account_id]))).toEqual({
      [prefix]: owner,
      [shared]: null,
    });
  });

  describe('events stored before their key’s birth arrived (another consumer, another stream)', () => {
    const birthOf = (accountId: string, keyId: string, keyPrefix: string, at: number) => ({
      ...eventAt('key.created', `key-${keyId}`, at, { key_prefix: keyPrefix }, accountId),
      meta: { request_id: randomUUID(), account_id: accountId, key_id: keyId },
    });
    const failureAt = (keyPrefix: string, at: number) =>
      eventAt('auth.failed', 'auth-early', at, { reason: 'unknown', key_prefix: keyPrefix }, null);
    const rowsWithPrefix = async (keyPrefix: string, keyId: string) =>
      (await dataSource.query(
        `SELECT event_type, account_id, key_prefix FROM audit_log WHERE key_prefix = $1 OR key_id = $2 ORDER BY occurred_at`,
        [keyPrefix, keyId],
      )) as { event_type: string; account_id: string | null; key_prefix: string | null }[];

    it('are completed when the birth comes: the account of a failure, the prefix of a change made with the key', async () => {
      const owner = randomUUID();
      const keyId = randomUUID();
      const prefix = `vxk_${randomUUID().slice(0, 8)}`;
      const change = {
        ...eventAt('memory.created', 'memory-early', START + 2_000, { text: 'written with the new key' }, owner),
        meta: { request_id: randomUUID(), account_id: owner, key_id: keyId },
      };
      // A failure from before the key existed (beyond clock skew) is not about it and stays unattributed.
      await store([failureAt(prefix, START - 10 * 60_000), failureAt(prefix, START + 1_000), change]);
      await store([birthOf(owner, keyId, prefix, START)]);
      expect(await rowsWithPrefix(prefix, keyId)).toEqual([
        { event_type: 'auth.failed', account_id: null, key_prefix: prefix },
        { event_type: 'key.created', account_id: owner, key_prefix: prefix },
        { event_type: 'auth.failed', account_id: owner, key_prefix: prefix },
        { event_type: 'memory.created', account_id: owner, key_prefix: prefix },
      ]);
    });

    it('stay unattributed when two accounts have a key with the prefix', async () => {
      const prefix = `vxk_${randomUUID().slice(0, 8)}`;
      await store([failureAt(prefix, START + 1_000)]);
      await store([
        birthOf(randomUUID(), randomUUID(), prefix, START),
        birthOf(randomUUID(), randomUUID(), prefix, START),
      ]);
      const failures = (await dataSource.query(
        `SELECT account_id FROM audit_log WHERE key_prefix = $1 AND event_type = 'auth.failed'`,
        [prefix],
      )) as { account_id: string | null }[];
      expect(failures).toEqual([{ account_id: null }]);
    });

    it('are completed when the failure’s transaction is still open as the birth is stored', async () => {
      const owner = randomUUID();
      const keyId = randomUUID();
      const prefix = `vxk_${randomUUID().slice(0, 8)}`;
      let failureStored!: () => void;
      const stored = new Promise<void>((resolve) => (failureStored = resolve));
      // The AUTH consumer's transaction has stored the failure (unattributed) but not committed yet.
      const auth = dataSource.transaction(async (manager) => {
        await storeAuditEvents([failureAt(prefix, START + 1_000)], 'AUTH', manager);
        failureStored();
        await new Promise((resolve) => setTimeout(resolve, 300));
      });
      await stored;
      const keys = dataSource.transaction((manager) =>
        storeAuditEvents([birthOf(owner, keyId, prefix, START)], 'KEYS', manager),
      );
      await Promise.all([auth, keys]);
      expect((await rowsWithPrefix(prefix, keyId)).map((row) => [row.event_type, row.account_id])).toEqual([
        ['key.created', owner],
        ['auth.failed', owner],
      ]);
    });

    it('never wait for one another when none holds a birth (a spray of unknown keys slows no other ingest)', async () => {
      const account = randomUUID();
      let failureStored!: () => void;
      const stored = new Promise<void>((resolve) => (failureStored = resolve));
      let released = false;
      const spray = dataSource.transaction(async (manager) => {
        await storeAuditEvents([failureAt(`vxk_${randomUUID().slice(0, 8)}`, START)], 'AUTH', manager);
        failureStored();
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        released = true;
      });
      await stored;
      // A change made with a key not yet known (CONTENT) needs a birth too: it goes in while the spray's is open.
      const change = {
        ...eventAt('memory.created', 'memory-shared', START, { text: 'x' }, account),
        meta: { request_id: randomUUID(), account_id: account, key_id: randomUUID() },
      };
      await dataSource.transaction((manager) => storeAuditEvents([change], 'CONTENT', manager));
      expect(released).toBe(false);
      await spray;
    });
  });

  it('fails the whole batch on an event PostgreSQL cannot store, so the consumer can split it', async () => {
    const account = randomUUID();
    const bad = used(account, START);
    bad.occurred_at = 'not a time';
    await expect(store([used(account, START + 1), bad])).rejects.toThrow();
    expect(await rowsOf(account)).toHaveLength(0);
  });

  it('shows the display prefix of a key named only by id, known from its birth', async () => {
    const account = randomUUID();
    const keyId = randomUUID();
    const prefix = `vxk_${randomUUID().slice(0, 8)}`;
    const birth = {
      ...eventAt('key.created', `key-${keyId}`, START, { key_prefix: prefix }, account),
      meta: { request_id: randomUUID(), account_id: account, key_id: keyId },
    };
    const revoked = {
      ...eventAt('key.revoked', `key-${keyId}`, START + 1, { reason: 'user' }, account),
      meta: { request_id: randomUUID(), account_id: account, key_id: keyId },
    };
    await store([birth]);
    const unknownKey = {
      ...eventAt('key.renamed', 'key-unknown', START + 2, { name: 'x' }, account),
      meta: { request_id: randomUUID(), account_id: account, key_id: randomUUID() },
    };
    await store([revoked, unknownKey]);
    const rows = (await dataSource.query(
      `SELECT event_type, key_prefix FROM audit_log WHERE account_id = $1 ORDER BY occurred_at`,
      [account],
    )) as { event_type: string; key_prefix: string | null }[];
    expect(rows).toEqual([
      { event_type: 'key.created', key_prefix: prefix },
      { event_type: 'key.revoked', key_prefix: prefix },
      { event_type: 'key.renamed', key_prefix: null },
    ]);
  });

  /** The JSON columns as PostgreSQL holds them: their type and their text. */
  const jsonColumnsOf = (accountId: string) =>
    dataSource.query(
      `SELECT pg_typeof(data)::text AS type, data::text AS data, meta::text AS meta, location::text AS location
         FROM audit_log WHERE account_id = $1 ORDER BY occurred_at`,
      [accountId],
    ) as Promise<{ type: string; data: string; meta: string; location: string }[]>;

  it('keeps the JSON columns as the text that was sent, through a redelivery too', async () => {
    const account = randomUUID();
    const first = used(account, START, { zeta: 1, alpha: 2, location: { country: 'GB', city: 'London' } });
    const second = used(account, START + 1, { zeta: 3, a: 4, location: { country: 'FR', city: null } });
    await store([first]);
    await store([first, second]); // COPY meets the duplicate: the batch goes in through the INSERT path
    // json, not jsonb: keys in the order sent and no added spaces (jsonb sorts keys by length, then name).
    expect(await jsonColumnsOf(account)).toEqual(
      [first, second].map((event) => ({
        type: 'json',
        data: JSON.stringify(event.data),
        meta: JSON.stringify(event.meta),
        location: JSON.stringify(event.data.location),
      })),
    );
  });

  /** Events of an app and around it: only the app's own events and the changes made through it name it. */
  function appEvents(account: string, clientId: string): EventEnvelope[] {
    const request = eventAt('oauth_token.used', 'usage', START, { client_id: clientId.toUpperCase() }, account);
    const grant = eventAt('oauth.grant_created', 'grant', START + 1, { client_id: clientId }, account);
    const change = eventAt('memory.created', 'memory', START + 2, { text: 'through MCP' }, account);
    change.meta.client_id = clientId;
    // A user's own document may hold any field: it names no app.
    const document = eventAt('memory.created', 'memory', START + 3, { client_id: clientId }, account);
    const keyUse = used(account, START + 4);
    const notAnId = eventAt('oauth.grant_created', 'grant', START + 5, { client_id: 'not-a-uuid' }, account);
    return [request, grant, change, document, keyUse, notAnId];
  }
  /** Each event through the consumer of its stream, as audit-service stores them. */
  const storeFromTheirStreams = async (events: EventEnvelope[]) => {
    const streamOf = (type: string) =>
      type.startsWith('memory.') ? 'CONTENT' : type.startsWith('oauth.') ? 'ACCOUNTS' : 'AUTH';
    for (const event of events)
      await dataSource.transaction((manager) => storeAuditEvents([event], streamOf(event.type), manager));
  };
  const clientIdsOf = async (accountId: string) =>
    (
      (await dataSource.query(`SELECT client_id FROM audit_log WHERE account_id = $1 ORDER BY occurred_at`, [
        accountId,
      ])) as { client_id: string | null }[]
    ).map((row) => row.client_id);

  it('stores the app an event is of or came through as client_id, lowercase, and nothing for the rest', async () => {
    const account = randomUUID();
    const clientId = randomUUID();
    await storeFromTheirStreams(appEvents(account, clientId));
    expect(await clientIdsOf(account)).toEqual([clientId, clientId, clientId, null, null, null]);
  });

  it('the client_id migration fills the column of rows stored before it, as the ingest would', async () => {
    const account = randomUUID();
    const clientId = randomUUID();
    await storeFromTheirStreams(appEvents(account, clientId));
    const queryRunner = dataSource.createQueryRunner();
    try {
      const migration = new AuditLogClientId1764310000000();
      await migration.down(queryRunner);
      await migration.up(queryRunner);
    } finally {
      await queryRunner.release();
    }
    expect(await clientIdsOf(account)).toEqual([clientId, clientId, clientId, null, null, null]);
    // The filter's query reads the app's rows through the new index (the table is too small here for the
    // planner to prefer it over a scan on its own).
    const plan = await dataSource.transaction(async (manager) => {
      await manager.query('SET LOCAL enable_seqscan = off');
      const [row] = (await manager.query(
        `EXPLAIN (FORMAT JSON) SELECT event_id FROM audit_log WHERE account_id = $1 AND client_id = $2
          ORDER BY occurred_at DESC, event_id DESC LIMIT 50`,
        [account, clientId],
      )) as { 'QUERY PLAN': unknown }[];
      return JSON.stringify(row['QUERY PLAN']);
    });
    expect(plan).toMatch(/"Index Cond":"\(\(account_id = '[^']+'::uuid\) AND \(client_id = '[^']+'::uuid\)\)"/);
  });

  it('the json migration goes down and up again, keeping every row (runs last)', async () => {
    const account = randomUUID();
    await store([used(account, START, { ip: '192.0.2.9', location: { country: 'GB', city: 'London' } })]);
    const parsed = () =>
      dataSource.query(`SELECT data, meta, location FROM audit_log WHERE account_id = $1`, [account]) as Promise<
        unknown[]
      >;
    const before = await parsed();
    const types = async () =>
      (
        (await dataSource.query(
          `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
            WHERE attrelid = 'audit_log'::regclass AND attname IN ('data', 'meta', 'location') ORDER BY attname`,
        )) as { attname: string; type: string }[]
      ).map((column) => `${column.attname} ${column.type}`);
    const queryRunner = dataSource.createQueryRunner();
    try {
      const migration = new AuditLogJsonText1764250000000();
      await migration.down(queryRunner);
      expect(await types()).toEqual(['data jsonb', 'location jsonb', 'meta jsonb']);
      expect(await parsed()).toEqual(before);
      await migration.up(queryRunner);
      expect(await types()).toEqual(['data json', 'location json', 'meta json']);
      expect(await parsed()).toEqual(before);
    } finally {
      await queryRunner.release();
    }
  });
});
