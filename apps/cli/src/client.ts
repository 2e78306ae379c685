/**
 * The API client of the CLI: the key as a Bearer token, `User-Agent: vibexp-cli/<version>`, and retries of
 * idempotent requests on 429 and 5xx (and lost connections), honouring Retry-After, else exponential
 * backoff with jitter (PRODUCT.md §12).
 */

export const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
export const MAX_RETRIES = 4;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
/** A Retry-After longer than this (an hourly limit that resets in 40 minutes) is reported, not waited for. */
export const MAX_RETRY_AFTER_MS = 60_000;
const TIMEOUT_MS = 30_000;

export interface ClientDeps {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  random: () => number;
  /** Where "retrying in…" notes go. */
  warn: (line: string) => void;
}

/** An answer of the API that is not a success, with its problem+json body when it has one. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly problem: { code?: string; detail?: string; title?: string; validation_errors?: unknown[] } | undefined,
    message: string,
    /** The path asked for (`/api/v1/auth/login`), when known: whether a 401 was about the key depends on it. */
    readonly path?: string,
  ) {
    super(message);
  }
}

/** Could not reach the API at all. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

/** A key no request could carry (caught before sending): an authentication error, as the API's 401 would be. */
export class MalformedKey extends Error {
  override readonly name = 'MalformedKey';
}

export interface RequestOptions {
  /** Retry this non-idempotent request too: the API answers a repeat as it answered the first. */
  retry?: boolean;
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
}

/** Seconds or an HTTP date, as milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Attempt n's delay (n from 0): half of the exponential step fixed, half random, capped. */
export function backoffMs(attempt: number, random: () => number): number {
  const step = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return Math.round(step / 2 + (random() * step) / 2);
}

/** Worth another try: the limit, and the server errors that pass (not 501 Not Implemented, 505 Version). */
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/**
 * What fetch throws when the request never got an answer: a network failure (a TypeError with its cause)
 * or our timeout. Anything else (a header it refuses, a GET with a body) is a mistake, never retried.
 */
function networkFailure(error: unknown): boolean {
  const name = (error as Error)?.name;
  return name === 'AbortError' || name === 'TimeoutError' || (error instanceof TypeError && error.cause !== undefined);
}

/**
 * A network failure in words, and whether it is worth another try. No server at the address, no such host and a
 * TLS failure stay as they are (a server being restarted is back before a user reads the message), so they are said at once, with what to check (`https://` against a plain-http
 * server is the common one), instead of four retries of OpenSSL's text.
 */
export function connectionFailure(error: Error, base: URL, timeoutMs: number): { reason: string; transient: boolean } {
  if (error.name === 'TimeoutError' || error.name === 'AbortError')
    return { reason: `no answer within ${Number((timeoutMs / 1000).toPrecision(3))} s`, transient: true };
  const cause = error.cause as (Error & { code?: string }) | undefined;
  const code = cause?.code ?? '';
  const where = base.host;
  if (code === 'ENOTFOUND') return { reason: `no such host ${base.hostname}: check VIBEXP_BASE_URL`, transient: false };
  if (code === 'ECONNREFUSED')
    return {
      reason: `nothing is listening at ${where}: is the platform running there, and is VIBEXP_BASE_URL right?`,
      transient: false,
    };
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO' || /^ERR_SSL_.*(RECORD|PACKET|HTTP)/.test(code))
    return {
      reason: `TLS failed (${code})${base.protocol === 'https:' ? `: ${where} seems to speak plain http; if so, write http:// in VIBEXP_BASE_URL` : ''}`,
      transient: false,
    };
  if (/CERT|SIGNATURE|^ERR_TLS_|^ERR_SSL_/.test(code))
    return {
      reason: `the TLS certificate of ${where} is not trusted (${code}); for a private CA, set NODE_EXTRA_CA_CERTS`,
      transient: false,
    };
  // A connection lost or timed out, a DNS server busy: another try a moment later may get past it.
  return { reason: causeText(error), transient: true };
}

/**
 * How long a request may take, all its tries and the pauses between them included: twice its wait for an answer,
 * at least 10 s (a minute at the default 30 s). Each try waits only for what is left of it, so a server that never
 * answers costs this, not another whole wait. (`hooks send` is a POST without an Idempotency-Key: never retried,
 * it takes its 5 s wait once.)
 */
const retryBudgetMs = (timeoutMs: number): number => Math.max(2 * timeoutMs, 10_000);

