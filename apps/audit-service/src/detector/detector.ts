import type { ALERT_RULES, EventEnvelope, OAuthGrantRevokeReason } from '#contracts';
import { DEFAULT_COOLDOWN_MS } from './alert-book';

/**
 * The anomaly detector (PRODUCT.md §9.2): pure and deterministic over event time. It reads key.used
 * and auth.failed events in order (and key.revoked / key.expired: leaks, and keys to forget; and
 * oauth.grant_revoked: replayed OAuth tokens) and returns findings. Its state is plain JSON, saved per key and per failure-window entry with the alerts (see
 * `takeChanges`), so a restart does not reset what it learned. Thresholds are configurable.
 */
export interface DetectorConfig {
  spikeWindowMs: number;
  spikeMinCount: number;
  spikeFactor: number;
  spikeHighFactor: number;
  /** Weight of the newest window in the baseline (EWMA). */
  spikeAlpha: number;
  /**
   * A pause in a key's use up to this long (a night, a weekend) leaves its baseline as it was; beyond it, each
   * further window without use pulls the baseline down, so a key dormant for long does not keep a high one.
   */
  spikeIdleKeepMs: number;
  newKeyGraceMs: number;
  /** In a key's first day, only this many requests in one window is a spike. */
  spikeExtremeCount: number;
  burstWindowMs: number;
  burstPerIp: number;
  burstPerPrefix: number;
  locationMemoryMs: number;
  /** A jump between places faster than this (km/h) makes a new location high. */
  maxTravelKmh: number;
  offHoursHistoryMs: number;
  /** A finding within this long of its open alert's last sighting folds into it (PRODUCT.md §9.2's cooldown). */
  cooldownMs: number;
}

export const DEFAULT_DETECTOR_CONFIG: DetectorConfig = {
  spikeWindowMs: 5 * 60_000,
  spikeMinCount: 100,
  spikeFactor: 10,
  spikeHighFactor: 50,
  spikeAlpha: 0.2,
  spikeIdleKeepMs: 3 * 24 * 3_600_000,
  newKeyGraceMs: 24 * 3_600_000,
  spikeExtremeCount: 1_000,
  burstWindowMs: 5 * 60_000,
  burstPerIp: 10,
  burstPerPrefix: 5,
  locationMemoryMs: 30 * 24 * 3_600_000,
  maxTravelKmh: 900,
  offHoursHistoryMs: 14 * 24 * 3_600_000,
  cooldownMs: DEFAULT_COOLDOWN_MS,
};

/**
 * `DEFAULT_DETECTOR_CONFIG` with the overrides of a JSON object (the DETECTOR_CONFIG variable, the replay's
 * `--config`); throws naming the first unknown or non-positive field.
 */
export function detectorConfig(json: string): DetectorConfig {
  if (json.trim() === '') return DEFAULT_DETECTOR_CONFIG;
  const overrides = JSON.parse(json) as Record<string, unknown>;
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides))
    throw new Error('must be a JSON object');
  for (const [field, value] of Object.entries(overrides)) {
    if (!(field in DEFAULT_DETECTOR_CONFIG)) throw new Error(`unknown threshold "${field}"`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      throw new Error(`"${field}" must be a positive number`);
  }
  return { ...DEFAULT_DETECTOR_CONFIG, ...(overrides as Partial<DetectorConfig>) };
}

export type Rule = (typeof ALERT_RULES)[number];
export type Severity = 'low' | 'medium' | 'high';

export interface Finding {
  rule: Rule;
  severity: Severity;
  account_id: string | null;
  key_id?: string;
  key_prefix?: string;
  /** Repeats with the same dedup key fold into one open alert. */
  dedup_key: string;
  at: string;
  summary: string;
  evidence: Record<string, unknown>;
}

/** Working hours of an account (security settings); null: learn the key's usual hours instead. */
export interface WorkingHours {
  timezone: string;
  days: number[];
  start: string;
  end: string;
}

export interface KeyState {
  firstSeen: number;
  window: number;
  windowCount: number;
  baseline: number | null;
  spikeAlertedWindow: number | null;
  spikeAlertedHigh?: boolean;
  hoursOfWeek: number[];
  /** Hours of the week in the account's time zone resolved as legitimate (with working hours set). */
  trustedLocalHours?: number[];
  countries: Record<string, number>;
  trustedCountries: string[];
  /** The last place the key was used from, when it had coordinates. */
  lastPlace?: { at: number; latitude: number; longitude: number };
  /** When the key was revoked or expired: its state goes an hour later (uses in flight find it meanwhile). */
  retiredAt?: number;
}

/**
 * A failed authentication from an IP: when, the account it was tied to (null: none), and the key prefix it
 * was against (absent when none was readable, and in states written before prefixes were kept).
 */
export type IpFailure = [at: number, accountId: string | null, keyPrefix?: string];
/** A failed authentication against a key prefix: when, and from which address (null: none known). */
export type PrefixFailure = [at: number, ip: string | null];

/** A failure window's entry as a pair; states written before pairs hold the bare time. */
const asPair = <T extends IpFailure | PrefixFailure>(failure: T | number): T =>
  (typeof failure === 'number' ? [failure, null] : failure) as T;

/**
 * The most failures a window keeps (the newest): the rules need a count that reaches a threshold of a few, and
 * a few addresses for the evidence. Without a bound, a flood of bad keys from one address grew its window by
 * every failure for 5 minutes: each failure copied the whole list, and the state written after every batch
 * grew with it. A burst's count reads "or more" once its window is full.
 */
