import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { EventEnvelope } from '#contracts';
import { createMigratedDataSource } from '../../../../test/support/test-database';
import { eventAt } from '../../../../test/support/events';
import { AuditServiceMigrations } from '../migrations';
import { storeAuditEvents } from './audit-ingest';
import { appUsage } from './app-usage.handler';

const NOW = new Date(Date.UTC(2026, 10, 20, 15, 30));
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('appUsage (PostgreSQL)', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ dataSource, close } = await createMigratedDataSource('app_usage', AuditServiceMigrations));
  });
  afterAll(() => close());

  const store = (events: EventEnvelope[], stream: string) =>
    dataSource.transaction((manager) => storeAuditEvents(events, stream, manager));

  /** An account with one app connected twice (an older grant, then `grant`), and the requests of both. */
  async function connectedApp() {
    const account = randomUUID();
    const clientId = randomUUID();
    const grant = randomUUID();
    const olderGrant = randomUUID();
    const created = (grantId: string, at: number) =>
      eventAt(
        'oauth.grant_created',
        `oauth_grant-${grantId}`,
        at,
        {
          grant_id: grantId,
          client_id: clientId,
          client_name: 'Claude Code',
          scopes: ['content:read'],
        },
        account,
      );
    const used = (grantId: string, at: number, data: object = {}) =>
      eventAt(
        'oauth_token.used',
        'usage',
        at,
        {
          grant_id: grantId,
          client_id: clientId,
          method: 'POST',
          status: 200,
          action: 'mcp.ping',
          mcp_method: 'ping',
          mcp_tool: null,
          ip: '81.2.69.160',
          location: { country: 'GB', city: 'London' },
          ...data,
        },
        account,
      );
    await store(
      [created(olderGrant, NOW.getTime() - 200 * DAY), created(grant, NOW.getTime() - 100 * DAY)],
      'ACCOUNTS',
    );
    await store(
      [
        used(olderGrant, NOW.getTime() - 2 * HOUR), // the older grant's: not this one's
        used(grant, NOW.getTime() - 95 * DAY), // before 90 days
        used(grant, NOW.getTime() - 3 * DAY, { ip: '1.128.0.1', location: { country: 'AU', city: null } }),
        used(grant, NOW.getTime() - 2 * HOUR, {
          action: 'memories.create',
          mcp_method: 'tools/call',
          mcp_tool: 'create_memory',
        }),
        used(grant, NOW.getTime() - 10 * 60_000, {
          action: 'memories.create',
          mcp_method: 'tools/call',
          mcp_tool: 'create_memory',
          error_code: 'VALIDATION_FAILED',
        }),
      ],
      'AUTH',
    );
    return { account, clientId, grant };
  }

  it('counts the grant’s requests in hourly buckets over 24h, with breakdowns, places and addresses', async () => {
    const { account, clientId, grant } = await connectedApp();
    const usage = await appUsage(
      dataSource,
      { account_id: account, grant_id: grant, client_id: clientId, range: '24h' },
      NOW,
    );
    expect(usage).toMatchObject({
      grant_id: grant,
      client_id: clientId,
      range: '24h',
      request_count: 2,
      failure_count: 1,
      last_used_at: new Date(NOW.getTime() - 10 * 60_000).toISOString(),
      by_action: { 'memories.create': 2 },
      by_status: { '200': 2 },
      by_mcp_tool: { create_memory: 2 },
      locations: [expect.objectContaining({ country: 'GB', city: 'London', count: 2 })],
      ips: [expect.objectContaining({ ip: '81.2.69.160', count: 2 })],
    });
    expect(usage.series).toHaveLength(24);
    expect(usage.series[23]).toEqual({ start: '2026-11-20T15:00:00.000Z', count: 1 });
    expect(usage.series[21]).toEqual({ start: '2026-11-20T13:00:00.000Z', count: 1 });
    expect(usage.series.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(2);
  });

  it('counts daily over 7d and 90d, from UTC midnight', async () => {
    const { account, clientId, grant } = await connectedApp();
    const week = await appUsage(
      dataSource,
      { account_id: account, grant_id: grant, client_id: clientId, range: '7d' },
      NOW,
    );
    expect(week.request_count).toBe(3);
    expect(week.series.map((bucket) => bucket.count)).toEqual([0, 0, 0, 1, 0, 0, 2]);
    expect(week.series[0].start).toBe('2026-11-14T00:00:00.000Z');
    expect(week.by_action).toEqual({ 'mcp.ping': 1, 'memories.create': 2 });
    expect(week.locations.map((place) => place.country)).toEqual(['GB', 'AU']);
    const quarter = await appUsage(
      dataSource,
      { account_id: account, grant_id: grant, client_id: clientId, range: '90d' },
      NOW,
    );
    expect([quarter.request_count, quarter.series.length]).toEqual([3, 90]);
  });

  it('answers zeros for a grant never used, and nothing of another account’s requests', async () => {
    const { account, clientId, grant } = await connectedApp();
    const idle = await appUsage(
      dataSource,
      { account_id: account, grant_id: randomUUID(), client_id: clientId, range: '24h' },
      NOW,
    );
    expect(idle).toMatchObject({ request_count: 0, failure_count: 0, last_used_at: null, by_action: {}, ips: [] });
    expect(idle.series).toHaveLength(24);
    expect(idle.series.every((bucket) => bucket.count === 0)).toBe(true);
    // The same grant and app asked for by another account (key-service refuses that first; this is the floor).
    const stranger = await appUsage(
      dataSource,
      { account_id: randomUUID(), grant_id: grant, client_id: clientId, range: '90d' },
      NOW,
    );
    expect([stranger.request_count, stranger.last_used_at, stranger.locations]).toEqual([0, null, []]);
  });
});