/** A key as it may go into a header: printable ASCII, no spaces. Never echoed when it is not. */
export function checkKeyShape(apiKey: string): string {
  const trimmed = apiKey.trim();
  if (!/^[\x21-\x7e]+$/.test(trimmed))
    throw new MalformedKey('the API key contains spaces or control characters: check for copy-paste errors');
  return trimmed;
}

export class ApiClient {
  private readonly base: URL;

  constructor(
    baseUrl: string,
    private apiKey: string | undefined,
    readonly userAgent: string,
    private readonly deps: ClientDeps,
    /** How long to wait for an answer's headers (a body, such as an export, may stream for longer). */
    private readonly timeoutMs = TIMEOUT_MS,
  ) {
    this.base = parseBaseUrl(baseUrl);
    if (apiKey !== undefined) this.apiKey = checkKeyShape(apiKey);
  }

  get baseUrl(): string {
    return this.base.href.replace(/\/$/, '');
  }

  /**
   * The URL of a path under the base URL (whose own path is kept: `https://h/vibexp` + `/api/v1/x`). A path
   * that would leave the base URL's origin (`//other.host/x`, `/\\other.host`) is refused: the key
   * goes to the configured API only.
   */
  url(path: string, query: RequestOptions['query'] = {}): string {
    const prefix = this.base.pathname.replace(/\/$/, '');
    const url = new URL(`${prefix}${path.startsWith('/') ? '' : '/'}${path}`, this.base.origin);
    if (url.origin !== this.base.origin)
      throw new RefusedPath(`the path ${JSON.stringify(path)} leaves ${this.base.origin}`);
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(name, String(value));
    return url.toString();
  }

  /** The raw response of a request (after retries), whatever its status. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {
      'user-agent': this.userAgent,
      accept: 'application/json',
      ...options.headers,
    };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const url = this.url(path, options.query);
    // A POST is retried only where the caller says it is safe (a create with an Idempotency-Key).
    const canRetry = IDEMPOTENT.has(method) || options.retry === true;
    // Retries stop once the next one would start after this, and the last one waits only until then: a server that
    // never answers costs a minute, not five half-minutes.
    const deadline = this.deps.now() + retryBudgetMs(this.timeoutMs);
    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      const waitMs = Math.max(1, Math.min(this.timeoutMs, deadline - this.deps.now()));
      try {
        response = await this.fetchHeaders(url, { method, headers, body }, waitMs);
      } catch (error) {
        if (!networkFailure(error)) throw error;
        const { reason, transient } = connectionFailure(error as Error, this.base, waitMs);
        const delay = backoffMs(attempt, this.deps.random);
        if (!canRetry || !transient || attempt >= MAX_RETRIES || this.deps.now() + delay > deadline)
          throw new ConnectionError(
            `cannot reach ${this.baseUrl}: ${reason}${attempt > 0 ? ` (${attempt + 1} attempts)` : ''}`,
          );
        this.deps.warn(`connection failed (${reason}); retrying in ${(delay / 1000).toFixed(1)} s`);
        await this.deps.sleep(delay);
        continue;
      }
      if (!canRetry || !RETRYABLE.has(response.status) || attempt >= MAX_RETRIES) return response;
      const asked = retryAfterMs(response.headers.get('retry-after'));
      if (asked !== undefined && asked > MAX_RETRY_AFTER_MS) return response;
      const delay = asked ?? backoffMs(attempt, this.deps.random);
      if (this.deps.now() + delay > deadline) return response;
      await response.body?.cancel();
      this.deps.warn(`${response.status} from the API; retrying in ${(delay / 1000).toFixed(1)} s`);
      await this.deps.sleep(delay);
    }
  }

  /** fetch, timed out only until the headers arrive: the body is the caller's to read, at its own pace. */
  private async fetchHeaders(url: string, init: RequestInit, waitMs: number): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('no answer in time', 'TimeoutError')), waitMs);
    try {
      return await this.deps.fetch(url, { ...init, signal: controller.signal });
    } catch (error) {
      throw controller.signal.aborted ? controller.signal.reason : error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A JSON request whose answer must be a success: its body, or an ApiError. */
  async json<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    if (!response.ok) throw await apiError(response, path);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    // Every answer the CLI reads but a delete's holds JSON: an empty one (a proxy's) is not the API's.
    if (!text && method !== 'DELETE')
      throw new ConnectionError(
        `${this.baseUrl} answered ${response.status} with an empty body: is it the VibeXP API?`,
      );
    try {
      return (text ? JSON.parse(text) : undefined) as T;
    } catch {
      throw new ConnectionError(
        `${this.baseUrl} answered ${response.status} with something that is not JSON: is it the VibeXP API?`,
      );
    }
  }
}

