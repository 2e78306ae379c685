import { useState } from 'react';
import { auditLocation } from '../audit';
import { ErrorBanner } from '../components/ui';
import { RangePicker, UsageCharts, type UsageRange, useUsage } from '../components/usage';
import { dateTime, lastUsed } from '../format';
import { appName } from '../oauth';
import type { AppUsage } from '../types';

/** A connected app's usage: its MCP requests over time, by action, tool and status, and where from. */
export function AppUsagePage({ grantId }: { grantId: string }) {
  const [range, setRange] = useState<UsageRange>('7d');
  const { usage, error } = useUsage<AppUsage>(
    (chosen) => `/api/v1/settings/oauth/grants/${encodeURIComponent(grantId)}/usage?range=${chosen}`,
    range,
    grantId,
  );

  return (
    <section>
      <p>
        <a href="#/settings/apps">← Connected apps</a>
      </p>
      <header className="page-header">
        <h1>{usage ? `Usage of ${appName(usage)}` : 'Usage'}</h1>
        <RangePicker range={range} onRange={setRange} />
      </header>
      <ErrorBanner error={error} />
      {usage ? (
        <>
          <dl className="summary">
            <div>
              <dt>App</dt>
              <dd>
                <code>{usage.client_id}</code> <span className="badge badge-grey">unverified</span>
              </dd>
            </div>
            <div>
              <dt>Requests ({usage.range})</dt>
              <dd>{usage.request_count.toLocaleString('en-US')}</dd>
            </div>
            <div>
              <dt>Failed requests</dt>
              <dd>{usage.failure_count.toLocaleString('en-US')}</dd>
            </div>
            <div>
              <dt>Last used</dt>
              <dd title={dateTime(usage.last_used_at)}>{lastUsed(usage.last_used_at)}</dd>
            </div>
          </dl>
          <p>
            <a href={`#${auditLocation({ client_id: usage.client_id })}`}>Its requests in the audit log</a>
          </p>
          <UsageCharts
            usage={usage}
            breakdowns={[
              ['By action', usage.by_action],
              ['By MCP tool', usage.by_mcp_tool],
              ['By status', usage.by_status],
            ]}
          />
        </>
      ) : null}
    </section>
  );
}
