import { useEffect, useState } from 'react';
import { showInAddress } from '../address';
import { api, messageOf } from '../api';
import { ErrorBanner } from '../components/ui';
import { RangePicker, UsageCharts, UsageSummary, useUsage } from '../components/usage';
import { parseUsageRange, usageLocation } from '../usage-range';
import { dateTime, displayPrefix } from '../format';
import type { ApiKey, Usage } from '../types';

/**
 * A key's usage (PRODUCT.md §7): requests over time, by tool, by action, by status, and where from. `search` is
 * the query part of the address, which holds the range (a reload, a link or Back shows the same one).
 */
export function KeyUsagePage({ keyId, search }: { keyId: string; search: string }) {
  const range = parseUsageRange(search);
  const [key, setKey] = useState<ApiKey | null>(null);
  const path = `/api/v1/settings/api-keys/${encodeURIComponent(keyId)}`;
  const [keyError, setKeyError] = useState<string | null>(null);
  const { usage, error } = useUsage<Usage>(`${path}/usage?range=${range}`);

  useEffect(() => {
    let current = true;
    api<ApiKey>('GET', path)
      .then((loaded) => current && setKey(loaded))
      .catch((caught: unknown) => current && setKeyError(messageOf(caught)));
    return () => {
      current = false;
    };
  }, [keyId]);

  return (
    <section>
      <p>
        <a href="#/keys">← API Keys</a>
      </p>
      <header className="page-header">
        <h1>{key ? `Usage of ${key.name}` : 'Usage'}</h1>
        <RangePicker
          range={range}
          onRange={(next) => showInAddress(usageLocation(`/keys/${keyId}/usage`, next), () => undefined)}
        />
      </header>
      <ErrorBanner error={error ?? keyError} />
      {key?.status === 'revoked' ? (
        <p className="warning" role="status">
          This key is revoked{key.revoked_at ? ` since ${dateTime(key.revoked_at)}` : ''}
          {key.revoked_reason ? ` (${key.revoked_reason})` : ''}: every attempt with it is refused and counted as a
          failed authentication.
        </p>
      ) : null}
      {key && usage ? (
        <>
          <UsageSummary
            subject={['Key', <code>{displayPrefix(key.key_prefix)}</code>]}
            range={usage.range}
            requestCount={usage.request_count}
            failures={['Failed authentications', usage.failed_auth_count]}
            lastUsedAt={usage.last_used_at}
          />
          <UsageCharts
            usage={usage}
            breakdowns={[
              ['By tool', usage.by_tool_type],
              ['By action', usage.by_action],
              ['By status', usage.by_status],
            ]}
          />
        </>
      ) : null}
    </section>
  );
}