/** A path a command was given that would take the key elsewhere. */
export class RefusedPath extends Error {
  override readonly name = 'RefusedPath';
}

/** A URL's `user:password@`, shown as `…@`: a base URL quoted back in an error must not print a password. */
const withoutUserinfo = (text: string): string => text.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/?#@\s]*@/i, '$1…@');

/**
 * VIBEXP_BASE_URL as a URL. `localhost:3000` (no scheme) is refused with what to write instead; a URL ending in
 * `/api/v1` (as the API's own addresses are written) is taken without it, since every path adds it.
 */
function parseBaseUrl(baseUrl: string): URL {
  const withScheme = (text: string) => `http://${text.replace(/^\/+/, '')}`;
  const shown = withoutUserinfo(baseUrl.trim());
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(baseUrl.trim()))
    throw new ConnectionError(
      `VIBEXP_BASE_URL must be an http(s) URL with its scheme: write ${JSON.stringify(withScheme(shown))}, not ${JSON.stringify(shown)}`,
    );
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new ConnectionError(
      `VIBEXP_BASE_URL must be an http(s) URL such as http://localhost:3000, not ${JSON.stringify(shown)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConnectionError(`VIBEXP_BASE_URL must be an http(s) URL, not ${url.protocol}`);
  // fetch refuses a URL with credentials, and the API key is what signs in: said without echoing them.
  if (url.username || url.password)
    throw new ConnectionError(
      `VIBEXP_BASE_URL must not hold a user name or password (the API key signs in): write ${JSON.stringify(`${url.protocol}//${url.host}${url.pathname}`)}`,
    );
  url.search = '';
  url.hash = '';
  url.pathname = url.pathname.replace(/\/api\/v1\/?$/, '/');
  return url;
}

/** A base URL as compared and shown: `HTTP://Host:80/api/v1/` and `http://host` are the same one. */
export function canonicalBaseUrl(baseUrl: string): string {
  return parseBaseUrl(baseUrl).href.replace(/\/$/, '');
}

export async function apiError(response: Response, path?: string): Promise<ApiError> {
  return apiErrorOf(response, await response.text(), { path });
}

/** A wait as people say it: `40 s`, `57 min (at 14:03)`, `2 h 5 min (at 16:10)`, the clock time local. */
export function waitInWords(ms: number, now: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  const span = minutes < 90 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  const at = new Date(now + ms);
  const clock = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
  return `${span} (at ${clock})`;
}

/** The error of an answer whose body was already read: `STATUS CODE: detail`, and each field's message. */
export function apiErrorOf(
  response: Response,
  text: string,
  { path, now = Date.now() }: { path?: string; now?: number } = {},
): ApiError {
  let problem: ApiError['problem'];
  try {
    problem = JSON.parse(text) as ApiError['problem'];
  } catch {
    problem = undefined;
  }
  let detail = problem?.detail ?? (text.slice(0, 200) || 'no details');
  // When the limit resets, in minutes and clock time: the API's detail says `in 3367 s`; an answer without a
  // detail (a proxy's) gets it from Retry-After.
  const wait = response.status === 429 ? retryAfterMs(response.headers.get('retry-after'), now) : undefined;
  if (wait !== undefined) {
    const when = waitInWords(wait, now);
    if (problem?.detail && /\bin \d+ s\b/.test(problem.detail))
      detail = problem.detail.replace(/\bin \d+ s\b/, `in ${when}`);
    else if (!problem?.detail) detail += ` (the limit resets in ${when})`;
  }
  let message = `${response.status} ${problem?.code ?? response.statusText}: ${detail}`;
  for (const item of (problem?.validation_errors ?? []) as { field?: string; message?: string }[])
    message += `\n  ${item.field}: ${item.message}`;
  return new ApiError(response.status, problem, message, path);
}

/** Why a connection failed, said once: `connect ECONNREFUSED 127.0.0.1:3000`, not `Error: connect ECONNREFUSED…`. */
function causeText(error: Error): string {
  const cause = error.cause;
  if (cause instanceof Error) return cause.message;
  return cause === undefined ? error.message : String(cause);
}
