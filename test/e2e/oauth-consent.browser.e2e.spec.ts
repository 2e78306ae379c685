import { createHash, randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { DashboardUser, PASSWORD, call } from '../support/api-client';
import { TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

const SCOPES = {
  'content:read': 'Search and read your prompts, artifacts and memories',
  'content:write': 'Create and change your prompts, artifacts and memories',
};

interface TokenAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/**
 * An MCP client's login and consent in the dashboard (PRODUCT.md §14), in Debian's Chromium driven by
 * playwright-core as in dashboard.browser.e2e.spec.ts: the client registers, sends the browser to
 * /oauth/authorize, the user signs in and allows or denies, and the browser lands on the client's
 * loopback redirect URI (a small HTTP server of this test) with the code or the refusal.
 */
describe('OAuth consent in a browser (PRODUCT.md §14)', () => {
  let platform: TestPlatform;
  let base: string;
  let mcpUrl: string;
  let browser: Browser;
  let callbackServer: Server;
  let callbackUrl: string;

  beforeAll(async () => {
    platform = await TestPlatform.start();
    base = platform.url('gateway');
    mcpUrl = `${base}/mcp/v1/common`;
    callbackServer = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>Test MCP client</title><p>Done: you can close this tab.</p>');
    });
    await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (callbackServer ? callbackServer.close(resolve) : resolve(undefined)));
    await platform?.stop();
  });

  async function register(clientName: string): Promise<string> {
    const registered = await call<{ client_id: string }>(base, 'POST', '/oauth/register', {
      body: {
        client_name: clientName,
        redirect_uris: [callbackUrl],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    });
    expect(registered.status).toBe(201);
    return registered.body.client_id;
  }

  function pkce(): { verifier: string; challenge: string } {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  }

  function authorizeQuery(clientId: string, challenge: string, state: string): string {
    return new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: callbackUrl,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      scope: 'content:read content:write',
      resource: mcpUrl,
    }).toString();
  }

  async function logIn(page: Page, email: string): Promise<void> {
    await page.getByRole('form', { name: 'Log in' }).waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  /** The query the client's redirect URI was called with, once the browser is there. */
  async function landedOnCallback(page: Page): Promise<URLSearchParams> {
    await page.waitForURL((url) => url.href.startsWith(`${callbackUrl}?`));
    return new URL(page.url()).searchParams;
  }

  function exchange(code: string, clientId: string, verifier: string) {
    return call<TokenAnswer>(base, 'POST', '/oauth/token', {
      rawBody: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: callbackUrl,
        client_id: clientId,
        code_verifier: verifier,
        resource: mcpUrl,
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  /** MCP `initialize` with the token; the JSON-RPC answer comes as JSON or as one server-sent event. */
  async function initializeMcp(accessToken: string): Promise<{ status: number; result?: Record<string, unknown> }> {
    const response = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    });
    const text = await response.text();
    if (!response.ok) return { status: response.status };
    const json = (response.headers.get('content-type') ?? '').includes('text/event-stream')
      ? text
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice('data:'.length))
          .join('\n')
      : text;
    return { status: response.status, result: (JSON.parse(json) as { result?: Record<string, unknown> }).result };
  }

  it('asks a signed-out user to log in, then shows who asks, where the answer goes and what it may do; Deny tells the app', async () => {
    const user = await DashboardUser.signup(base, { name: 'Ola' });
    const clientId = await register('Test MCP client');
    const state = randomBytes(8).toString('hex');
    const context = await browser.newContext();
    const page = await context.newPage();

    await page.goto(`${base}/oauth/authorize?${authorizeQuery(clientId, pkce().challenge, state)}`);
    expect(new URL(page.url()).hash).toMatch(/^#\/oauth\/authorize\?/);
    await page.getByText('review an app that asks to connect').waitFor();
    await logIn(page, user.email);

    await page.getByTestId('client-name').waitFor();
    expect(await page.getByTestId('client-name').textContent()).toBe('Test MCP client');
    expect(await page.getByTestId('redirect-host').textContent()).toBe(new URL(callbackUrl).host);
    const shown = await page.locator('main').innerText();
    expect(shown).toContain('unverified');
    expect(shown).toContain(user.email);
    expect(shown).toContain(SCOPES['content:read']);
    expect(shown).toContain(SCOPES['content:write']);
    expect(shown).toContain(mcpUrl);

    await page.getByRole('button', { name: 'Deny' }).click();
    const answer = await landedOnCallback(page);
    expect(answer.get('error')).toBe('access_denied');
    expect(answer.get('state')).toBe(state);
    expect(answer.has('code')).toBe(false);
    await context.close();
  });

  it('allows once on a double click; the code buys a token that works on MCP until the app is disconnected', async () => {
    // The name is the registrant's own text: shown as text, never as markup.
    const clientName = 'Test MCP client <img src=x onerror=alert(1)>';
    const clientId = await register(clientName);
    const { verifier, challenge } = pkce();
    const state = randomBytes(8).toString('hex');
    const context = await browser.newContext();
    const page = await context.newPage();

    await page.goto(`${base}/oauth/authorize?${authorizeQuery(clientId, challenge, state)}`);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByLabel('Name').fill('Pia');
    await page.getByLabel('Email').fill(`oauth-${randomBytes(4).toString('hex')}@example.com`);
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByTestId('client-name').waitFor();
    expect(await page.getByTestId('client-name').textContent()).toBe(clientName);
    expect(await page.locator('main img').count()).toBe(0);

    const decisions: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/v1/oauth/authorization')
        decisions.push(request.postData() ?? '');
    });
    // Not live at once (double-clickjacking): Allow takes clicks after a moment of the page in view.
    expect(await page.getByRole('button', { name: 'Allow' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Allow' }).dblclick();
    const answer = await landedOnCallback(page);
    expect(decisions).toHaveLength(1);
    expect(JSON.parse(decisions[0])).toEqual({
      client_id: clientId,
      redirect_uri: callbackUrl,
      response_type: 'code',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      scope: 'content:read content:write',
      resource: mcpUrl,
      decision: 'allow',
    });
    expect(answer.get('state')).toBe(state);
    expect(answer.has('error')).toBe(false);
    const code = answer.get('code') ?? '';
    expect(code).not.toBe('');

    const token = await exchange(code, clientId, verifier);
    expect([token.status, token.body.token_type]).toEqual([200, 'Bearer']);
    const initialized = await initializeMcp(token.body.access_token);
    expect(initialized.status).toBe(200);
    expect(initialized.result).toHaveProperty('protocolVersion');
    // The audit log shows the request, made by the app.
    await page.goto(`${base}/#/audit?type=oauth_token.used`);
    const logged = page.locator('table tbody tr').filter({ hasText: 'mcp.initialize' });
    // Filter again until audit-service has it (the page does not poll).
    await waitFor(
      async () => {
        await page.getByRole('button', { name: 'Filter', exact: true }).click();
        await page.waitForTimeout(200);
        return logged.count();
      },
      (count) => count === 1,
    );
    expect((await logged.innerText()).replace(/\s+/g, ' ')).toContain(`app ${clientId.slice(0, 8)}…`);

    await page.goto(`${base}/#/settings/apps`);
    const row = page.locator('table.grants tbody tr').filter({ hasText: clientName });
    await row.waitFor();
    const listed = (await row.innerText()).replace(/\s+/g, ' ');
    expect(listed).toContain('content:read');
    expect(listed).toContain('content:write');
    // Its activity: the audit log filtered by the app.
    await row.getByRole('link', { name: `Activity of ${clientName}` }).click();
    await page.locator('table tbody tr').filter({ hasText: 'mcp.initialize' }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/audit?client_id=${clientId}`);
    await page.goBack();
    // Its usage: the request above, counted, with the app's name (the audit log has it by now).
    await row.getByRole('link', { name: `Usage of ${clientName}` }).click();
    await page.getByRole('heading', { name: `Usage of ${clientName}` }).waitFor();
    const summary = page.locator('dl.summary');
    expect((await summary.innerText()).replace(/\s+/g, ' ')).toMatch(/Requests \(7d\) 1 Failed requests 0/);
    await page.getByRole('button', { name: '24h' }).click();
    await summary.getByText('Requests (24h)').waitFor();
    expect(await page.getByRole('heading', { name: 'By MCP tool' }).isVisible()).toBe(true);
    expect(await page.getByRole('link', { name: 'Connected apps', exact: true }).getAttribute('aria-current')).toBe(
      'page',
    );
    await page.getByRole('link', { name: '← Connected apps' }).click();
    await row.waitFor();
    await row.getByRole('button', { name: `Disconnect ${clientName}` }).click();
    await page
      .getByRole('dialog', { name: 'Disconnect app' })
      .getByRole('button', { name: 'Disconnect', exact: true })
      .click();
    await page.getByText('No connected apps.').waitFor();
    expect(await page.getByTestId('mcp-url').textContent()).toBe(mcpUrl);

    expect((await initializeMcp(token.body.access_token)).status).toBe(401);
    const refreshed = await call<{ error?: string }>(base, 'POST', '/oauth/token', {
      rawBody: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: token.body.refresh_token,
        client_id: clientId,
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([refreshed.status, refreshed.body.error]).toEqual([400, 'invalid_grant']);
    await context.close();
  });

  it('shows why a request for an unknown client cannot be approved, and offers no Allow', async () => {
    const user = await DashboardUser.signup(base, { name: 'Uma' });
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'unknown',
      redirect_uri: callbackUrl,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      state: 'unknown-client',
    }).toString();
    const refused = await user.request<{ detail: string }>('GET', `/api/v1/oauth/authorization?${query}`);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const context = await browser.newContext();
    const page = await context.newPage();

    await page.goto(`${base}/#/oauth/authorize?${query}`);
    await logIn(page, user.email);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe(refused.body.detail);
    expect(await page.getByRole('button', { name: 'Allow' }).count()).toBe(0);
    await context.close();
  });
  it('gives the CLI a key from its login page: the user signs in, names it, and the browser carries a code to the CLI', async () => {
    // The CLI's request as `vibexp auth login --web` prints it; this test's callback server plays the CLI's.
    const { verifier, challenge } = pkce();
    const state = randomBytes(24).toString('base64url');
    const port = new URL(callbackUrl).port;
    const query = new URLSearchParams({ port, state, code_challenge: challenge, name: 'vibexp CLI on laptop' });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/#/cli/authorize?${query}`);
    await page.getByText('give the vibexp CLI on this computer an API key').waitFor();
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByLabel('Name').fill('Cleo');
    const email = `cli-${randomBytes(4).toString('hex')}@example.com`;
    await page.getByLabel('Email').fill(email);
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Log in the vibexp CLI' }).waitFor();
    const text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    expect(text).toContain(email);
    expect(text).toContain(`127.0.0.1:${port}`);
    // The code the CLI prints beside the address, from its challenge: a link made by someone else shows another.
    expect(await page.getByTestId('confirmation-code').textContent()).toBe(
      `${challenge.slice(0, 4)}-${challenge.slice(4, 8)}`,
    );
    const create = page.getByRole('button', { name: 'Create key for the CLI' });
    expect(await create.isDisabled()).toBe(true); // armed after a moment in view, as the consent page
    await page.getByLabel('Key name').fill('Build box');
    await page.getByRole('checkbox', { name: /ai_tools/ }).check();
    await create.click();
    const answer = await landedOnCallback(page);
    expect(answer.get('state')).toBe(state);
    const traded = await call<{
      full_key: string;
      api_key: { name: string; integrations: string[]; expires_at: string | null };
    }>(base, 'POST', '/api/v1/cli/token', { body: { code: answer.get('code'), code_verifier: verifier } });
    expect(traded.status).toBe(201);
    expect(traded.body.api_key).toMatchObject({ name: 'Build box', integrations: ['ai_tools', 'cli'] });
    // 90 days unless the user picks another lifetime.
    const lifetime = Date.parse(traded.body.api_key.expires_at ?? '') - Date.now();
    expect(Math.abs(lifetime - 90 * 86_400_000)).toBeLessThan(3_600_000);

    // Cancel tells the CLI, and makes no key; an address the CLI never makes offers nothing.
    await page.goto(`${base}/#/cli/authorize?${query}`);
    await page.getByRole('button', { name: 'Cancel' }).click();
    const cancelled = await landedOnCallback(page);
    expect([cancelled.get('error'), cancelled.get('state'), cancelled.get('code')]).toEqual([
      'access_denied',
      state,
      null,
    ]);
    await page.goto(`${base}/#/cli/authorize?port=80&state=x`);
    await page.getByText('This address is not a login request of the vibexp CLI').waitFor();
    expect(await page.getByRole('button', { name: 'Create key for the CLI' }).count()).toBe(0);
    await context.close();
  });
});