export const FAILURES_KEPT = 1_000;

/** A window's failures still within the burst window, with room for one more. */
function recentFailures<T extends IpFailure | PrefixFailure>(
  failures: (T | number)[] | undefined,
  inWindow: (t: number) => boolean,
): T[] {
  const recent = (failures ?? []).map(asPair<T>).filter(([t]) => inWindow(t));
  return recent.length >= FAILURES_KEPT ? recent.slice(recent.length - FAILURES_KEPT + 1) : recent;
}

/** The newest failure's time (events arrive slightly out of order, so not always the last entry's). */
function newestOf(failures: (IpFailure | PrefixFailure | number)[]): number {
  let newest = -Infinity;
  for (const failure of failures) newest = Math.max(newest, asPair(failure)[0]);
  return newest;
}

/** A configured window as the evidence (`5m`, `30s`) and a summary (`5 minutes`, `30 seconds`) put it. */
export function windowNames(ms: number): { label: string; words: string } {
  const [count, unit, letter] =
    ms % DAY_MS === 0
      ? [ms / DAY_MS, 'day', 'd']
      : ms % HOUR_MS === 0
        ? [ms / HOUR_MS, 'hour', 'h']
        : ms % 60_000 === 0
          ? [ms / 60_000, 'minute', 'm']
          : [Math.round(ms / 1000), 'second', 's'];
  return { label: `${count}${letter}`, words: `${count} ${unit}${count === 1 ? '' : 's'}` };
}

/** How a burst's count reads: a full window holds only the newest failures. */
const countOf = (count: number): string =>
  count >= FAILURES_KEPT ? `${count.toLocaleString('en')} or more` : String(count);

/**
 * A recent burst a success from its address escalates: the address's, a key prefix's from it, or an account's
 * share of an address's mixed burst. A share that escalated is kept (marked) while its window lasts, so that the
 * account is not told of the burst again for others' failures.
 */
export interface BurstEntry {
  at: number;
  account_id: string | null;
  dedup_key: string;
  escalated?: boolean;
}

export interface DetectorState {
  keys: Record<string, KeyState>;
  /** Older states hold bare times (failures tied to no account). */
  failuresByIp: Record<string, (IpFailure | number)[]>;
  /** Older states hold bare times (their addresses were not kept). */
  failuresByPrefix: Record<string, (PrefixFailure | number)[]>;
  /** IPs with a recent failed-auth burst: a success from one of them raises the severity. */
  burstIps: Record<string, BurstEntry>;
}

/** The short windows of failed authentications: one entry per IP, key prefix or IP after a burst. */
export type WindowBucket = 'failuresByIp' | 'failuresByPrefix' | 'burstIps';
export const WINDOW_BUCKETS: readonly WindowBucket[] = ['failuresByIp', 'failuresByPrefix', 'burstIps'];

/** What changed since the last `takeChanges()`: only this is written back after a batch. */
export interface DetectorChanges {
  keys: [keyId: string, state: KeyState][];
  /** Keys whose state was dropped (revoked keys). */
  removedKeys: string[];
  /** Failure-window entries that changed, with their value, or null for an entry that went. */
  windows: { bucket: WindowBucket; name: string; value: unknown }[];
}

export function emptyState(): DetectorState {
  return { keys: {}, failuresByIp: {}, failuresByPrefix: {}, burstIps: {} };
}

/**
 * `auth.failed` reasons of a key that did authenticate: the account's hourly limit was reached, or the key
 * lacks the route's integration. A busy or misconfigured client is not someone guessing keys, so these
 * are no part of a failed-authentication burst (and the client's next success does not escalate one).
 */
const REFUSED_AFTER_AUTHENTICATION = new Set(['rate_limited', 'integration']);
/**
 * A request with no credentials at all (`missing`) tried none: a signed-out dashboard checking for its session on
 * every load, a crawler. Counted, a few reloads of the sign-in page from one office were an operators' burst.
 */
const NO_CREDENTIAL_TRIED = 'missing';

interface UsedData {
  key_id?: string;
  key_prefix?: string;
  /** oauth_token.used: the grant (an app connected over MCP) whose token made the request. */
  grant_id?: string;
  client_id?: string;
  error_code?: string | null;
  status?: number;
  ip?: string;
  location?: { country: string; city: string | null } | null;
  coordinates?: [number, number] | null;
  reason?: string;
}

/**
 * A key reported as found in public (PRODUCT.md §11) is revoked by key-service with reason `leaked`;
 * its owner learns of it through a high alert, like GitHub's secret-scanning alerts.
 */
function leakFindings(event: EventEnvelope): Finding[] {
  const data = event.data as { reason?: string; key_prefix?: string; source_url?: string };
  const keyId = event.meta.key_id;
  if (data.reason !== 'leaked' || !keyId) return [];
  return [
    {
      rule: 'key_leaked',
      severity: 'high',
      account_id: event.meta.account_id,
      key_id: keyId,
      ...(data.key_prefix ? { key_prefix: data.key_prefix } : {}),
      dedup_key: `key_leaked:${keyId}`,
      at: event.occurred_at,
      // The URL comes from whoever reported: it stays in the evidence, out of the sentence people act on.
      summary: 'The key was reported as exposed in public and has been revoked.',
      evidence: {
        observed: 'reported leaked',
        window: 'report',
        ...(data.source_url ? { samples: [data.source_url] } : {}),
      },
    },
  ];
}

