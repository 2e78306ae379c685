import { createHash } from 'node:crypto';
import type { Finding, Rule, Severity } from './detector';

/** PRODUCT.md §9.2 `Alert`, plus whom it belongs to and what it folds on. */
export interface Alert {
  id: string;
  account_id: string | null;
  rule: Rule;
  severity: Severity;
  status: 'open' | 'acknowledged' | 'resolved';
  key_id?: string;
  key_prefix?: string;
  dedup_key: string;
  summary: string;
  evidence: Record<string, unknown>;
  count: number;
  first_seen: string;
  last_seen: string;
  resolution?: { resolution: 'legitimate' | 'revoked_key' | 'false_positive'; note?: string; resolved_at: string };
}

export const DEFAULT_COOLDOWN_MS = 3_600_000;
/** How many addresses and places a folded alert's evidence keeps (the latest ones). */
export const EVIDENCE_LIST_MAX = 20;
/**
 * Evidence lists that grow as repeats fold in, rather than show the latest occurrence only, and how many of
 * the latest each keeps. An `off_hours` alert keeps every hour of the week it was raised for (168 at most), so
 * that resolving it as legitimate teaches them all.
 */
const ACCUMULATED = { ips: EVIDENCE_LIST_MAX, locations: EVIDENCE_LIST_MAX, hours_of_week: 168 } as const;

/**
 * The evidence of a repeat folded into an alert: the latest occurrence's, with the addresses, places and hours of
 * every occurrence so far (each once, oldest first, at most ACCUMULATED's count), and what was done about the
 * alert (`auto_revoked`) kept. Pure.
 */
export function mergeEvidence(
  previous: Record<string, unknown>,
  latest: Record<string, unknown>,
): Record<string, unknown> {
  const merged = { ...latest };
  for (const [field, max] of Object.entries(ACCUMULATED)) {
    const items = [previous[field], latest[field]].flatMap((list) => (Array.isArray(list) ? (list as unknown[]) : []));
    if (items.length === 0) continue;
    const seen = new Set<string>();
    const union = items.filter((item) => {
      const identity = JSON.stringify(item);
      return seen.has(identity) ? false : (seen.add(identity), true);
    });
    merged[field] = union.slice(-max);
  }
  if (previous.auto_revoked !== undefined && latest.auto_revoked === undefined)
    merged.auto_revoked = previous.auto_revoked;
  return merged;
}
const SEVERITY_ORDER: Severity[] = ['low', 'medium', 'high'];

/** What an alert's summary ends with once its key was revoked (or its app disconnected) automatically. */
export const autoRevokedSentence = (revoked: 'key' | 'app'): string =>
  revoked === 'key' ? 'The key was revoked automatically.' : 'The app was disconnected automatically.';

/** A repeat's summary keeps saying that the alert's key or app was revoked automatically. */
function keepingAutoRevocation(existing: Alert, summary: string): string {
  if (existing.evidence.auto_revoked !== true) return summary;
  const sentence = autoRevokedSentence(existing.key_id ? 'key' : 'app');
  return summary.endsWith(sentence) ? summary : `${summary} ${sentence}`;
}

/** Whether `after` is a more severe alert than `before`. */
export const isEscalation = (before: Severity, after: Severity): boolean =>
  SEVERITY_ORDER.indexOf(after) > SEVERITY_ORDER.indexOf(before);

