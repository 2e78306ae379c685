import { showInAddress } from '../address';
import { auditLocation } from '../audit';
import { ErrorBanner } from '../components/ui';
import { RangePicker, UsageCharts, UsageSummary, useUsage } from '../components/usage';
import { parseUsageRange, usageLocation } from '../usage-range';
import { appName } from '../oauth';
import type { AppUsage } from '../types';

/**
 * A connected app's usage: its MCP requests over time, by action, tool and status, and where from. `search` is
 * the query part of the address, which holds the range.
 */
export function AppUsagePage({ grantId, search }: { grantId: string; search: string }) {
  const range = parseUsageRange(search);
  const { usage, error } = useUsage<AppUsage>(
    `/api/v1/settings/oauth/grants/${encodeURIComponent(grantId)}/usage?range=${range}`,
  );

  return (
    <section>
      <p>
        <a href="#/settings/apps">← Connected apps</a>
      </p>
      <header className="page-header">
        <h1>{usage ? `Usage of ${appName(usage)}` : 'Usage'}</h1>
        <RangePicker
          range={range}
          onRange={(next) => showInAddress(usageLocation(`/settings/apps/${grantId}/usage`, next), () => undefined)}
        />
      </header>
      <ErrorBanner error={error} />
      {usage ? (
        <>
          <UsageSummary
            subject={[
              'App',
              <>
                <code>{usage.client_id}</code> <span className="badge badge-grey">unverified</span>
              </>,
            ]}
            range={usage.range}
            requestCount={usage.request_count}
            failures={['Failed requests', usage.failure_count]}
            lastUsedAt={usage.last_used_at}
          />
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