/** Why key-service revokes a grant when a code or refresh token comes back (OAuth 2.1 §4.1.3, §4.3.1). */
const REUSE_REVOCATIONS: Partial<Record<OAuthGrantRevokeReason, { observed: string; summary: string }>> = {
  refresh_token_reuse: {
    observed: 'a refresh token used a second time',
    summary:
      "A connected app's access was revoked because one of its refresh tokens was used twice: the token may have been stolen.",
  },
  code_reuse: {
    observed: 'an authorization code used a second time',
    summary:
      "A connected app's access was revoked because its authorization code was used twice: the code may have been intercepted.",
  },
};

/**
 * An OAuth grant revoked because a code or refresh token was replayed: one of the two users of the token is
 * not the app, and its owner should know (the grant is already revoked, so nothing is left to auto-revoke).
 * The app's self-chosen name stays in the evidence, out of the sentence, like a leak's source URL.
 */
function tokenReuseFindings(event: EventEnvelope): Finding[] {
  const data = event.data as {
    grant_id?: string;
    client_id?: string;
    client_name?: string;
    reason?: string;
    first_use_ip?: string | null;
  };
  const reuse = data.reason ? REUSE_REVOCATIONS[data.reason as OAuthGrantRevokeReason] : undefined;
  if (!reuse || !data.grant_id || !event.meta.account_id) return [];
  // The thief may have used the token first: both addresses, neither called the app's.
  const ips = [...new Set([data.first_use_ip, event.meta.ip].filter((ip): ip is string => typeof ip === 'string'))];
  return [
    {
      rule: 'oauth_token_reuse',
      severity: 'high',
      account_id: event.meta.account_id,
      dedup_key: `oauth_token_reuse:${data.grant_id}`,
      at: event.occurred_at,
      summary: reuse.summary,
      evidence: {
        observed: reuse.observed,
        window: 'one token',
        ...(ips.length > 0 ? { ips } : {}),
        ...(data.first_use_ip ? { first_use_ip: data.first_use_ip } : {}),
        ...(event.meta.ip ? { reuse_ip: event.meta.ip } : {}),
        ...(data.client_name ? { samples: [data.client_name] } : {}),
        client_id: data.client_id,
        grant_id: data.grant_id,
      },
    },
  ];
}

/**
 * Whose use the rules watch: an API key (`key.used`), or an app connected over MCP (`oauth_token.used`, one
 * OAuth grant). Both are learned alike; an app's state is kept under `grant:<grant id>`, and its findings
 * name the grant and client in their evidence instead of a key.
 */
interface Watched {
  /** Where its state is kept (`state.keys`, `detector_key_state`). */
  stateId: string;
  /** How the summaries name it. */
  noun: 'The key' | 'A connected app';
  /** What its findings carry: the key and prefix, or nothing (the app is in `evidence`). */
  named: Pick<Finding, 'key_id' | 'key_prefix'>;
  evidence: Record<string, unknown>;
}

/** The state id of a grant's use (see Watched). */
export const grantStateId = (grantId: string): string => `grant:${grantId}`;

/** The state an event is about, for the runner to read before the detector sees it; undefined for none. */
export function watchedStateId(event: EventEnvelope): string | undefined {
  const data = event.data as { key_id?: unknown; grant_id?: unknown };
  if (event.type === 'key.used') return typeof data.key_id === 'string' ? data.key_id : undefined;
  if (event.type === 'oauth_token.used' || event.type === 'oauth.grant_revoked')
    return typeof data.grant_id === 'string' ? grantStateId(data.grant_id) : undefined;
  return event.meta.key_id;
}

/** Great-circle distance in km (haversine). */
export function distanceKm(a: [number, number], b: [number, number]): number {
  const rad = Math.PI / 180;
  const dLat = (b[0] - a[0]) * rad;
  const dLon = (b[1] - a[1]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

const PRUNE_EVERY_MS = 60_000;
/** How long a revoked or expired key's state is kept: uses in flight still find its history. */
export const RETIRED_STATE_MS = 3_600_000;
const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, number>();
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The zone's offset from UTC during the hour containing `at`, in ms. Intl is slow (tens of µs a
 * call): ask it once per zone and hour, not once per event. (Zones whose offset changes at a
 * half-hour are off by their change for that half hour.)
 */
function offsetMs(at: number, timezone: string): number {
  if (timezone === 'UTC') return 0;
  const hour = Math.floor(at / HOUR_MS);
  const cacheKey = `${timezone}|${hour}`;
  const cached = offsets.get(cacheKey);
  if (cached !== undefined) return cached;
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  const parts = Object.fromEntries(
    formatter.formatToParts(new Date(hour * HOUR_MS)).map((part) => [part.type, Number(part.value)]),
  );
  const offset = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute) - hour * HOUR_MS;
  if (offsets.size > 10_000) offsets.clear();
  offsets.set(cacheKey, offset);
  return offset;
}

/** ISO weekday 1–7, minutes since local midnight and hour of the week (0–167) of an instant in a time zone. */
export function localTime(at: number, timezone: string): { day: number; minutes: number; hourOfWeek: number } {
  const local = at + offsetMs(at, timezone);
  // 1970-01-01 was a Thursday (ISO day 4).
  const day = ((Math.floor(local / DAY_MS) + 3) % 7) + 1;
  const minutes = Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / 60_000);
  return { day, minutes, hourOfWeek: (day - 1) * 24 + Math.floor(minutes / 60) };
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/**
 * Whether an instant falls in a working day. A day that crosses midnight (end before start) runs into the
 * next calendar day: the part after midnight belongs to the day it started on (Sunday's runs into Monday).
 */
