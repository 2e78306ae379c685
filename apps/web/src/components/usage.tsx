import { type ReactNode, useEffect, useState } from 'react';
import { api, messageOf } from '../api';
import { dateTime, lastUsed, preciseTime, ranked } from '../format';
import type { Usage } from '../types';
import { USAGE_RANGES, type UsageRange } from '../usage-range';
import { Bars, Columns } from './ui';

/** The range buttons of a usage page. */
export function RangePicker({ range, onRange }: { range: UsageRange; onRange: (range: UsageRange) => void }) {
  return (
    <div className="segmented" role="group" aria-label="range">
      {USAGE_RANGES.map((option) => (
        <button key={option} type="button" aria-pressed={option === range} onClick={() => onRange(option)}>
          {option}
        </button>
      ))}
    </div>
  );
}

/** Loads a usage answer (its URL names the range); a failed load clears the last one and says why. */
export function useUsage<T>(url: string) {
  const [usage, setUsage] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    api<T>('GET', url)
      .then((loaded) => {
        if (!current) return;
        setUsage(loaded);
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
  }, [url]);
  return { usage, error };
}

/** Requests over time, then a chart per breakdown, then where they came from: places, and each address. */
export function UsageCharts({
  usage,
  breakdowns,
}: {
  usage: Pick<Usage, 'series' | 'locations' | 'ips'>;
  breakdowns: [title: string, counts: Record<string, number>][];
}) {
  return (
    <>
      <h2>Requests over time</h2>
      <Columns series={usage.series} />
      <div className="grid">
        {breakdowns.map(([title, counts]) => (
          <div key={title}>
            <h2>{title}</h2>
            <Bars items={ranked(counts)} />
          </div>
        ))}
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
      <h2>Addresses</h2>
      {usage.ips.length === 0 ? (
        <p className="empty">No requests in this range.</p>
      ) : (
        <table className="addresses">
          <thead>
            <tr>
              <th>IP address</th>
              <th className="number">Requests</th>
              <th>First seen (UTC)</th>
              <th>Last seen (UTC)</th>
              <th aria-label="audit log" />
            </tr>
          </thead>
          <tbody>
            {usage.ips.map((address) => (
              <tr key={address.ip}>
                <td className="wrap">
                  <code>{address.ip}</code>
                </td>
                <td className="number">{address.count.toLocaleString('en-US')}</td>
                <td className="time">{preciseTime(address.first_seen)}</td>
                <td className="time">{preciseTime(address.last_seen)}</td>
                <td>
                  <a href={`#/audit?ip=${encodeURIComponent(address.ip)}`}>Its requests in the audit log</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** The line of totals above the charts: what the usage is of, then its requests, failures and last use. */
export function UsageSummary({
  subject,
  range,
  requestCount,
  failures,
  lastUsedAt,
}: {
  subject: [label: string, value: ReactNode];
  range: string;
  requestCount: number;
  failures: [label: string, count: number];
  lastUsedAt: string | null;
}) {
  return (
    <dl className="summary">
      <div>
        <dt>{subject[0]}</dt>
        <dd>{subject[1]}</dd>
      </div>
      <div>
        <dt>Requests ({range})</dt>
        <dd>{requestCount.toLocaleString('en-US')}</dd>
      </div>
      <div>
        <dt>{failures[0]}</dt>
        <dd>{failures[1].toLocaleString('en-US')}</dd>
      </div>
      <div>
        <dt>Last used</dt>
        <dd title={dateTime(lastUsedAt)}>{lastUsed(lastUsedAt)}</dd>
      </div>
    </dl>
  );
}