/** The same findings give the same alert ids: a replay is reproducible, a reprocessing idempotent. */
export function alertId(accountId: string | null, dedupKey: string, firstSeen: string): string {
  const hex = createHash('sha256')
    .update(`${accountId ?? '-'}|${dedupKey}|${firstSeen}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The key a repeat names when its alert named none: the key that succeeded right after a burst, the one most likely
 * in the wrong hands. An alert keeps the key (and prefix) it names. A burst against another key's prefix keeps that
 * prefix, and the key that succeeded goes in its evidence (`succeeded_key_id`, `succeeded_key_prefix`): `key_id`
 * and `key_prefix` always name one key.
 */
function namedKey(
  existing: Alert,
  finding: Finding,
): Partial<Pick<Alert, 'key_id' | 'key_prefix'>> & {
  succeeded?: Record<string, string>;
} {
  if (existing.key_id || !finding.key_id) return {};
  if (!existing.key_prefix || existing.key_prefix === finding.key_prefix)
    return { key_id: finding.key_id, ...(finding.key_prefix ? { key_prefix: finding.key_prefix } : {}) };
  return {
    succeeded: {
      succeeded_key_id: finding.key_id,
      ...(finding.key_prefix ? { succeeded_key_prefix: finding.key_prefix } : {}),
    },
  };
}

/**
 * Folds a finding into the open alert with the same dedup key, or opens a new one when there is none,
 * it was resolved, or the cooldown has passed since its last sighting. Pure.
 */
export function foldFinding(
  existing: Alert | undefined,
  finding: Finding,
  cooldownMs = DEFAULT_COOLDOWN_MS,
): { alert: Alert; opened: boolean } {
  const at = Date.parse(finding.at);
  if (existing && existing.status !== 'resolved' && at - Date.parse(existing.last_seen) < cooldownMs) {
    const severity =
      SEVERITY_ORDER[Math.max(SEVERITY_ORDER.indexOf(existing.severity), SEVERITY_ORDER.indexOf(finding.severity))];
    const { succeeded, ...named } = namedKey(existing, finding);
    // An occurrence that arrives after a later one (redelivered after a restart) is counted and its addresses
    // gathered, but `last_seen`, the summary and the evidence stay the latest occurrence's.
    const latest = at >= Date.parse(existing.last_seen);
    return {
      alert: {
        ...existing,
        severity,
        // An acknowledged alert that grows worse (a success after the burst, a spike past 50 ×) asks for attention
        // again: it is open, and in the lists filtered on open alerts.
        status:
          existing.status === 'acknowledged' && isEscalation(existing.severity, severity) ? 'open' : existing.status,
        count: existing.count + 1,
        last_seen: latest ? finding.at : existing.last_seen,
        ...named,
        summary: keepingAutoRevocation(existing, latest ? finding.summary : existing.summary),
        evidence: {
          ...(latest
            ? mergeEvidence(existing.evidence, finding.evidence)
            : mergeEvidence(finding.evidence, existing.evidence)),
          ...succeeded,
        },
      },
      opened: false,
    };
  }
  return {
    alert: {
      id: alertId(finding.account_id, finding.dedup_key, finding.at),
      account_id: finding.account_id,
      rule: finding.rule,
      severity: finding.severity,
      status: 'open',
      ...(finding.key_id ? { key_id: finding.key_id } : {}),
      ...(finding.key_prefix ? { key_prefix: finding.key_prefix } : {}),
      dedup_key: finding.dedup_key,
      summary: finding.summary,
      evidence: finding.evidence,
      count: 1,
      first_seen: finding.at,
      last_seen: finding.at,
    },
    opened: true,
  };
}

/** In-memory alerts by (account, dedup key): the replay command's store, and the tests'. */
export class AlertBook {
  private readonly latest = new Map<string, Alert>();
  readonly alerts: Alert[] = [];

  constructor(private readonly cooldownMs = DEFAULT_COOLDOWN_MS) {}

  record(finding: Finding, cooldownMs = this.cooldownMs): Alert {
    const slot = `${finding.account_id ?? '-'}|${finding.dedup_key}`;
    const { alert, opened } = foldFinding(this.latest.get(slot), finding, cooldownMs);
    if (opened) this.alerts.push(alert);
    else this.alerts[this.alerts.findIndex((a) => a.id === alert.id)] = alert;
    this.latest.set(slot, alert);
    return alert;
  }

  resolve(id: string, resolution: NonNullable<Alert['resolution']>['resolution'], at: string): Alert | undefined {
    const index = this.alerts.findIndex((a) => a.id === id);
    if (index === -1) return undefined;
    const alert: Alert = { ...this.alerts[index], status: 'resolved', resolution: { resolution, resolved_at: at } };
    this.alerts[index] = alert;
    this.latest.set(`${alert.account_id ?? '-'}|${alert.dedup_key}`, alert);
    return alert;
  }
}