export function withinWorkingHours(at: number, hours: WorkingHours): boolean {
  const local = localTime(at, hours.timezone);
  const start = minutesOf(hours.start);
  const end = minutesOf(hours.end);
  if (start < end) return hours.days.includes(local.day) && local.minutes >= start && local.minutes < end;
  if (local.minutes >= start) return hours.days.includes(local.day);
  const previousDay = local.day === 1 ? 7 : local.day - 1;
  return local.minutes < end && hours.days.includes(previousDay);
}

/** How a spike's summary puts what is usual: a young key has no baseline yet, and "a usual 0.0" reads as a bug. */
function usualVolume(young: boolean, baseline: number): string {
  if (young) return 'in its first day (no usual volume learned yet)';
  if (baseline < 0.05) return 'where it usually makes almost none';
  return `against a usual ${baseline.toFixed(1)}`;
}

/** The `burstIps` entry of a burst against one key prefix from an address (an IP holds no space). */
const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** ISO days (1 = Monday) in words, runs joined: [1,2,3,4,5] "Mon–Fri", [1,3,6,7] "Mon, Wed, Sat–Sun". */
export function describeDays(days: readonly number[]): string {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  if (sorted.length === 7) return 'every day';
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; i += 1) {
    let end = i;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end] + 1) end += 1;
    const first = DAY_NAMES[sorted[i] - 1];
    runs.push(end === i ? first : `${first}–${DAY_NAMES[sorted[end] - 1]}`);
    i = end;
  }
  return runs.join(', ');
}

const prefixBurstName = (ip: string): string => `${ip} prefix`;
/** The `burstIps` entry of an account's share in a burst from an address whose failures were not all its own. */
const accountBurstName = (ip: string, accountId: string): string => `${ip} account ${accountId}`;

