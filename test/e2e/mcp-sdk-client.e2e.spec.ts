import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type OAuthClientProvider, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { DashboardUser } from '../support/api-client';
import { TestPlatform } from '../support/platform';

/**
 * The official MCP TypeScript SDK's client against the platform (PRODUCT.md §14), as Claude Code and the
 * MCP Inspector use it: discovery from the 401, dynamic registration, PKCE, the `resource` parameter, the
 * token exchange, Streamable HTTP, and a refresh when the access token is refused. The one step a browser
 * would take, the user's consent in the dashboard, is made with the user's session.
 */
class SignedInUserProvider implements OAuthClientProvider {
  client?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  code?: string;
  landedOn?: URL;

  constructor(private readonly user: DashboardUser) {}

  get redirectUrl(): string {
    return 'http://localhost:33418/callback';
  }
  get clientMetadata() {
    return {
      client_name: 'SDK client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state(): string {
    return 'sdk-state';
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(client: OAuthClientInformationMixed): void {
    this.client = client;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }
  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }
  codeVerifier(): string {
    return this.verifier;
  }

  /** What the browser and the user do: follow the redirect to the consent page, and allow. */
  async redirectToAuthorization(url: URL): Promise<void> {
    const response = await fetch(url, { redirect: 'manual' });
    const location = response.headers.get('location') ?? '';
    expect(location.startsWith('/#/oauth/authorize?')).toBe(true);
    const params = Object.fromEntries(new URLSearchParams(location.split('?')[1]));
    const decided = await this.user.request<{ redirect_to: string }>('POST', '/api/v1/oauth/authorization', {
      body: { ...params, decision: 'allow' },
    });
    this.landedOn = new URL(decided.body.redirect_to);
    this.code = this.landedOn.searchParams.get('code') ?? undefined;
  }
}

describe('the MCP TypeScript SDK client connects through OAuth 2.1 (PRODUCT.md §14)', () => {
  let platform: TestPlatform;
  let base: string;

  beforeAll(async () => {
    platform = await TestPlatform.start();
    base = platform.url('gateway');
  }, 90_000);
  afterAll(() => platform?.stop());

  it('signs in, uses the tools and prompts, and refreshes a refused access token', async () => {
    const provider = new SignedInUserProvider(await DashboardUser.signup(base));
    const url = new URL(`${base}/mcp/v1/common`);
    const connect = async () => {
      const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
      const client = new Client({ name: 'vibexp-e2e', version: '1.0.0' });
      await client.connect(transport);
      return { client, transport };
    };

    // First contact: 401 → discovery, registration, the consent, then the SDK wants the code.
    const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
    await expect(new Client({ name: 'vibexp-e2e', version: '1.0.0' }).connect(first)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    expect(provider.client?.client_id).toEqual(expect.any(String));
    expect(provider.landedOn?.searchParams.get('state')).toBe('sdk-state');
    expect(provider.landedOn?.searchParams.get('iss')).toBe(base);
    await first.finishAuth(provider.code as string);
    expect(provider.saved).toMatchObject({ token_type: 'Bearer', scope: 'content:read content:write' });

    const { client, transport } = await connect();
    expect(client.getServerVersion()).toMatchObject({ name: 'vibexp' });
    expect(transport.protocolVersion).toBe('2025-06-18');
    const tools = await client.listTools();
    expect(tools.tools.map((tool) => tool.name)).toContain('create_memory');

    const created = await client.callTool({ name: 'create_memory', arguments: { text: 'SDK memory', project: 'sdk' } });
    expect(created.isError).toBeFalsy();
    expect(created.structuredContent).toMatchObject({ text: 'SDK memory', project: 'sdk', version: 1 });
    const refused = await client.callTool({ name: 'create_memory', arguments: { text: '' } });
    expect(refused.isError).toBe(true);

    await client.callTool({
      name: 'create_prompt',
      arguments: { name: 'Greet', slug: 'greet', body: 'Hello {{who}}', status: 'published' },
    });
    expect((await client.listPrompts()).prompts).toEqual([
      { name: 'greet', title: 'Greet', arguments: [{ name: 'who', required: false }] },
    ]);
    const prompt = await client.getPrompt({ name: 'greet', arguments: { who: 'world' } });
    expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Hello world' } }]);

    // A refused access token: the SDK refreshes with its refresh token and retries, without the user.
    const before = provider.saved as OAuthTokens;
    provider.saved = { ...before, access_token: `vxo_${'0'.repeat(64)}` };
    const found = await client.callTool({ name: 'search', arguments: { query: 'SDK memory' } });
    expect((found.structuredContent as { results: unknown[] }).results).toHaveLength(1);
    expect(provider.saved.refresh_token).not.toBe(before.refresh_token);
    await client.close();
  });
});
