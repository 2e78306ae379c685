import { createHash, randomBytes } from 'node:crypto';
import { DashboardUser, call } from '../support/api-client';
import { TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

type Body = Record<string, unknown>;
interface Tokens {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  scope: string;
}
interface RpcAnswer {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: Body & { content?: { type: string; text: string }[]; structuredContent?: Body; isError?: boolean };
  error?: { code: number; message: string };
}

const REDIRECT = 'http://127.0.0.1:9/callback';
const ADMIN_TOKEN = 'mcp-oauth-admin-token-0123456789';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

describe('MCP endpoint with OAuth 2.1 (PRODUCT.md §14)', () => {
  let platform: TestPlatform;
  let base: string;
  let resource: string;
  let owner: DashboardUser;
  let clientId: string;

  const form = (path: string, fields: Record<string, string>) =>
    call<Body>(base, 'POST', path, {
      rawBody: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

  /** A refresh-token grant of the test client (OAuth 2.1 §4.3). */
  const refreshWith = (refreshToken: string, extra: Record<string, string> = {}) =>
    form('/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, ...extra });

  const register = async (metadata: Body = {}) =>
    call<Body>(base, 'POST', '/oauth/register', {
      body: {
        client_name: 'Test MCP client',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        ...metadata,
      },
    });

  const authorizeQuery = (overrides: Record<string, string | undefined> = {}, challenge = pkce().challenge) => {
    const params: Record<string, string> = {};
    const all = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'state-123',
      resource,
      ...overrides,
    };
    for (const [name, value] of Object.entries(all)) if (value !== undefined) params[name] = value;
    return params;
  };

  /** The whole flow as a client and its user run it: consent, then the code for tokens. */
  const connect = async (user = owner, overrides: Record<string, string | undefined> = {}): Promise<Tokens> => {
    const { verifier, challenge } = pkce();
    const query = authorizeQuery(overrides, challenge);
    const decided = await user.request<{ redirect_to: string }>('POST', '/api/v1/oauth/authorization', {
      body: { ...query, decision: 'allow' },
    });
    expect(decided.status).toBe(200);
    const code = new URL(decided.body.redirect_to).searchParams.get('code') as string;
    const exchanged = await form('/oauth/token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: overrides.client_id ?? clientId,
      code_verifier: verifier,
      resource,
    });
    expect(exchanged.status).toBe(200);
    return exchanged.body as unknown as Tokens;
  };

  const mcp = (token: string, message: unknown, headers: Record<string, string> = {}) =>
    call<RpcAnswer>(base, 'POST', '/mcp/v1/common', {
      key: token,
      body: message,
      headers: { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', ...headers },
    });
  let sequence = 0;
  const rpc = async (token: string, method: string, params?: Body) => {
    const answer = await mcp(token, { jsonrpc: '2.0', id: ++sequence, method, ...(params ? { params } : {}) });
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const tool = async (token: string, name: string, args: Body) => {
    const answer = await rpc(token, 'tools/call', { name, arguments: args });
    expect(answer.error).toBeUndefined();
    return answer.result as NonNullable<RpcAnswer['result']>;
  };

  beforeAll(async () => {
    // Loopback is a trusted proxy: a test can say where a request came from (X-Forwarded-For).
    platform = await TestPlatform.start({ gatewayEnv: { ADMIN_TOKEN, TRUSTED_PROXIES: '127.0.0.1/32' } });
    base = platform.url('gateway');
    resource = `${base}/mcp/v1/common`;
    owner = await DashboardUser.signup(base);
    const registered = await register();
    expect(registered.status).toBe(201);
    clientId = registered.body.client_id as string;
  }, 90_000);
  afterAll(() => platform?.stop());

  describe('discovery', () => {
    it('answers the MCP endpoint without a token 401, pointing at the protected-resource metadata', async () => {
      const response = await call(base, 'POST', '/mcp/v1/common', { body: { jsonrpc: '2.0', id: 1, method: 'ping' } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(
        `Bearer realm="vibexp", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp/v1/common"`,
      );
    });

    it('serves RFC 9728 and RFC 8414 metadata that name each other', async () => {
      for (const path of [
        '/.well-known/oauth-protected-resource/mcp/v1/common',
        '/.well-known/oauth-protected-resource',
      ]) {
        const metadata = await call<Body>(base, 'GET', path);
        expect(metadata.status).toBe(200);
        expect(metadata.body).toMatchObject({
          resource,
          authorization_servers: [base],
          bearer_methods_supported: ['header'],
        });
      }
      const server = await call<Body>(base, 'GET', '/.well-known/oauth-authorization-server');
      expect(server.body).toMatchObject({
        issuer: base,
        authorization_endpoint: `${base}/oauth/authorize`,
        token_endpoint: `${base}/oauth/token`,
        registration_endpoint: `${base}/oauth/register`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none'],
      });
    });
  });

  describe('dynamic client registration (RFC 7591)', () => {
    it('registers a public client', async () => {
      const response = await register({
        client_name: '  Claude Code  ',
        grant_types: ['authorization_code', 'refresh_token'],
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.body).toMatchObject({
        client_name: 'Claude Code',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        response_types: ['code'],
      });
      expect(response.body).not.toHaveProperty('client_secret');
    });

    it('answers with what is registered, not what was asked: every client may refresh and ask for any scope', async () => {
      const response = await register({ grant_types: ['authorization_code'], scope: 'content:read' });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        grant_types: ['authorization_code', 'refresh_token'],
        scope: 'content:read content:write',
      });
    });

    it.each([
      [{ redirect_uris: [] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['http://evil.example.com/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://app.example.com/cb#frag'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://user:pw@app.example.com/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['not a uri'] }, 'invalid_redirect_uri'],
      [{ token_endpoint_auth_method: 'client_secret_basic' }, 'invalid_client_metadata'],
      [{ grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
      [{ response_types: ['token'] }, 'invalid_client_metadata'],
      [{ client_name: 'a\u0000b' }, 'invalid_client_metadata'],
      [{ client_name: 'x'.repeat(101) }, 'invalid_client_metadata'],
      [{ scope: 'admin' }, 'invalid_client_metadata'],
      [{ client_name: 'Claude\u202eedoC' }, 'invalid_client_metadata'],
      [{ redirect_uris: ['ms-msdt:/id'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['search-ms:query=x'] }, 'invalid_redirect_uri'],
    ])('refuses %j with %s', async (metadata, error) => {
      const response = await register(metadata);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error });
      expect(typeof response.body.error_description).toBe('string');
    });

    it('masks a key pasted as the app’s name, and refuses one in a redirect URI or client_uri without echoing it', async () => {
      const pasted = `vxk_${'ab12'.repeat(16)}`;
      const named = await register({ client_name: `tool ${pasted}` });
      expect(named.status).toBe(201);
      expect(named.body.client_name).toBe(`tool ${pasted.slice(0, 12)}…[REDACTED]`);
      for (const metadata of [
        { redirect_uris: [`https://app.example.com/cb/${pasted}`] },
        { redirect_uris: [`http://evil.example.com/${pasted}`] },
        { redirect_uris: [`https://app.example.com/cb?k=${pasted.replace('_', '%5F')}`] },
        { client_uri: `https://app.example.com/?k=${pasted.replace('vxk_', 'vxr_')}` },
      ]) {
        const refused = await register(metadata);
        expect(refused.status).toBe(400);
        expect(JSON.stringify(refused.body)).not.toContain(pasted.slice(12));
      }
      const withPassword = await register({ redirect_uris: ['https://user:Pa55word-XYZ@app.example.com/cb'] });
      expect([withPassword.status, withPassword.body.error]).toEqual([400, 'invalid_redirect_uri']);
      expect(JSON.stringify(withPassword.body)).not.toContain('Pa55word-XYZ');
    });

    it('accepts https, loopback http and private-use scheme redirect URIs', async () => {
      const response = await register({
        redirect_uris: [
          'https://app.example.com/cb',
          'http://localhost:3334/cb',
          'http://[::1]/cb',
          'cursor://anysphere.cursor-mcp/oauth/callback',
          'com.example.app:/oauth2redirect',
        ],
      });
      expect(response.status).toBe(201);
    });
  });

  describe('authorization endpoint', () => {
    const authorize = (params: Record<string, string>) =>
      fetch(`${base}/oauth/authorize?${new URLSearchParams(params)}`, { redirect: 'manual' });

    it('sends a valid request to the dashboard’s consent page', async () => {
      const query = authorizeQuery();
      const response = await authorize(query);
      expect(response.status).toBe(302);
      const location = response.headers.get('location') as string;
      expect(location.startsWith('/#/oauth/authorize?')).toBe(true);
      expect(Object.fromEntries(new URLSearchParams(location.split('?')[1]))).toEqual(query);
    });

    it('sends errors of a client with an https redirect URI to the dashboard, never straight to it', async () => {
      // Registration is anonymous: an automatic redirect to any registered https URI would be an open redirector.
      const web = await register({ redirect_uris: ['https://evil.example/landing'] });
      const query = authorizeQuery({
        client_id: web.body.client_id as string,
        redirect_uri: 'https://evil.example/landing',
        response_type: 'token',
      });
      const response = await authorize(query);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toMatch(/^\/#\/oauth\/authorize\?/);
      const shown = await owner.request<Body>('GET', `/api/v1/oauth/authorization?${new URLSearchParams(query)}`);
      expect(shown.body).toMatchObject({
        code: 'OAUTH_REQUEST_INVALID',
        detail: expect.stringContaining('response_type'),
      });
    });

    it('refuses a requested loopback URI that carries credentials or a fragment, whatever the port', async () => {
      for (const redirect_uri of ['http://evil@127.0.0.1:7777/callback', 'http://127.0.0.1:7777/callback#x']) {
        const shown = await owner.request<Body>(
          'GET',
          `/api/v1/oauth/authorization?${new URLSearchParams(authorizeQuery({ redirect_uri }))}`,
        );
        expect(shown.status).toBe(400);
      }
    });

    it('never redirects to a URI that is not the client’s own: the dashboard shows the error', async () => {
      for (const query of [
        authorizeQuery({ client_id: '00000000-0000-4000-8000-000000000000' }),
        authorizeQuery({ client_id: 'garbage' }),
        authorizeQuery({ redirect_uri: 'http://127.0.0.1:9/elsewhere' }),
      ]) {
        const response = await authorize(query);
        expect(response.status).toBe(302);
        expect(response.headers.get('location')).toMatch(/^\/#\/oauth\/authorize\?/);
      }
    });

    it.each([
      [{ response_type: 'token' }, 'unsupported_response_type', 'response_type must be code'],
      [{ code_challenge: undefined }, 'invalid_request', 'code_challenge is required'],
      [{ code_challenge: 'short' }, 'invalid_request', 'code_challenge must be the base64url SHA-256'],
      // A plain challenge (the verifier itself) is refused for its method, not taken for a missing challenge.
      [{ code_challenge_method: 'plain', code_challenge: 'x'.repeat(60) }, 'invalid_request', 'must be S256'],
      [{ code_challenge_method: 'plain' }, 'invalid_request', 'must be S256'],
      [{ code_challenge_method: undefined }, 'invalid_request', 'must be S256'],
      [{ scope: 'content:read admin' }, 'invalid_scope', 'scope may name only'],
      [{ resource: 'https://other.example.com/mcp' }, 'invalid_target', 'resource must be'],
    ])('sends %j back to the client as %s, with the state and the issuer', async (overrides, error, description) => {
      const response = await authorize(authorizeQuery(overrides));
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location') as string);
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('error_description')).toContain(description);
      expect(location.searchParams.get('state')).toBe('state-123');
      expect(location.searchParams.get('iss')).toBe(base);
    });
  });

  describe('consent (dashboard sessions only)', () => {
    it('describes the request for the consent page', async () => {
      const response = await owner.request<Body>(
        'GET',
        `/api/v1/oauth/authorization?${new URLSearchParams(authorizeQuery())}`,
      );
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        client: { client_id: clientId, client_name: 'Test MCP client', client_uri: null },
        redirect_uri: REDIRECT,
        scopes: [
          { name: 'content:read', description: expect.any(String) },
          { name: 'content:write', description: expect.any(String) },
        ],
        resource,
      });
    });

    it('answers an unknown client 404 and a bad request 400 with the reason', async () => {
      const unknown = await owner.request<Body>(
        'GET',
        `/api/v1/oauth/authorization?${new URLSearchParams(authorizeQuery({ client_id: '00000000-0000-4000-8000-000000000000' }))}`,
      );
      expect(unknown.status).toBe(404);
      const bad = await owner.request<Body>(
        'GET',
        `/api/v1/oauth/authorization?${new URLSearchParams(authorizeQuery({ code_challenge_method: 'plain' }))}`,
      );
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'OAUTH_REQUEST_INVALID' });
    });

    it('refuses API keys, requests without the CSRF token, and signed-out browsers', async () => {
      const key = (await owner.createKey({ integrations: ['cli', 'ai_tools'] })).full_key;
      const body = { ...authorizeQuery(), decision: 'allow' };
      expect((await call(base, 'POST', '/api/v1/oauth/authorization', { key, body })).body).toMatchObject({
        code: 'SESSION_REQUIRED',
      });
      expect((await owner.request('POST', '/api/v1/oauth/authorization', { body, csrf: false })).body).toMatchObject({
        code: 'CSRF_FAILED',
      });
      expect((await call(base, 'POST', '/api/v1/oauth/authorization', { body })).status).toBe(401);
    });

    it('refuses unknown fields and a decision that is neither allow nor deny', async () => {
      const unknownField = await owner.request<Body>('POST', '/api/v1/oauth/authorization', {
        body: { ...authorizeQuery(), decision: 'allow', extra: 1 },
      });
      expect(unknownField.status).toBe(400);
      const badDecision = await owner.request<Body>('POST', '/api/v1/oauth/authorization', {
        body: { ...authorizeQuery(), decision: 'maybe' },
      });
      expect(badDecision.status).toBe(400);
    });

    it('denied: access_denied with the state, and no code', async () => {
      const response = await owner.request<{ redirect_to: string }>('POST', '/api/v1/oauth/authorization', {
        body: { ...authorizeQuery(), decision: 'deny' },
      });
      const location = new URL(response.body.redirect_to);
      expect(location.searchParams.get('error')).toBe('access_denied');
      expect(location.searchParams.get('state')).toBe('state-123');
      expect(location.searchParams.get('code')).toBeNull();
    });
  });

  describe('token endpoint', () => {
    const consented = async (overrides: Record<string, string | undefined> = {}) => {
      const { verifier, challenge } = pkce();
      const decided = await owner.request<{ redirect_to: string }>('POST', '/api/v1/oauth/authorization', {
        body: { ...authorizeQuery(overrides, challenge), decision: 'allow' },
      });
      const location = new URL(decided.body.redirect_to);
      expect(location.searchParams.get('state')).toBe('state-123');
      expect(location.searchParams.get('iss')).toBe(base);
      return { code: location.searchParams.get('code') as string, verifier };
    };
    const exchange = (code: string, verifier: string, extra: Record<string, string> = {}) =>
      form('/oauth/token', {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: clientId,
        code_verifier: verifier,
        ...extra,
      });

    it('exchanges a code and its verifier for tokens, once', async () => {
      const { code, verifier } = await consented();
      const response = await exchange(code, verifier);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.body).toEqual({
        access_token: expect.stringMatching(/^vxo_[0-9a-f]{64}$/),
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: expect.stringMatching(/^vxr_[0-9a-f]{64}$/),
        scope: 'content:read content:write',
      });
      const tokens = response.body as unknown as Tokens;
      expect((await rpc(tokens.access_token, 'ping')).result).toEqual({});

      // The same code again: refused, and the tokens it gave are revoked (OAuth 2.1 §4.1.3).
      const again = await exchange(code, verifier);
      expect(again.status).toBe(400);
      expect(again.body).toMatchObject({ error: 'invalid_grant' });
      expect((await mcp(tokens.access_token, { jsonrpc: '2.0', id: 1, method: 'ping' })).status).toBe(401);
      const refreshed = await refreshWith(tokens.refresh_token);
      expect(refreshed.body).toMatchObject({ error: 'invalid_grant' });
      // The account's owner is told: an intercepted code is the likely story.
      await waitFor(
        () => owner.request<{ alerts: { evidence: Body }[] }>('GET', '/api/v1/security/alerts?rule=oauth_token_reuse'),
        (response) =>
          (response.body.alerts ?? []).some(
            (alert) => alert.evidence.observed === 'an authorization code used a second time',
          ),
      );
    });

    it('uses the code up on a wrong verifier, so a stolen code cannot be tried twice', async () => {
      const { code, verifier } = await consented();
      const wrong = await exchange(code, pkce().verifier);
      expect(wrong.body).toMatchObject({
        error: 'invalid_grant',
        error_description: expect.stringContaining('code_verifier'),
      });
      // Refused, and said as it is: the code never gave tokens, so none are said to be revoked.
      expect((await exchange(code, verifier)).body).toEqual({
        error: 'invalid_grant',
        error_description: 'the authorization code was used up by an earlier refused exchange',
      });
    });

    it.each([
      [{ redirect_uri: 'http://127.0.0.1:9/other' }, 400, 'invalid_grant'],
      [{ redirect_uri: 'http://127.0.0.1:10/callback' }, 400, 'invalid_grant'],
      [{ client_id: '00000000-0000-4000-8000-000000000000' }, 401, 'invalid_client'],
      [{ resource: 'https://other.example.com/mcp' }, 400, 'invalid_target'],
      [{ redirect_uri: `http://127.0.0.1:9/${'x'.repeat(2000)}` }, 400, 'invalid_request'],
    ])('refuses an exchange with %j: %s', async (extra, status, error) => {
      const { code, verifier } = await consented();
      const response = await exchange(code, verifier, extra);
      expect(response.status).toBe(status);
      expect(response.body).toMatchObject({ error });
    });

    it('takes a loopback redirect URI on any port, and then wants exactly that one back', async () => {
      const onAnotherPort = 'http://127.0.0.1:43123/callback';
      const { code, verifier } = await consented({ redirect_uri: onAnotherPort });
      expect((await exchange(code, verifier)).body).toMatchObject({ error: 'invalid_grant' });
      const other = await consented({ redirect_uri: onAnotherPort });
      expect((await exchange(other.code, other.verifier, { redirect_uri: onAnotherPort })).status).toBe(200);
      // Another path is another URI, whatever the port.
      const elsewhere = new URLSearchParams(authorizeQuery({ redirect_uri: 'http://127.0.0.1:43123/elsewhere' }));
      expect((await owner.request('GET', `/api/v1/oauth/authorization?${elsewhere}`)).status).toBe(400);
    });

    it('lets a request that named no redirect URI leave it out of the exchange (OAuth 2.1 §4.1.3)', async () => {
      const { code, verifier } = await consented({ redirect_uri: undefined });
      const response = await form('/oauth/token', {
        grant_type: 'authorization_code',
        code,
        client_id: clientId,
        code_verifier: verifier,
      });
      expect(response.status).toBe(200);
    });

    it.each([
      [{ grant_type: 'password' }, 400, 'unsupported_grant_type'],
      [
        {
          grant_type: 'authorization_code',
          client_id: 'x',
          code: 'c',
          redirect_uri: REDIRECT,
          code_verifier: 'v'.repeat(43),
        },
        401,
        'invalid_client',
      ],
      [
        { grant_type: 'authorization_code', code: 'c', redirect_uri: REDIRECT, code_verifier: 'v'.repeat(43) },
        400,
        'invalid_request',
      ],
      [
        {
          grant_type: 'authorization_code',
          client_id: '00000000-0000-4000-8000-000000000000',
          code: 'c',
          redirect_uri: REDIRECT,
          code_verifier: 'v'.repeat(43),
        },
        401,
        'invalid_client',
      ],
      [{}, 400, 'invalid_request'],
    ])('answers %j with %s', async (fields, status, error) => {
      const response = await form('/oauth/token', fields as Record<string, string>);
      expect(response.status).toBe(status);
      expect(response.body).toMatchObject({ error });
    });

    it('refuses a verifier that is not 43 to 128 unreserved characters, and an unknown code', async () => {
      const base = { grant_type: 'authorization_code', client_id: clientId, redirect_uri: REDIRECT };
      expect((await form('/oauth/token', { ...base, code: 'c', code_verifier: 'short' })).body).toMatchObject({
        error: 'invalid_request',
      });
      expect((await form('/oauth/token', { ...base, code: 'c', code_verifier: 'v'.repeat(43) })).body).toMatchObject({
        error: 'invalid_grant',
      });
    });

    it('refuses a parameter sent twice, and a body that is neither a form nor JSON', async () => {
      const twice = await call<Body>(base, 'POST', '/oauth/token', {
        rawBody: 'grant_type=refresh_token&grant_type=authorization_code',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(twice.body).toMatchObject({ error: 'invalid_request' });
      const text = await call<Body>(base, 'POST', '/oauth/token', {
        rawBody: 'x',
        headers: { 'content-type': 'text/plain' },
      });
      expect(text.status).toBe(415);
    });

    it('rotates refresh tokens; presenting a used one revokes the grant and alerts its owner', async () => {
      const user = await DashboardUser.signup(base);
      const first = await connect(user);
      const second = await refreshWith(first.refresh_token);
      expect(second.status).toBe(200);
      const rotated = second.body as unknown as Tokens;
      expect(rotated.refresh_token).not.toBe(first.refresh_token);
      expect((await rpc(rotated.access_token, 'ping')).result).toEqual({});
      // Past the grace period for a client's own concurrent refreshes (10 s, same address), a reuse is theft.
      await platform.withDatabase('key-service', (dataSource) =>
        dataSource.query(
          `UPDATE oauth_refresh_tokens SET used_at = used_at - interval '1 minute' WHERE used_at IS NOT NULL`,
        ),
      );

      const replayed = await refreshWith(first.refresh_token);
      expect(replayed.body).toMatchObject({ error: 'invalid_grant' });
      expect((await mcp(rotated.access_token, { jsonrpc: '2.0', id: 1, method: 'ping' })).status).toBe(401);
      const afterTheft = await refreshWith(rotated.refresh_token);
      expect(afterTheft.body).toMatchObject({ error: 'invalid_grant' });

      // The owner learns of it: a high alert that names the app and where the replay came from.
      const alerts = await waitFor(
        () => user.request<{ alerts: Body[] }>('GET', '/api/v1/security/alerts?rule=oauth_token_reuse'),
        (response) => response.body.alerts?.length === 1,
      );
      expect(alerts.body.alerts[0]).toMatchObject({
        rule: 'oauth_token_reuse',
        severity: 'high',
        status: 'open',
        count: 1,
        summary: expect.stringContaining('refresh tokens was used twice'),
        evidence: {
          observed: 'a refresh token used a second time',
          ips: ['127.0.0.1'],
          samples: ['Test MCP client'],
          client_id: clientId,
        },
      });
      expect(alerts.body.alerts[0]).not.toHaveProperty('key_id');
    });

    it('refuses the loser of two refreshes at once without revoking the grant', async () => {
      const tokens = await connect();
      const refresh = () => refreshWith(tokens.refresh_token);
      const answers = await Promise.all([refresh(), refresh()]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
      const winner = answers.find((answer) => answer.status === 200)?.body as unknown as Tokens;
      expect((await rpc(winner.access_token, 'ping')).result).toEqual({});
      // Refused without revoking, but recorded: a thief racing the client would leave this trace.
      const recorded = await platform.withDatabase('key-service', (dataSource) =>
        dataSource.query(`SELECT data FROM es_events WHERE event_type = 'oauth.refresh_token_reused'`),
      );
      expect((recorded as unknown[]).length).toBeGreaterThanOrEqual(1);
    });

    it('narrows an access token on refresh, keeps the grant’s scopes for the next one, and never widens', async () => {
      const tokens = await connect();
      const narrowed = await refreshWith(tokens.refresh_token, { scope: 'content:read' });
      expect(narrowed.body).toMatchObject({ scope: 'content:read' });
      const readOnly = narrowed.body as unknown as Tokens;
      const listed = (await rpc(readOnly.access_token, 'tools/list')).result?.tools as { name: string }[];
      expect(listed.map((entry) => entry.name)).not.toContain('create_memory');
      const full = await refreshWith(readOnly.refresh_token);
      expect(full.body).toMatchObject({ scope: 'content:read content:write' });

      const readOnlyGrant = await connect(owner, { scope: 'content:read' });
      const wider = await refreshWith(readOnlyGrant.refresh_token, { scope: 'content:read content:write' });
      expect(wider.body).toMatchObject({ error: 'invalid_scope' });
    });

    it('answers browser-based clients with CORS on the OAuth and MCP routes, preflight included', async () => {
      const fromInspector = { origin: 'http://localhost:6274' };
      const preflight = await fetch(`${base}/oauth/token`, {
        method: 'OPTIONS',
        headers: { ...fromInspector, 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
      const metadata = await fetch(`${base}/.well-known/oauth-authorization-server`, { headers: fromInspector });
      expect(metadata.headers.get('access-control-allow-origin')).toBe('*');
      const mcpPreflight = await fetch(`${base}/mcp/v1/common`, {
        method: 'OPTIONS',
        headers: { ...fromInspector, 'access-control-request-method': 'POST' },
      });
      expect(mcpPreflight.status).toBe(204);
      // The dashboard's cookie routes stay same-origin.
      const consent = await fetch(`${base}/api/v1/oauth/authorization`, { headers: fromInspector });
      expect(consent.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('revokes a grant through its refresh token (RFC 7009), and answers 200 for an unknown token', async () => {
      const tokens = await connect();
      expect((await form('/oauth/revoke', { token: tokens.refresh_token, client_id: clientId })).status).toBe(200);
      expect((await mcp(tokens.access_token, { jsonrpc: '2.0', id: 1, method: 'ping' })).status).toBe(401);
      expect((await form('/oauth/revoke', { token: 'vxr_unknown' })).status).toBe(200);
      expect((await form('/oauth/revoke', {})).body).toMatchObject({ error: 'invalid_request' });
    });
  });

  describe('the MCP endpoint', () => {
    let token: string;
    beforeAll(async () => {
      token = (await connect()).access_token;
    });

    it('initializes (MCP 2025-06-18), and acknowledges notifications with 202', async () => {
      const answer = await rpc(token, 'initialize', {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'test', version: '1' },
      });
      expect(answer.result).toMatchObject({
        protocolVersion: '2025-06-18',
        capabilities: { tools: {}, prompts: {} },
        serverInfo: { name: 'vibexp' },
      });
      const older = await rpc(token, 'initialize', {
        protocolVersion: '2024-11-05',
        capabilities: {},
        clientInfo: { name: 't', version: '1' },
      });
      expect(older.result?.protocolVersion).toBe('2025-06-18');
      // Without params, the version of the request's header (the helper sends 2025-06-18), not the 2025-03-26 default.
      const withoutParams = await rpc(token, 'initialize');
      expect(withoutParams.result?.protocolVersion).toBe('2025-06-18');
      const notification = await mcp(token, { jsonrpc: '2.0', method: 'notifications/initialized' });
      expect(notification.status).toBe(202);
    });

    it('answers protocol errors as JSON-RPC errors, and HTTP errors for the transport', async () => {
      expect((await rpc(token, 'no/such/method')).error?.code).toBe(-32601);
      expect((await mcp(token, [{ jsonrpc: '2.0', id: 1, method: 'ping' }])).body.error?.code).toBe(-32600);
      const withoutVersion = await mcp(token, { id: 1, method: 'ping' });
      expect(withoutVersion.body.error).toEqual({ code: -32600, message: 'jsonrpc must be "2.0"' });
      expect((await rpc(token, 'tools/call', { name: 'no_such_tool', arguments: {} })).error?.code).toBe(-32602);
      // A token pasted as the tool's name is not echoed in the error.
      const pastedName = `vxo_${'cd34'.repeat(16)}`;
      const unknownTool = await rpc(token, 'tools/call', { name: pastedName, arguments: {} });
      expect(unknownTool.error?.code).toBe(-32602);
      expect(JSON.stringify(unknownTool.error)).not.toContain(pastedName.slice(12));
      expect((await rpc(token, 'tools/call', { arguments: {} })).error).toEqual({
        code: -32602,
        message: 'params.name is required: the name of the tool to call',
      });
      expect((await rpc(token, 'tools/call', { name: 'search', arguments: [] })).error?.code).toBe(-32602);
      // The transport's refusal, before any JSON-RPC message is read: problem+json like every HTTP error.
      const oldVersion = await mcp(
        token,
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { 'mcp-protocol-version': '1999-01-01' },
      );
      expect([oldVersion.status, (oldVersion.body as unknown as { code: string }).code]).toEqual([
        400,
        'UNSUPPORTED_PROTOCOL_VERSION',
      ]);
      expect(oldVersion.headers.get('content-type')).toContain('application/problem+json');
      // Any web origin may call with a token (CORS): the token is what authenticates.
      const fromAnotherOrigin = await mcp(
        token,
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { origin: 'http://localhost:6274' },
      );
      expect(fromAnotherOrigin.status).toBe(200);
      expect(fromAnotherOrigin.headers.get('access-control-allow-origin')).toBe('*');
      const get = await call(base, 'GET', '/mcp/v1/common', { key: token });
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
    });

    it('answers a body that is not JSON with the JSON-RPC parse error, once the token is checked', async () => {
      const broken = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const parse = await call<RpcAnswer>(base, 'POST', '/mcp/v1/common', {
        key: token,
        rawBody: '{bad',
        headers: broken,
      });
      expect(parse.status).toBe(400);
      expect(parse.headers.get('content-type')).toMatch(/^application\/json/);
      expect(parse.body).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: expect.any(String) } });
      // Credentials first: without a token (or with an API key) the answer is the 401 that starts the OAuth flow.
      const anonymous = await call(base, 'POST', '/mcp/v1/common', { rawBody: '{bad', headers: broken });
      expect([anonymous.status, anonymous.body.code]).toEqual([401, 'AUTH_REQUIRED']);
      expect(anonymous.headers.get('www-authenticate')).toContain('resource_metadata=');
      const apiKey = (await owner.createKey({ integrations: ['cli', 'ai_tools'] })).full_key;
      const withKey = await call(base, 'POST', '/mcp/v1/common', { key: apiKey, rawBody: '{bad', headers: broken });
      expect([withKey.status, withKey.body.code]).toEqual([401, 'OAUTH_REQUIRED']);
      // Every method, and the path with a trailing slash, the router serves alike.
      const deleted = await call(base, 'DELETE', '/mcp/v1/common', { rawBody: '{bad', headers: broken });
      expect([deleted.status, deleted.body.code]).toEqual([401, 'AUTH_REQUIRED']);
      const slash = await call<RpcAnswer>(base, 'POST', '/mcp/v1/common/', {
        key: token,
        rawBody: '{bad',
        headers: broken,
      });
      expect([slash.status, slash.body.error?.code]).toEqual([400, -32700]);
    });

    it('keeps the §3.4 order: no header AUTH_REQUIRED, a malformed one AUTH_MALFORMED, with the metadata', async () => {
      const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
      const anonymous = await call<Body>(base, 'POST', '/mcp/v1/common', { body: ping });
      expect(anonymous.body).toMatchObject({ code: 'AUTH_REQUIRED' });
      const malformed = await call<Body>(base, 'POST', '/mcp/v1/common', {
        body: ping,
        headers: { authorization: 'Basic abc' },
      });
      expect(malformed.body).toMatchObject({ code: 'AUTH_MALFORMED' });
      expect(malformed.headers.get('www-authenticate')).toContain('resource_metadata=');
    });

    it('tells a refresh token and a mis-shaped access token apart from an API key', async () => {
      // Another user: connecting the owner again would replace the grant the other tests here use.
      const tokens = await connect(await DashboardUser.signup(base));
      const withRefresh = await mcp(tokens.refresh_token, { jsonrpc: '2.0', id: 1, method: 'ping' });
      expect([withRefresh.status, withRefresh.body]).toEqual([401, expect.objectContaining({ code: 'AUTH_INVALID' })]);
      const misShaped = await mcp('vxo_abc', { jsonrpc: '2.0', id: 1, method: 'ping' });
      expect([misShaped.status, misShaped.body]).toEqual([401, expect.objectContaining({ code: 'AUTH_MALFORMED' })]);
      expect(misShaped.headers.get('access-control-allow-origin')).toBe('*');
    });

    it('refuses an expired access token, and one issued for another resource', async () => {
      const expiredUser = await DashboardUser.signup(base);
      const expired = await connect(expiredUser);
      const elsewhere = await connect(await DashboardUser.signup(base));
      await platform.withDatabase('key-service', async (dataSource) => {
        await dataSource.query(
          `UPDATE oauth_access_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
          [sha256(expired.access_token)],
        );
        await dataSource.query(
          `UPDATE oauth_grants SET resource = 'https://other.example.com/mcp' WHERE id = (SELECT grant_id FROM oauth_access_tokens WHERE token_hash = $1)`,
          [sha256(elsewhere.access_token)],
        );
      });
      for (const token of [expired.access_token, elsewhere.access_token]) {
        const answer = await mcp(token, { jsonrpc: '2.0', id: 1, method: 'ping' });
        expect([answer.status, answer.body]).toEqual([401, expect.objectContaining({ code: 'AUTH_INVALID' })]);
      }
      // The same answer for both, but the account's audit log says the token had expired.
      const logged = await waitFor(
        () => expiredUser.request<{ events: { data: Body }[] }>('GET', '/api/v1/audit-log?type=auth.failed'),
        (response) => response.body.events?.length === 1,
      );
      expect(logged.body.events[0].data).toMatchObject({ reason: 'expired' });
    });

    it('refuses a suspended account’s token, and counts MCP requests against the hourly limit', async () => {
      const user = await DashboardUser.signup(base);
      const tokens = await connect(user);
      const admin = (method: string, body: Body) =>
        call(base, method, `/admin/v1/accounts/${user.account.id}`, {
          body,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
      expect((await admin('PATCH', { tier: 'enterprise', rate_limit_per_hour: 3 })).status).toBe(200);
      const answers = [];
      for (let index = 0; index < 4; index += 1)
        answers.push(await mcp(tokens.access_token, { jsonrpc: '2.0', id: index, method: 'ping' }));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 429]);
      expect(answers[0].headers.get('x-ratelimit-limit')).toBe('3');
      expect(answers[3].headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await admin('PATCH', { status: 'suspended' })).status).toBe(200);
      const suspended = await mcp(tokens.access_token, { jsonrpc: '2.0', id: 1, method: 'ping' });
      expect([suspended.status, suspended.body]).toEqual([403, expect.objectContaining({ code: 'ACCOUNT_SUSPENDED' })]);
    });

    it('refuses API keys with OAUTH_REQUIRED and unknown access tokens with invalid_token', async () => {
      const key = (await owner.createKey({ integrations: ['cli', 'ai_tools'] })).full_key;
      const withKey = await mcp(key, { jsonrpc: '2.0', id: 1, method: 'ping' });
      expect(withKey.status).toBe(401);
      expect(withKey.body).toMatchObject({ code: 'OAUTH_REQUIRED' });
      const unknown = await mcp(`vxo_${'0'.repeat(64)}`, { jsonrpc: '2.0', id: 1, method: 'ping' });
      expect(unknown.status).toBe(401);
      expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(unknown.headers.get('www-authenticate')).toContain('resource_metadata=');
    });

    it('lists the tools with their input schemas', async () => {
      const answer = await rpc(token, 'tools/list');
      const tools = (answer.result?.tools as { name: string; inputSchema: Body }[]).map((tool) => tool.name);
      expect(tools.sort()).toEqual(
        [
          'search',
          'get_memory',
          'create_memory',
          'update_memory',
          'get_artifact',
          'create_artifact',
          'update_artifact',
          'get_prompt',
          'create_prompt',
          'update_prompt',
          'render_prompt',
        ].sort(),
      );
    });

    it('creates, reads, updates and finds memories, with the REST API’s rules', async () => {
      const created = await tool(token, 'create_memory', {
        text: 'Deploys go out on Tuesdays',
        project: 'shop/api',
        labels: ['ops'],
      });
      expect(created.isError).toBeUndefined();
      const memory = created.structuredContent as Body;
      expect(memory).toMatchObject({ text: 'Deploys go out on Tuesdays', project: 'shop/api', version: 1 });
      expect(JSON.parse(created.content?.[0].text as string)).toEqual(memory);

      const viaRest = await owner.request<Body>('GET', `/api/v1/memories/${memory.id as string}`);
      expect(viaRest.body).toMatchObject({ text: 'Deploys go out on Tuesdays' });

      const updated = await tool(token, 'update_memory', {
        id: memory.id,
        text: 'Deploys go out on Wednesdays',
        expected_version: 1,
      });
      expect(updated.structuredContent).toMatchObject({ version: 2, project: 'shop/api' });
      const stale = await tool(token, 'update_memory', { id: memory.id, text: 'x', expected_version: 1 });
      expect(stale.isError).toBe(true);
      expect(stale.content?.[0].text).toMatch(/^VERSION_CONFLICT/);
      expect((await owner.request<Body>('GET', `/api/v1/memories/${memory.id as string}`)).body).toMatchObject({
        text: 'Deploys go out on Wednesdays',
      });

      const found = await tool(token, 'search', { query: 'Wednesdays', types: ['memories'] });
      expect((found.structuredContent as { results: Body[] }).results.map((hit) => hit.id)).toContain(memory.id);
      // A refused call names the tool's own argument, not the REST field behind it.
      for (const args of [{}, { query: '' }, { query: 7 }]) {
        const refused = await tool(token, 'search', args);
        expect([refused.isError, refused.content?.[0].text]).toEqual([
          true,
          expect.stringContaining('query must be a string of 1 to 200 characters'),
        ]);
      }
    });

    it('records each accepted request as oauth_token.used in the audit log, under the REST API’s action', async () => {
      const user = await DashboardUser.signup(base);
      const tokens = await connect(user);
      const created = await tool(tokens.access_token, 'create_memory', { text: 'Audited through MCP' });
      expect((await rpc(tokens.access_token, 'ping')).result).toEqual({});
      const grants = await user.request<{ grants: { id: string }[] }>('GET', '/api/v1/settings/oauth/grants');
      type Logged = { type: string; action: string; outcome: string; data: Body; meta: Body };

      // The requests (AUTH stream), the grant (ACCOUNTS) and the memory (CONTENT) reach the audit log through
      // separate consumers, so wait until all of them have landed before looking at any.
      // Filtered by the app: its connection, requests and changes, nothing else of the account (its sign-up, …).
      const ofApp = await waitFor(
        () => user.request<{ events: Logged[] }>('GET', `/api/v1/audit-log?client_id=${clientId}`),
        (response) => response.body.events?.length >= 4,
      );
      expect(ofApp.body.events.map((event) => event.type).sort()).toEqual([
        'memory.created',
        'oauth.grant_created',
        'oauth_token.used',
        'oauth_token.used',
      ]);
      const logged = await user.request<{ events: Logged[] }>('GET', '/api/v1/audit-log?type=oauth_token.used');
      const [ping, write] = logged.body.events;
      expect(write).toMatchObject({
        action: 'memories.create',
        outcome: 'success',
        data: {
          grant_id: grants.body.grants[0].id,
          client_id: clientId,
          status: 200,
          route: '/mcp/v1/common',
          mcp_method: 'tools/call',
          mcp_tool: 'create_memory',
          location: { country: 'local' },
        },
        meta: { account_id: user.account.id },
      });
      expect(ping).toMatchObject({ action: 'mcp.ping', data: { mcp_method: 'ping', mcp_tool: null } });
      // The memory's own event is tied to the request that made it, and names the app; so does its version.
      const memoryEvents = await user.request<{ events: Logged[] }>('GET', '/api/v1/audit-log?type=memory.created');
      expect(memoryEvents.body.events.map((event) => event.meta)).toEqual([
        expect.objectContaining({ request_id: write.meta.request_id, client_id: clientId }),
      ]);
      expect(memoryEvents.body.events[0].meta).not.toHaveProperty('key_id');
      const versions = await user.request<{ versions: { actor: Body }[] }>(
        'GET',
        `/api/v1/memories/${(created.structuredContent as Body).id as string}/versions`,
      );
      expect(versions.body.versions.map((version) => version.actor)).toEqual([
        { type: 'oauth_app', client_id: clientId },
      ]);
      expect((created.structuredContent as Body).text).toBe('Audited through MCP');
      expect(JSON.stringify(logged.body)).not.toContain(tokens.access_token.slice(4));
      const spelledUpper = await user.request<{ events: Logged[] }>(
        'GET',
        `/api/v1/audit-log?client_id=${clientId.toUpperCase()}`,
      );
      expect(spelledUpper.body.events).toHaveLength(4);
      const otherApp = await user.request<{ events: Logged[] }>(
        'GET',
        '/api/v1/audit-log?client_id=00000000-0000-4000-8000-000000000000',
      );
      expect(otherApp.body.events).toEqual([]);
      const notAnId = await user.request<{ code: string }>('GET', '/api/v1/audit-log?client_id=x');
      expect([notAnId.status, notAnId.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      // The CSV export names the app of both.
      const csv = await fetch(`${base}/api/v1/audit-log/export?format=csv&type=oauth_token.used,memory.created`, {
        headers: { cookie: `vx_session=${user.cookie}` },
      });
      const [header, ...rows] = (await csv.text()).trim().split('\r\n');
      const column = header.split(',').indexOf('client_id');
      expect(rows.map((row) => row.split(',')[column])).toEqual([clientId, clientId, clientId]);
    });

    it('watches a connected app like a key: a new country raises an alert naming the app', async () => {
      const user = await DashboardUser.signup(base);
      const tokens = await connect(user);
      const from = (ip: string) =>
        mcp(tokens.access_token, { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'x-forwarded-for': ip });
      expect((await from('81.2.69.160')).status).toBe(200); // London
      expect((await from('1.128.0.1')).status).toBe(200); // Australia, a moment later
      const grants = await user.request<{ grants: { id: string }[] }>('GET', '/api/v1/settings/oauth/grants');

      const alerts = await waitFor(
        () => user.request<{ alerts: Body[] }>('GET', '/api/v1/security/alerts?rule=new_location'),
        (response) => response.body.alerts?.length === 1,
      );
      expect(alerts.body.alerts[0]).toMatchObject({
        rule: 'new_location',
        severity: 'high',
        summary: expect.stringMatching(/^A connected app was used from AU/),
        evidence: expect.objectContaining({ country: 'AU', grant_id: grants.body.grants[0].id, client_id: clientId }),
      });
      expect(alerts.body.alerts[0]).not.toHaveProperty('key_id');
    });

    it('disconnects an app whose alert’s rule the account named for auto-revoke', async () => {
      const user = await DashboardUser.signup(base);
      const settings = await user.request('PUT', '/api/v1/settings/security', {
        body: { timezone: 'UTC', working_hours: null, webhook_url: null, auto_revoke_on: ['new_location'] },
      });
      expect(settings.status).toBe(200);
      const tokens = await connect(user);
      const from = (ip: string) =>
        mcp(tokens.access_token, { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'x-forwarded-for': ip });
      expect((await from('81.2.69.160')).status).toBe(200);
      expect((await from('1.128.0.1')).status).toBe(200);

      const alerts = await waitFor(
        () => user.request<{ alerts: Body[] }>('GET', '/api/v1/security/alerts?rule=new_location'),
        (response) => response.body.alerts?.length === 1,
      );
      expect(alerts.body.alerts[0]).toMatchObject({
        summary: expect.stringMatching(/The app was disconnected automatically\.$/),
        evidence: expect.objectContaining({ auto_revoked: true }),
      });
      expect((await from('81.2.69.160')).status).toBe(401);
      const grants = await user.request<{ grants: unknown[] }>('GET', '/api/v1/settings/oauth/grants');
      expect(grants.body.grants).toEqual([]);
      const logged = await waitFor(
        () => user.request<{ events: { data: Body }[] }>('GET', '/api/v1/audit-log?type=oauth.grant_revoked'),
        (response) => response.body.events?.length === 1,
      );
      expect(logged.body.events[0].data).toMatchObject({ reason: 'anomaly', client_id: clientId });
    });

    it('records a refused tool call, a protocol error and a wrong HTTP method as failures', async () => {
      const user = await DashboardUser.signup(base);
      const tokens = await connect(user);
      const refused = await tool(tokens.access_token, 'create_memory', { text: '' });
      expect(refused.isError).toBe(true);
      const unknown = await rpc(tokens.access_token, 'tools/call', { name: 'drop_tables', arguments: {} });
      expect(unknown.error?.code).toBe(-32602);
      expect((await rpc(tokens.access_token, 'resources/list')).error?.code).toBe(-32601);
      const get = await call(base, 'GET', '/mcp/v1/common', { key: tokens.access_token });
      expect(get.status).toBe(405);
      // Refusals before any tool runs name their code too: a scope the token lacks, a protocol version.
      const readOnly = await connect(user, { scope: 'content:read' });
      const create = {
        jsonrpc: '2.0',
        id: ++sequence,
        method: 'tools/call',
        params: { name: 'create_memory', arguments: { text: 'x' } },
      };
      expect((await mcp(readOnly.access_token, create)).status).toBe(403);
      // (Connecting again replaced the first grant: the read-only token is the app's now.)
      expect((await mcp(readOnly.access_token, create, { 'mcp-protocol-version': '1999-01-01' })).status).toBe(400);
      type Logged = { action: string; outcome: string; data: Body };

      const logged = await waitFor(
        () => user.request<{ events: Logged[] }>('GET', '/api/v1/audit-log?type=oauth_token.used'),
        (response) => response.body.events?.length === 6,
      );
      expect(
        logged.body.events
          .map((event) => [event.action, event.outcome, event.data.method, event.data.status, event.data.error_code])
          .reverse(),
      ).toEqual([
        ['memories.create', 'failure', 'POST', 200, 'VALIDATION_FAILED'],
        ['mcp.tools_call', 'failure', 'POST', 200, 'INVALID_PARAMS'],
        ['mcp.other', 'failure', 'POST', 200, 'METHOD_NOT_FOUND'],
        ['mcp.other', 'failure', 'GET', 405, null],
        ['memories.create', 'failure', 'POST', 403, 'INSUFFICIENT_SCOPE'],
        ['memories.create', 'failure', 'POST', 400, 'UNSUPPORTED_PROTOCOL_VERSION'],
      ]);
      const failures = await user.request<{ events: Logged[] }>(
        'GET',
        '/api/v1/audit-log?type=oauth_token.used&outcome=failure',
      );
      expect(failures.body.events).toHaveLength(6);
    });

    it('reports bad arguments as a tool error the model can read, and stores nothing', async () => {
      const before = await owner.request<{ total_count: number }>('GET', '/api/v1/memories');
      for (const args of [
        {},
        { text: '' },
        { text: 'ok', unknown: 1 },
        { text: 'ok', project: '../etc' },
        { text: 'a\u0000b' },
      ]) {
        const result = await tool(token, 'create_memory', args);
        expect(result.isError).toBe(true);
        expect(result.content?.[0].text).toMatch(/^VALIDATION_FAILED/);
        // Said for the model: each field once, and no pointer to a list a tool result does not have.
        expect(result.content?.[0].text).not.toMatch(/see validation_errors|\btext text\b/);
      }
      expect((await tool(token, 'create_memory', {})).content?.[0].text).toMatch(
        /^VALIDATION_FAILED: the request is not valid \(text: /,
      );
      expect((await tool(token, 'get_memory', { id: 'not-a-uuid' })).isError).toBe(true);
      const after = await owner.request<{ total_count: number }>('GET', '/api/v1/memories');
      expect(after.body.total_count).toBe(before.body.total_count);
      // A token that may write but not read learns where its write went, not what the item holds.
      const writer = await DashboardUser.signup(base);
      const writeOnly = await connect(writer, { scope: 'content:write' });
      const secret = await writer.request<{ id: string }>('POST', '/api/v1/memories', {
        body: { text: 'the launch code is 0000', status: 'active' },
      });
      const rewritten = await tool(writeOnly.access_token, 'update_memory', {
        id: secret.body.id,
        status: 'active',
        title: 'T',
      });
      expect(rewritten.isError).toBeUndefined();
      expect(rewritten.structuredContent).toEqual({
        id: secret.body.id,
        project: null,
        version: 2,
        updated_at: expect.any(String),
      });
      expect(JSON.stringify(rewritten)).not.toContain('launch code');
      // An update that changes nothing would answer the item: a read, which a write-only token may not make.
      const mine = await owner.request<{ id: string }>('POST', '/api/v1/memories', { body: { text: 'kept' } });
      const empty = await tool(token, 'update_memory', { id: mine.body.id });
      expect([empty.isError, empty.content?.[0].text]).toEqual([true, expect.stringContaining('nothing to update')]);
      expect(JSON.stringify(empty)).not.toContain('kept');
    });

    it('works with artifacts by project and slug, and prompts by slug, including render', async () => {
      const artifact = await tool(token, 'create_artifact', {
        project: 'shop/api',
        title: 'Runbook',
        content: '# Steps',
      });
      expect(artifact.structuredContent).toMatchObject({ project: 'shop/api', slug: 'runbook' });
      expect(
        (await tool(token, 'get_artifact', { project: 'shop/api', slug: 'runbook' })).structuredContent,
      ).toMatchObject({ title: 'Runbook' });
      expect(
        (await tool(token, 'update_artifact', { project: 'shop/api', slug: 'runbook', content: '# New' }))
          .structuredContent,
      ).toMatchObject({ version: 2 });

      await tool(token, 'create_prompt', {
        name: 'Review',
        slug: 'review',
        body: 'Review {{file}} carefully',
        status: 'published',
      });
      expect((await tool(token, 'get_prompt', { prompt: 'review' })).structuredContent).toMatchObject({
        name: 'Review',
      });
      const rendered = await tool(token, 'render_prompt', { prompt: 'review', placeholders: { file: 'app.ts' } });
      expect(rendered.structuredContent).toMatchObject({ rendered_body: 'Review app.ts carefully' });
      expect(
        (await tool(token, 'update_prompt', { prompt: 'review', description: 'Code review' })).structuredContent,
      ).toMatchObject({ version: 2 });
    });

    it('offers published prompts with mcp_expose as MCP prompts, with their placeholders as arguments', async () => {
      await tool(token, 'create_prompt', { name: 'Draft one', slug: 'draft-one', body: 'x', status: 'draft' });
      await tool(token, 'create_prompt', {
        name: 'Hidden',
        slug: 'hidden',
        body: 'x',
        status: 'published',
        mcp_expose: false,
      });
      await tool(token, 'create_prompt', {
        name: 'Summary',
        slug: 'summary',
        body: 'Summarize {{topic}} for {{audience}}',
        status: 'published',
      });
      const listed = await rpc(token, 'prompts/list');
      const prompts = listed.result?.prompts as { name: string; arguments: { name: string }[] }[];
      expect(prompts.map((prompt) => prompt.name)).toEqual(expect.arrayContaining(['review', 'summary']));
      expect(prompts.map((prompt) => prompt.name)).not.toEqual(expect.arrayContaining(['draft-one']));
      expect(prompts.map((prompt) => prompt.name)).not.toContain('hidden');
      expect(
        prompts
          .find((prompt) => prompt.name === 'summary')
          ?.arguments.map((argument) => argument.name)
          .sort(),
      ).toEqual(['audience', 'topic']);

      const got = await rpc(token, 'prompts/get', {
        name: 'summary',
        arguments: { topic: 'the release', audience: 'ops' },
      });
      expect(got.result?.messages).toEqual([
        { role: 'user', content: { type: 'text', text: 'Summarize the release for ops' } },
      ]);
      expect((await rpc(token, 'prompts/get', { name: 'hidden' })).error?.code).toBe(-32602);
      expect((await rpc(token, 'prompts/get', { name: 'draft-one' })).error?.code).toBe(-32602);
    });

    it('keeps tenants apart: another account’s token cannot read this account’s memory', async () => {
      const memory = (await tool(token, 'create_memory', { text: 'private note' })).structuredContent as Body;
      const stranger = await DashboardUser.signup(base);
      const strangerToken = (await connect(stranger)).access_token;
      const result = await tool(strangerToken, 'get_memory', { id: memory.id });
      expect(result.isError).toBe(true);
      expect(result.content?.[0].text).not.toContain('private note');
      const search = await tool(strangerToken, 'search', { query: 'private' });
      expect((search.structuredContent as { results: unknown[] }).results).toEqual([]);
    });

    it('gives a read-only grant only the read tools, and 403 insufficient_scope for a write', async () => {
      const readOnly = (await connect(owner, { scope: 'content:read' })).access_token;
      const tools = ((await rpc(readOnly, 'tools/list')).result?.tools as { name: string }[]).map(
        (entry) => entry.name,
      );
      expect(tools).toContain('search');
      expect(tools).not.toContain('create_memory');
      const write = await mcp(readOnly, {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'create_memory', arguments: { text: 'x' } },
      });
      expect(write.status).toBe(403);
      expect(write.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="content:write"');
    });
  });

  describe('connected apps', () => {
    it('keeps one grant per app when two codes are exchanged at once', async () => {
      const user = await DashboardUser.signup(base);
      const consents = await Promise.all(
        [pkce(), pkce()].map(async ({ verifier, challenge }) => {
          const decided = await user.request<{ redirect_to: string }>('POST', '/api/v1/oauth/authorization', {
            body: { ...authorizeQuery({}, challenge), decision: 'allow' },
          });
          return { code: new URL(decided.body.redirect_to).searchParams.get('code') as string, verifier };
        }),
      );
      const exchanged = await Promise.all(
        consents.map(({ code, verifier }) =>
          form('/oauth/token', {
            grant_type: 'authorization_code',
            code,
            redirect_uri: REDIRECT,
            client_id: clientId,
            code_verifier: verifier,
          }),
        ),
      );
      expect(exchanged.map((answer) => answer.status)).toEqual([200, 200]);
      const listed = await user.request<{ total_count: number }>('GET', '/api/v1/settings/oauth/grants');
      expect(listed.body.total_count).toBe(1);
      const working = await Promise.all(
        exchanged.map((answer) =>
          mcp((answer.body as unknown as Tokens).access_token, { jsonrpc: '2.0', id: 1, method: 'ping' }),
        ),
      );
      expect(working.map((answer) => answer.status).sort()).toEqual([200, 401]);
    });

    it('keeps one grant per app: connecting it again replaces the older grant and its tokens', async () => {
      const user = await DashboardUser.signup(base);
      const first = await connect(user);
      const second = await connect(user);
      const listed = await user.request<{ total_count: number }>('GET', '/api/v1/settings/oauth/grants');
      expect(listed.body.total_count).toBe(1);
      expect((await mcp(first.access_token, { jsonrpc: '2.0', id: 1, method: 'ping' })).status).toBe(401);
      expect((await rpc(second.access_token, 'ping')).result).toEqual({});
      expect((await user.request('GET', '/api/v1/settings/oauth/grants?sort_by=zzz')).status).toBe(400);
      const sorted = await user.request('GET', '/api/v1/settings/oauth/grants?sort_by=last_used_at&sort_order=asc');
      expect(sorted.status).toBe(200);
    });

    it('lists the grants, and disconnecting one refuses its tokens at once', async () => {
      const user = await DashboardUser.signup(base);
      const tokens = await connect(user);
      const listed = await user.request<{ grants: Body[]; total_count: number }>(
        'GET',
        '/api/v1/settings/oauth/grants',
      );
      expect(listed.status).toBe(200);
      expect(listed.body.total_count).toBe(1);
      const [grant] = listed.body.grants;
      expect(grant).toMatchObject({
        client_id: clientId,
        client_name: 'Test MCP client',
        scopes: ['content:read', 'content:write'],
        resource,
      });

      const otherUser = await DashboardUser.signup(base);
      expect((await otherUser.request('DELETE', `/api/v1/settings/oauth/grants/${grant.id as string}`)).status).toBe(
        404,
      );
      expect((await rpc(tokens.access_token, 'ping')).result).toEqual({});

      expect((await user.request('DELETE', `/api/v1/settings/oauth/grants/${grant.id as string}`)).status).toBe(204);
      expect((await mcp(tokens.access_token, { jsonrpc: '2.0', id: 1, method: 'ping' })).status).toBe(401);
      expect((await refreshWith(tokens.refresh_token)).body).toMatchObject({
        error: 'invalid_grant',
      });
      expect(
        (await user.request<{ total_count: number }>('GET', '/api/v1/settings/oauth/grants')).body.total_count,
      ).toBe(0);
      expect((await user.request('DELETE', '/api/v1/settings/oauth/grants/not-a-uuid')).status).toBe(404);
    });

    it('answers an app’s usage from its requests, to its own account only', async () => {
      const user = await DashboardUser.signup(base);
      const tokens = await connect(user);
      const from = (ip: string, body: Body) => mcp(tokens.access_token, body, { 'x-forwarded-for': ip });
      expect((await from('81.2.69.160', { jsonrpc: '2.0', id: 1, method: 'ping' })).status).toBe(200);
      const write = { name: 'create_memory', arguments: { text: 'counted' } };
      expect((await from('81.2.69.160', { jsonrpc: '2.0', id: 2, method: 'tools/call', params: write })).status).toBe(
        200,
      );
      const refused = { name: 'create_memory', arguments: { text: '' } };
      expect((await from('1.128.0.1', { jsonrpc: '2.0', id: 3, method: 'tools/call', params: refused })).status).toBe(
        200,
      );
      const [grant] = (await user.request<{ grants: { id: string }[] }>('GET', '/api/v1/settings/oauth/grants')).body
        .grants;
      const usageOf = (range: string, as = user, id = grant.id) =>
        as.request<Body>('GET', `/api/v1/settings/oauth/grants/${id}/usage?range=${range}`);

      const usage = await waitFor(
        () => usageOf('24h'),
        (response) => response.body.request_count === 3,
      );
      expect(usage.status).toBe(200);
      expect(usage.body).toMatchObject({
        grant_id: grant.id,
        client_id: clientId,
        client_name: 'Test MCP client',
        range: '24h',
        request_count: 3,
        failure_count: 1,
        last_used_at: expect.any(String),
        by_action: { 'mcp.ping': 1, 'memories.create': 2 },
        by_status: { '200': 3 },
        by_mcp_tool: { create_memory: 2 },
        ips: [
          expect.objectContaining({ ip: '81.2.69.160', count: 2 }),
          expect.objectContaining({ ip: '1.128.0.1', count: 1 }),
        ],
      });
      const series = usage.body.series as { start: string; count: number }[];
      expect(series).toHaveLength(24);
      expect(series.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(3);
      expect((usage.body.locations as { country: string }[]).map((place) => place.country).sort()).toEqual([
        'AU',
        'GB',
      ]);
      const daily = await usageOf('90d');
      expect([daily.body.request_count, (daily.body.series as unknown[]).length]).toEqual([3, 90]);
      expect(JSON.stringify(usage.body)).not.toContain(tokens.access_token.slice(4));

      // Another account, an unknown grant, a bad range, an API key: as for a key's usage.
      const otherUser = await DashboardUser.signup(base);
      expect((await usageOf('24h', otherUser)).status).toBe(404);
      expect((await usageOf('24h', user, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await usageOf('24h', user, 'not-a-uuid')).status).toBe(404);
      expect((await usageOf('24h', user, grant.id.toUpperCase())).body).toMatchObject({ request_count: 3 });
      const badRange = await usageOf('1y');
      expect([badRange.status, badRange.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const key = await user.createKey();
      const withKey = await call(base, 'GET', `/api/v1/settings/oauth/grants/${grant.id}/usage`, {
        key: key.full_key,
      });
      expect([withKey.status, (withKey.body as Body).code]).toEqual([403, 'SESSION_REQUIRED']);
      // A disconnected app's history stays readable.
      expect((await user.request('DELETE', `/api/v1/settings/oauth/grants/${grant.id}`)).status).toBe(204);
      expect((await usageOf('7d')).body).toMatchObject({ request_count: 3 });
    });

    it('records grants as events, in the account’s audit log, and never a code or token in the clear', async () => {
      const user = await DashboardUser.signup(base);
      const { verifier, challenge } = pkce();
      const decided = await user.request<{ redirect_to: string }>('POST', '/api/v1/oauth/authorization', {
        body: { ...authorizeQuery({}, challenge), decision: 'allow' },
      });
      const code = new URL(decided.body.redirect_to).searchParams.get('code') as string;
      const exchanged = await form('/oauth/token', {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: clientId,
        code_verifier: verifier,
      });
      const tokens = exchanged.body as unknown as Tokens;
      const [grant] = (await user.request<{ grants: Body[] }>('GET', '/api/v1/settings/oauth/grants')).body.grants;
      expect((await user.request('DELETE', `/api/v1/settings/oauth/grants/${grant.id as string}`)).status).toBe(204);
      const logged = await waitFor(
        () =>
          user.request<{ events: { type: string; data: Body }[] }>('GET', '/api/v1/audit-log?type=oauth.grant_created'),
        (response) => response.body.events?.length === 1,
      );
      expect(logged.body.events[0].data).toMatchObject({
        client_name: 'Test MCP client',
        scopes: ['content:read', 'content:write'],
      });
      await platform.withDatabase('key-service', async (dataSource) => {
        const events = (await dataSource.query(
          `SELECT event_type AS type, data FROM es_events WHERE event_type LIKE 'oauth.%' AND meta->>'account_id' = $1 ORDER BY global_position`,
          [user.account.id],
        )) as { type: string; data: Body }[];
        expect(events.map((event) => event.type)).toEqual(['oauth.grant_created', 'oauth.grant_revoked']);
        expect(events[1].data).toEqual({
          grant_id: grant.id,
          client_id: clientId,
          client_name: 'Test MCP client',
          reason: 'user',
        });
        const registered = (await dataSource.query(`SELECT data FROM es_events WHERE stream_id = $1`, [
          `oauth-client-${clientId}`,
        ])) as { data: Body }[];
        expect(registered.map((event) => event.data)).toEqual([
          { client_id: clientId, client_name: 'Test MCP client', redirect_uris: [REDIRECT], client_uri: null },
        ]);
        for (const secret of [tokens.access_token.slice(4), tokens.refresh_token.slice(4), code, verifier]) {
          const [found] = (await dataSource.query(
            `SELECT
               (SELECT count(*) FROM es_events WHERE data::text LIKE $1 OR meta::text LIKE $1) +
               (SELECT count(*) FROM oauth_codes WHERE code_hash LIKE $1) +
               (SELECT count(*) FROM oauth_access_tokens WHERE token_hash LIKE $1) +
               (SELECT count(*) FROM oauth_refresh_tokens WHERE token_hash LIKE $1) AS n`,
            [`%${secret}%`],
          )) as { n: string }[];
          expect(Number(found.n)).toBe(0);
        }
      });
    });
  });
});