/** A record's own entry only: names come from events (`constructor` is an IP nobody should crash us with). */
function own<T>(record: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

/** Sets an own entry whatever the name (a `__proto__` entry stays data, not a prototype). */
export function put(record: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
}

export class Detector {
  /** Keys and failure-window entries whose state changed since the last `takeChanges()`. */
  private readonly changedKeys = new Set<string>();
  private readonly changedWindows = new Map<string, [WindowBucket, string]>();
  /** The minute of event time of the last sweep (see `prune`). */
  private lastPruneMinute = -Infinity;
  /** Revoked or expired keys whose state is still kept (see `retiredAt`). */
  private readonly retiredKeys: Set<string>;

  constructor(
    private readonly config: DetectorConfig = DEFAULT_DETECTOR_CONFIG,
    readonly state: DetectorState = emptyState(),
    /** The account's working hours, if it configured them. */
    private readonly workingHours: (accountId: string) => WorkingHours | null = () => null,
  ) {
    this.retiredKeys = new Set(
      Object.entries(state.keys)
        .filter(([, key]) => key.retiredAt !== undefined)
        .map(([keyId]) => keyId),
    );
  }

  /** Whether this key's state is in memory (the runner reads the others from the database first). */
  holds(keyId: string): boolean {
    return Object.hasOwn(this.state.keys, keyId);
  }

  /** How many keys' states are in memory. */
  get keyCount(): number {
    return Object.keys(this.state.keys).length;
  }

  /** States read from the database for keys not in memory yet (a key already held keeps its state). */
  adoptKeys(keys: readonly [string, KeyState][]): void {
    for (const [keyId, key] of keys) {
      if (this.holds(keyId)) continue;
      put(this.state.keys, keyId, key);
      if (key.retiredAt !== undefined) this.retiredKeys.add(keyId);
    }
  }

  /**
   * Drops every key's state from memory; it is all stored (call right after `takeChanges`), and read
   * again when needed. Bounds the memory of a long-running detector.
   */
  releaseKeys(): void {
    if (this.changedKeys.size > 0) throw new Error('releaseKeys: changes not taken yet');
    for (const keyId of Object.keys(this.state.keys)) delete this.state.keys[keyId];
    this.retiredKeys.clear();
  }

  /** `at`: the event's time in ms, when the caller has parsed it already. */
  observe(event: EventEnvelope, at: number = Date.parse(event.occurred_at)): Finding[] {
    const findings = this.findingsOf(event, at);
    this.prune(at);
    return findings;
  }

  private findingsOf(event: EventEnvelope, at: number): Finding[] {
    const data = event.data as UsedData;
    if (event.type === 'key.revoked' || event.type === 'key.expired') {
      if (event.meta.key_id) this.retire(event.meta.key_id, at);
      return event.type === 'key.revoked' ? leakFindings(event) : [];
    }
    if (event.type === 'oauth.grant_revoked') {
      if (typeof data.grant_id === 'string') this.retire(grantStateId(data.grant_id), at);
      return tokenReuseFindings(event);
    }
    if (event.type === 'auth.failed') return this.failed(event, data, at);
    const succeeded = (data.status ?? 200) < 400;
    // String ids only: the runner read the state of exactly these (watchedStateId). Every request a key was
    // admitted for is a use of it, whatever the answer: a stolen key walking through ids gets 404s, from a new
    // country, at night. Only a success escalates a burst (`succeeded`).
    if (event.type === 'key.used' && typeof data.key_id === 'string')
      return this.used(event, data, at, succeeded, {
        stateId: data.key_id,
        noun: 'The key',
        named: { key_id: data.key_id, ...(data.key_prefix ? { key_prefix: data.key_prefix } : {}) },
        evidence: {},
      });
    // An MCP request refused inside its 200 (error_code), or for its token's scope (403), did nothing: the app's
    // token was not accepted for it, as a key refused for its integration is a failed authentication.
    if (event.type === 'oauth_token.used' && typeof data.grant_id === 'string' && succeeded && !data.error_code)
      return this.used(event, data, at, succeeded, {
        stateId: grantStateId(data.grant_id),
        noun: 'A connected app',
        named: {},
        evidence: { grant_id: data.grant_id, ...(data.client_id ? { client_id: data.client_id } : {}) },
      });
    return [];
  }

  /** A revoked key or grant is not used again: what was learned of it goes, once uses in flight are in. */
  private retire(stateId: string, at: number): void {
    const state = own(this.state.keys, stateId);
    if (!state || state.retiredAt !== undefined) return;
    state.retiredAt = at;
    this.retiredKeys.add(stateId);
    this.changedKeys.add(stateId);
  }

  /**
   * The state that changed since the last call, for the runner to store: every key's state and every
   * failure-window entry is kept apart, so that a batch writes what it touched, not all there is.
   */
  takeChanges(): DetectorChanges {
    const keys: [string, KeyState][] = [];
    const removedKeys: string[] = [];
    for (const keyId of this.changedKeys) {
      const state = own(this.state.keys, keyId);
      if (state) keys.push([keyId, state]);
      else removedKeys.push(keyId);
    }
    const windows = [...this.changedWindows.values()].map(([bucket, name]) => ({
      bucket,
      name,
      value: own<unknown>(this.state[bucket], name) ?? null,
    }));
    this.changedKeys.clear();
    this.changedWindows.clear();
    return { keys, removedKeys, windows };
  }

  /** A resolution as `legitimate` teaches the baseline: that country, or those hours of the week, are trusted for the key. */
  learnLegitimate(rule: Rule, keyId: string | undefined, evidence: Record<string, unknown>): void {
    const key = keyId ? own(this.state.keys, keyId) : undefined;
    if (!key || !keyId) return;
    this.changedKeys.add(keyId);
    if (
      rule === 'new_location' &&
      typeof evidence.country === 'string' &&
      !key.trustedCountries.includes(evidence.country)
    ) {
      key.trustedCountries.push(evidence.country);
    }
    if (rule === 'off_hours') {
      // Every hour the alert was raised for (its repeats folded in), or the one hour of an alert stored before
      // they were gathered. In the account's time zone when working hours were set, else in UTC.
      const hours = Array.isArray(evidence.hours_of_week) ? evidence.hours_of_week : [evidence.hour_of_week];
      const list = evidence.hour_basis === 'local' ? (key.trustedLocalHours ??= []) : key.hoursOfWeek;
      for (const hour of hours) if (typeof hour === 'number' && !list.includes(hour)) list.push(hour);
    }
  }

  private used(event: EventEnvelope, data: UsedData, at: number, succeeded: boolean, watched: Watched): Finding[] {
    const { stateId, noun } = watched;
    const accountId = event.meta.account_id;
    const key = (this.state.keys[stateId] = own(this.state.keys, stateId) ?? {
      firstSeen: at,
      window: Math.floor(at / this.config.spikeWindowMs),
      windowCount: 0,
      baseline: null,
      spikeAlertedWindow: null,
      hoursOfWeek: [],
      countries: {},
      trustedCountries: [],
    });
    this.changedKeys.add(stateId);
    const base = { account_id: accountId, ...watched.named, at: event.occurred_at };
    const findings: Finding[] = [];
    const found = (
      finding: Pick<Finding, 'rule' | 'severity' | 'summary' | 'evidence'> | undefined,
      dedupKey: string,
    ): void => {
      if (finding)
        findings.push({
          ...base,
          ...finding,
          evidence: { ...finding.evidence, ...watched.evidence },
          dedup_key: dedupKey,
        });
    };
    found(this.spike(key, at, noun), `request_spike:${stateId}`);
    // Hours of the account's working time and hours of the week in UTC are not comparable: one alert each, so that
    // resolving one as legitimate teaches its own kind of hour.
    const offHours = this.offHours(key, accountId, at, noun);
    found(offHours, `off_hours:${stateId}${offHours?.evidence.hour_basis === 'local' ? ':local' : ''}`);
    found(this.newLocation(key, data, at, noun), `new_location:${stateId}:${data.location?.country}`);
    // A success right after a burst from the same address escalates the burst's own alert: the same
    // account's, or the operators' (then without naming a key, which belongs to some tenant). Both kinds
    // of burst: failures from the address, and failures from it against one key prefix.
    // An account's share of a mixed burst and the address's own entry are never one alert's: the address's entry
    // is the operators' while shares exist, and becoming an account's removes that account's share (addressBurst).
    const share = data.ip && accountId && succeeded ? accountBurstName(data.ip, accountId) : undefined;
    const burstNames = data.ip && succeeded ? [data.ip, prefixBurstName(data.ip)] : [];
    if (share) burstNames.push(share);
    for (const name of burstNames) {
      const burst = own(this.state.burstIps, name);
      const sameOwner = burst && (burst.account_id === null || burst.account_id === accountId);
      if (!burst || !sameOwner || burst.escalated || at - burst.at > this.config.burstWindowMs) continue;
      // The account's own burst names what succeeded (the key, or the app); the operators' names no tenant's.
      const ours = burst.account_id === accountId;
      findings.push({
        rule: 'failed_auth_burst',
        severity: 'high',
        account_id: burst.account_id,
        ...(ours && watched.named.key_id ? watched.named : {}),
        at: event.occurred_at,
        dedup_key: burst.dedup_key,
        summary: `A request from ${data.ip} succeeded right after a burst of failed authentications from the same address.`,
        evidence: {
          observed: 'success after burst',
          window: windowNames(this.config.burstWindowMs).label,
          ips: [data.ip as string],
          ...(ours ? watched.evidence : {}),
        },
      });
      // An account's share stays, marked, so that the burst's later failures are not told to it again.
      if (name === share) this.state.burstIps[name] = { ...burst, escalated: true };
      else delete this.state.burstIps[name];
      this.windowChanged('burstIps', name);
    }
    return findings;
  }

  private spike(
    key: KeyState,
    at: number,
    noun: Watched['noun'],
  ): Pick<Finding, 'rule' | 'severity' | 'summary' | 'evidence'> | undefined {
    const {
      spikeWindowMs,
      spikeAlpha,
      spikeIdleKeepMs,
      spikeMinCount,
      spikeFactor,
      spikeHighFactor,
      newKeyGraceMs,
      spikeExtremeCount,
    } = this.config;
    const window = Math.floor(at / spikeWindowMs);
    if (window > key.window) {
      // Close the finished window. Windows without a request are left out: the baseline is the key's usual
      // volume while it is in use, so a night, a weekend or a lunch break without requests does not make the
      // next morning's ordinary traffic look like a spike against "a usual 0". A longer pause does count, past
      // its first days: a key dormant for weeks (perhaps stolen since) starts again from little.
      key.baseline =
        key.baseline === null ? key.windowCount : spikeAlpha * key.windowCount + (1 - spikeAlpha) * key.baseline;
      const idleWindows = window - key.window - 1;
      const keptWindows = Math.floor(spikeIdleKeepMs / spikeWindowMs);
      if (idleWindows > keptWindows) key.baseline *= (1 - spikeAlpha) ** (idleWindows - keptWindows);
      key.window = window;
      key.windowCount = 0;
    }
    key.windowCount += 1;
    const baseline = key.baseline ?? 0;
    const young = at - key.firstSeen < newKeyGraceMs;
    const threshold = young ? spikeExtremeCount : Math.max(spikeMinCount, spikeFactor * baseline);
    if (key.windowCount <= threshold) return undefined;
    const high = !young && baseline > 0 && key.windowCount > spikeHighFactor * baseline;
    // One finding when the window crosses the threshold, and one more if it goes on past 50 × (severity rises).
    if (key.spikeAlertedWindow === window && (!high || key.spikeAlertedHigh)) return undefined;
    key.spikeAlertedHigh = key.spikeAlertedWindow === window || high ? high : false;
    key.spikeAlertedWindow = window;
    return {
      rule: 'request_spike',
      severity: high ? 'high' : 'medium',
      summary: `${noun} made more than ${Math.floor(threshold)} requests in ${windowNames(spikeWindowMs).words}, ${usualVolume(young, baseline)}.`,
      evidence: {
        observed: key.windowCount,
        baseline: Number(baseline.toFixed(2)),
        window: windowNames(spikeWindowMs).label,
        threshold: Math.floor(threshold),
      },
    };
  }

  private offHours(
    key: KeyState,
    accountId: string | null,
    at: number,
    noun: Watched['noun'],
  ): Pick<Finding, 'rule' | 'severity' | 'summary' | 'evidence'> | undefined {
    const hours = accountId ? this.workingHours(accountId) : null;
    if (hours) {
      if (withinWorkingHours(at, hours)) return undefined;
      const local = localTime(at, hours.timezone);
      if (key.trustedLocalHours?.includes(local.hourOfWeek)) return undefined;
      return {
        rule: 'off_hours',
        severity: 'low',
        summary: `${noun} was used outside the account's working hours (${describeDays(hours.days)} ${hours.start}–${hours.end}, ${hours.timezone}).`,
        evidence: {
          observed: new Date(at).toISOString(),
          window: `${hours.start}-${hours.end}`,
          timezone: hours.timezone,
          days: hours.days,
          hour_of_week: local.hourOfWeek,
          hours_of_week: [local.hourOfWeek],
          hour_basis: 'local',
        },
      };
    }
    const hourOfWeek = localTime(at, 'UTC').hourOfWeek;
    const known = key.hoursOfWeek.includes(hourOfWeek);
    if (!known) key.hoursOfWeek.push(hourOfWeek);
    if (known || at - key.firstSeen < this.config.offHoursHistoryMs) return undefined;
    return {
      rule: 'off_hours',
      severity: 'low',
      summary: `${noun} was used in an hour of the week (UTC) in which it was never used in ${Math.floor((at - key.firstSeen) / 86_400_000)} days.`,
      evidence: {
        observed: new Date(at).toISOString(),
        baseline: 'hours of the week seen so far',
        window: '1h',
        hour_of_week: hourOfWeek,
        hours_of_week: [hourOfWeek],
        hour_basis: 'utc',
      },
    };
  }

  private newLocation(
    key: KeyState,
    data: UsedData,
    at: number,
    noun: Watched['noun'],
  ): Pick<Finding, 'rule' | 'severity' | 'summary' | 'evidence'> | undefined {
    const country = data.location?.country;
    if (!country || country === 'local') return undefined;
    const previous = key.lastPlace;
    if (data.coordinates) key.lastPlace = { at, latitude: data.coordinates[0], longitude: data.coordinates[1] };
    const known = Object.keys(key.countries);
    const lastSeen = own(key.countries, country);
    key.countries[country] = at;
    const fresh = lastSeen === undefined || at - lastSeen > this.config.locationMemoryMs;
    if (known.length === 0 || !fresh || key.trustedCountries.includes(country)) return undefined;
    // Faster than a plane between the last place and this one: the same key in two places at once.
    let speedKmh: number | undefined;
    if (previous && data.coordinates) {
      const hours = Math.max((at - previous.at) / 3_600_000, 1 / 60);
      speedKmh = distanceKm([previous.latitude, previous.longitude], data.coordinates) / hours;
    }
    const impossible = speedKmh !== undefined && speedKmh > this.config.maxTravelKmh;
    return {
      rule: 'new_location',
      severity: impossible ? 'high' : 'medium',
      summary: `${noun} was used from ${country}${data.location?.city ? ` (${data.location.city})` : ''}, a country it was not used from in the last ${windowNames(this.config.locationMemoryMs).words}${impossible ? `, implying travel at ${Math.round(speedKmh as number)} km/h` : ''}.`,
      evidence: {
        observed: country,
        baseline: known.filter((c) => c !== country),
        window: windowNames(this.config.locationMemoryMs).label,
        locations: [data.location],
        ips: data.ip ? [data.ip] : [],
        country,
        ...(speedKmh !== undefined ? { travel_kmh: Math.round(speedKmh) } : {}),
      },
    };
  }

  private failed(event: EventEnvelope, data: UsedData, at: number): Finding[] {
    const findings: Finding[] = [];
    const accountId = event.meta.account_id;
    const base = {
      account_id: accountId,
      ...(data.key_id ? { key_id: data.key_id } : {}),
      ...(data.key_prefix ? { key_prefix: data.key_prefix } : {}),
      at: event.occurred_at,
    };
    if ((data.reason === 'revoked' || data.reason === 'expired') && data.key_id) {
      findings.push({
        ...base,
        rule: 'revoked_key_use',
        severity: 'medium',
        dedup_key: `revoked_key_use:${data.key_id}`,
        summary: `Someone tried to use ${data.reason === 'expired' ? 'an expired' : 'a revoked'} key${data.ip ? ` from ${data.ip}` : ''}.`,
        evidence: { observed: data.reason, window: 'each attempt', ips: data.ip ? [data.ip] : [] },
      });
    }
    if (data.reason && REFUSED_AFTER_AUTHENTICATION.has(data.reason)) return findings;
    if (data.reason === NO_CREDENTIAL_TRIED) return findings;
    const inWindow = (t: number) => at - t <= this.config.burstWindowMs;
    // A burst names no key of its own, even when this failure's key resolved (revoked, expired, suspended): its
    // failures are against a prefix anyone can send, so auto-revoke must not act on it (only a success does).
    const { key_id: _failedKey, ...burstBase } = base;
    const prefixBurst = data.key_prefix
      ? this.prefixBurst(data, data.key_prefix, accountId, at, inWindow, burstBase)
      : undefined;
    if (data.ip) {
      const recent = recentFailures(own(this.state.failuresByIp, data.ip), inWindow);
      recent.push(data.key_prefix ? [at, accountId ?? null, data.key_prefix] : [at, accountId ?? null]);
      this.state.failuresByIp[data.ip] = recent;
      this.windowChanged('failuresByIp', data.ip);
      const count = recent.length;
      // One address failing against one key prefix is one attack: the prefix's burst (which fires first with the
      // default thresholds, 5 against 10) tells it, names the prefix and is escalated by a success from that
      // address. The address's own burst is raised when its failures go beyond that prefix (several keys tried,
      // or none readable), or when the prefix's threshold is set above the address's (its alert came first).
      const toldByPrefixBurst =
        this.config.burstPerPrefix <= this.config.burstPerIp &&
        prefixBurst &&
        recent.every(([, , prefix]) => prefix === data.key_prefix);
      if (count >= this.config.burstPerIp && !toldByPrefixBurst)
        findings.push(...this.addressBurst(data.ip, recent, accountId ?? null, at, event.occurred_at));
    }
    if (prefixBurst) findings.push(prefixBurst);
    return findings;
  }

  /**
   * The findings of a burst of failures from one address. Every failure against one account's keys: that
   * account's alert. Otherwise (several accounts, or failures tied to none) the operators' alert, and each
   * account with at least half of a burst's worth of failures in the window hears of it too (PRODUCT.md §9.2:
   * only bursts tied to no account are the operators' alone; an account with a stray failure or two from a
   * busy shared address is not alarmed): once when its share is first enough, then on each failure against it
   * (never again for another's failure while its share lasts).
   * An address's burst names no key: its failures may be against several.
   */
  private addressBurst(
    ip: string,
    recent: IpFailure[],
    accountId: string | null,
    at: number,
    occurredAt: string,
  ): Finding[] {
    const count = recent.length;
    const dedup = `failed_auth_burst:ip:${ip}`;
    const finding = (account: string | null, summary: string): Finding => ({
      account_id: account,
      at: occurredAt,
      rule: 'failed_auth_burst',
      severity: 'medium',
      dedup_key: dedup,
      summary,
      evidence: { observed: count, window: windowNames(this.config.burstWindowMs).label, ips: [ip] },
    });
    const remember = (name: string, account: string | null) => {
      this.state.burstIps[name] = { at, account_id: account, dedup_key: dedup };
      this.windowChanged('burstIps', name);
    };
    const told = `${countOf(count)} failed authentications from ${ip} within ${windowNames(this.config.burstWindowMs).words}`;
    if (accountId !== null && recent.every(([, account]) => account === accountId)) {
      remember(ip, accountId);
      // The account's share of an earlier mixed burst is this same alert now: one entry escalates it, once.
      if (own(this.state.burstIps, accountBurstName(ip, accountId))) {
        delete this.state.burstIps[accountBurstName(ip, accountId)];
        this.windowChanged('burstIps', accountBurstName(ip, accountId));
      }
      return [finding(accountId, `${told}.`)];
    }
    remember(ip, null);
    const findings = [finding(null, `${told}.`)];
    const failuresOf = new Map<string, number>();
    for (const [, account] of recent) if (account !== null) failuresOf.set(account, (failuresOf.get(account) ?? 0) + 1);
    // The count reaches the threshold one failure at a time: equal to it is the crossing.
    for (const [account, theirs] of failuresOf) {
      if (theirs < Math.ceil(this.config.burstPerIp / 2)) continue;
      // Told once when its share is first enough (whenever that is), then on each failure against it only.
      const share = own(this.state.burstIps, accountBurstName(ip, account));
      if (account !== accountId && share && at - share.at <= this.config.burstWindowMs) continue;
      remember(accountBurstName(ip, account), account);
      findings.push(finding(account, `${told}, ${theirs} of them against this account's keys.`));
    }
    return findings;
  }

  /** Counts a failure against `prefix`; the burst's finding once the prefix has had enough within the window. */
  private prefixBurst(
    data: UsedData,
    prefix: string,
    accountId: string | null | undefined,
    at: number,
    inWindow: (t: number) => boolean,
    base: Pick<Finding, 'account_id' | 'key_prefix' | 'at'>,
  ): Finding | undefined {
    const recent = recentFailures(own(this.state.failuresByPrefix, prefix), inWindow);
    recent.push([at, data.ip ?? null]);
    this.state.failuresByPrefix[prefix] = recent;
    this.windowChanged('failuresByPrefix', prefix);
    const count = recent.length;
    if (count < this.config.burstPerPrefix) return undefined;
    const dedup = `failed_auth_burst:prefix:${prefix}`;
    // Every address of the burst (a spread attack uses many), each with its own latest failure.
    const lastFailureOf = new Map<string, number>();
    for (const [t, ip] of recent) if (ip) lastFailureOf.set(ip, Math.max(t, lastFailureOf.get(ip) ?? t));
    const addressCount = lastFailureOf.size;
    const byRecency = [...lastFailureOf].sort(([, a], [, b]) => a - b);
    // The latest 20 in the evidence, as every list of an alert.
    const ips = byRecency.slice(-20).map(([ip]) => ip);
    // Remembered by address, so that a success from any of them escalates this alert too, for as long as
    // that address's own failures are recent. Every address when the burst begins; then each new failure's.
    const remembered = count === this.config.burstPerPrefix ? byRecency : data.ip ? [[data.ip, at] as const] : [];
    for (const [ip, lastAt] of remembered) {
      this.state.burstIps[prefixBurstName(ip)] = { at: lastAt, account_id: accountId ?? null, dedup_key: dedup };
      this.windowChanged('burstIps', prefixBurstName(ip));
    }
    return {
      ...base,
      rule: 'failed_auth_burst',
      severity: 'medium',
      dedup_key: dedup,
      summary: `${countOf(count)} failed authentications against keys starting ${prefix} within ${windowNames(this.config.burstWindowMs).words}${addressCount > 1 ? ` from ${addressCount} addresses` : ''}.`,
      evidence: { observed: count, window: windowNames(this.config.burstWindowMs).label, ips },
    };
  }

  private windowChanged(bucket: WindowBucket, name: string): void {
    this.changedWindows.set(`${bucket}\u0000${name}`, [bucket, name]);
  }

  /**
   * Once a minute of event time, forgets failure-window entries whose newest failure is two windows old
   * and the state of keys revoked an hour ago, so the state does not grow without end. The rules never
   * look that far back (events arrive out of order by far less), so this changes no finding: a replay
   * gives the same alerts whenever it prunes.
   */
  private prune(at: number): void {
    const minute = Math.floor(at / PRUNE_EVERY_MS);
    if (minute <= this.lastPruneMinute) return;
    this.lastPruneMinute = minute;
    const expired = (newest: number) => at - newest > 2 * this.config.burstWindowMs;
    for (const bucket of ['failuresByIp', 'failuresByPrefix'] as const)
      for (const [name, failures] of Object.entries(this.state[bucket]))
        if (expired(newestOf(failures))) {
          delete this.state[bucket][name];
          this.windowChanged(bucket, name);
        }
    for (const [ip, burst] of Object.entries(this.state.burstIps))
      if (expired(burst.at)) {
        delete this.state.burstIps[ip];
        this.windowChanged('burstIps', ip);
      }
    for (const keyId of this.retiredKeys) {
      const key = own(this.state.keys, keyId);
      if (key && at - (key.retiredAt ?? at) <= RETIRED_STATE_MS) continue;
      delete this.state.keys[keyId];
      this.retiredKeys.delete(keyId);
      this.changedKeys.add(keyId);
    }
  }
}
