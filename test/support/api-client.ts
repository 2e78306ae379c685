import { randomUUID } from 'node:crypto';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (for bodies that are not JSON). */
  rawBody?: string;
  headers?: Record<string, string>;
  key?: string;
}

/** One HTTP call as a client would make it; the body is parsed when it is JSON. */
export async function call<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed as T };
}

export const PASSWORD = 'correct horse battery staple';

/** A dashboard user: the session cookie and CSRF token of a signed-in account. */
export class DashboardUser {
  private constructor(
    readonly baseUrl: string,
    readonly email: string,
    readonly account: { id: string; email: string; name: string; tier: string; status: string; created_at: string },
    public cookie: string,
    public csrfToken: string,
  ) {}

  static async signup(
    baseUrl: string,
    overrides: { email?: string; name?: string; password?: string } = {},
  ): Promise<DashboardUser> {
    const email = overrides.email ?? `user-${randomUUID().slice(0, 8)}@example.com`;
    const response = await fetch(`${baseUrl}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: overrides.password ?? PASSWORD, name: overrides.name ?? 'Test User' }),
    });
    if (response.status !== 201) throw new Error(`signup failed: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { user: DashboardUser['account']; csrf_token: string };
    return new DashboardUser(baseUrl, email, body.user, sessionCookie(response), body.csrf_token);
  }

  static async login(baseUrl: string, email: string, password = PASSWORD): Promise<DashboardUser> {
    const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { user: DashboardUser['account']; csrf_token: string };
    return new DashboardUser(baseUrl, email, body.user, sessionCookie(response), body.csrf_token);
  }

  /** A request with the session cookie, and the CSRF token on unsafe methods unless `csrf: false`. */
  request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: RequestOptions & { csrf?: string | false } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { cookie: `vx_session=${this.cookie}`, ...options.headers };
    const csrf = options.csrf === undefined ? this.csrfToken : options.csrf;
    if (!['GET', 'HEAD'].includes(method) && csrf !== false) headers['x-csrf-token'] = csrf;
    return call<T>(this.baseUrl, method, path, { ...options, headers });
  }

  /** Creates a key and returns the answer of POST /settings/api-keys. */
  async createKey(body: Record<string, unknown> = {}): Promise<{
    api_key: { id: string; key_prefix: string } & Record<string, unknown>;
    full_key: string;
    key_prefix: string;
  }> {
    const response = await this.request<{
      api_key: { id: string; key_prefix: string };
      full_key: string;
      key_prefix: string;
    }>('POST', '/api/v1/settings/api-keys', {
      body: { name: 'Test key', integrations: ['ai_tools', 'cli'], ...body },
    });
    if (response.status !== 201)
      throw new Error(`create key failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }
}

function sessionCookie(response: Response): string {
  const header = response.headers.getSetCookie().find((cookie) => cookie.startsWith('vx_session='));
  if (!header) throw new Error('no vx_session cookie was set');
  return header.split(';')[0].slice('vx_session='.length);
}
