import { useEffect, useState } from 'react';
import { api, messageOf } from '../api';
import { Bars, Columns, ErrorBanner } from '../components/ui';
import { dateTime, displayPrefix, lastUsed, ranked } from '../format';
import type { ApiKey, Usage } from '../types';

const RANGES = ['24h', '7d', '30d', '90d'] as const;

/** A key's usage (PRODUCT.md §7): requests over time, by tool, by action, by status, and where from. */
export function KeyUsagePage({ keyId }: { keyId: string }) {
  const [range, setRange] = useState<(typeof RANGES)[number]>('7d');
  const [key, setKey] = useState<ApiKey | null>(null);
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    Promise.all([
      api<ApiKey>('GET', `/api/v1/settings/api-keys/${encodeURIComponent(keyId)}`),
      api<Usage>('GET', `/api/v1/settings/api-keys/${encodeURIComponent(keyId)}/usage?range=${range}`),
    ])
      .then(([loadedKey, loadedUsage]) => {
        if (!current) return;
        setKey(loadedKey);
        setUsage(loadedUsage);
        setError(null);
      })
      .catch((caught: unknown) => {
        if (!current) return;
        setUsage(null);
        setError(messageOf(caught));
      });
    return () => {
      current = false;
    };
  }, [keyId, range]);

  return (
    <section>
      <p>
        <a href="#/keys">← API Keys</a>
      </p>
      <header className="page-header">
        <h1>{key ? `Usage of ${key.name}` : 'Usage'}</h1>
        <div className="segmented" role="group" aria-label="range">
          {RANGES.map((option) => (
            <button key={option} type="button" aria-pressed={option === range} onClick={() => setRange(option)}>
              {option}
            </button>
          ))}
        </div>
      </header>
      <ErrorBanner error={error} />
      {key && usage ? (
        <>
          <dl className="summary">
            <div>
              <dt>Key</dt>
              <dd>
                <code>{displayPrefix(key.key_prefix)}</code>
              </dd>
            </div>
            <div>
              <dt>Requests ({usage.range})</dt>
              <dd>{usage.request_count.toLocaleString('en-US')}</dd>
            </div>
            <div>
              <dt>Failed authentications</dt>
              <dd>{usage.failed_auth_count.toLocaleString('en-US')}</dd>
            </div>
            <div>
              <dt>Last used</dt>
              <dd title={dateTime(usage.last_used_at)}>{lastUsed(usage.last_used_at)}</dd>
            </div>
          </dl>
          <h2>Requests over time</h2>
          <Columns series={usage.series} />
          <div className="grid">
            <div>
              <h2>By tool</h2>
              <Bars items={ranked(usage.by_tool_type)} />
            </div>
            <div>
              <h2>By action</h2>
              <Bars items={ranked(usage.by_action)} />
            </div>
            <div>
              <h2>By status</h2>
              <Bars items={ranked(usage.by_status)} />
            </div>
            <div>
              <h2>Locations</h2>
              <Bars
                items={usage.locations.map((location) => ({
                  label: location.city ? `${location.city}, ${location.country}` : location.country,
                  count: location.count,
                }))}
              />
            </div>
          </div>
        </>
      ) : null}
    </section>
  );
}
