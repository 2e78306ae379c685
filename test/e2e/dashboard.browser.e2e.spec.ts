import type { Browser, Page } from 'playwright-core';
import { launchChromium, signedInPage } from '../support/browser';
import { DashboardUser, call } from '../support/api-client';
import { TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

type Body = Record<string, unknown>;

/**
 * The dashboard (PRODUCT.md §13) in a real browser: Debian's Chromium, driven by playwright-core
 * (`npm test` installs the package as root when it is missing, as it does nats-server).
 */
describe('dashboard in a browser (PRODUCT.md §13)', () => {
  let platform: TestPlatform;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    platform = await TestPlatform.start();
    base = platform.url('gateway');
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  async function signUp(page: Page, name: string): Promise<string> {
    const email = `browser-${Date.now()}-${Math.random().toString(16).slice(2, 8)}@example.com`;
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel(/^Password/).fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'API Keys' }).waitFor();
    return email;
  }

  it('creates a key shown once, then lists it with its prefix, badges and use', async () => {
    const page = await browser.newPage();
    await signUp(page, 'Dana');
    await page.getByText('No active keys yet.').waitFor();

    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create API key' });
    await dialog.getByLabel('Name').fill('Laptop');
    await dialog.locator('input[value=ai_tools]').check();
    // A double click sends one request: one key, not a second one nobody ever saw.
    await dialog.getByRole('button', { name: 'Create key' }).dblclick();
    const shown = page.getByRole('dialog', { name: 'Your new API key' });
    const fullKey = (await shown.getByTestId('full-key').textContent()) ?? '';
    expect(fullKey).toMatch(/^vxk_[0-9a-f]{64}$/);
    await expect(shown.getByRole('alert').textContent()).resolves.toContain('shown only once');
    // Escape does not lose it: only the button closes it.
    await page.keyboard.press('Escape');
    expect(await shown.isVisible()).toBe(true);
    await shown.getByRole('button', { name: 'I have stored the key' }).click();

    const row = page.locator('table.keys tbody tr');
    expect(await row.count()).toBe(1);
    const text = (await row.innerText()).replace(/\s+/g, ' ');
    expect(text).toContain('Laptop');
    expect(text).toContain(`${fullKey.slice(0, 12)}…`);
    expect(text).toContain('AI Tools');
    expect(text).toContain('CLI');
    expect(text).toContain('Never');
    expect(await page.content()).not.toContain(fullKey);

    // The key works; its use shows after a reload.
    const me = await call<Body>(base, 'GET', '/api/v1/auth/me', { key: fullKey });
    expect(me.status).toBe(200);
    await waitFor(
      async () => {
        await page.reload();
        return (await page.locator('table.keys tbody tr td.number').first().innerText()).trim();
      },
      (requests) => requests === '1',
    );
    await page.close();
  });

  it('rotates with a grace period and revokes after a confirmation', async () => {
    const page = await browser.newPage();
    await signUp(page, 'Rhea');
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByRole('dialog', { name: 'Create API key' }).getByLabel('Name').fill('CI');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('button', { name: 'I have stored the key' }).click();

    await page.getByRole('button', { name: 'Rotate CI' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate API key' });
    await rotate.getByLabel('The old key').selectOption('3600');
    await rotate.getByRole('button', { name: 'Rotate' }).click();
    const replacement = (await page.getByTestId('full-key').textContent()) ?? '';
    expect(replacement).toMatch(/^vxk_/);
    await page.getByRole('button', { name: 'I have stored the key' }).click();

    const rows = page.locator('table.keys tbody tr');
    await waitFor(
      () => rows.count(),
      (count) => count === 2,
    );
    const old = rows.filter({ hasText: 'rotated: stops working' });
    expect(await old.count()).toBe(1);
    // The key in its grace period cannot be rotated again; the new one can.
    expect(await old.getByRole('button', { name: 'Rotate CI' }).count()).toBe(0);

    const fresh = rows.filter({ hasText: `${replacement.slice(0, 12)}…` });
    await fresh.getByRole('button', { name: 'Revoke CI' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke API key' });
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await waitFor(
      () => rows.count(),
      (count) => count === 1,
    );
    const refused = await call<Body>(base, 'GET', '/api/v1/auth/me', { key: replacement });
    expect([refused.status, refused.body.code]).toEqual([401, 'AUTH_INVALID']);
    await page.close();
  });

  it('sorts the keys by a column, searches them, and keeps status, search, sort and page in the address', async () => {
    const user = await DashboardUser.signup(base, { name: 'Sol' });
    for (let index = 1; index <= 21; index++)
      await user.createKey({ name: `Worker ${String(index).padStart(2, '0')}` });
    await user.createKey({ name: 'Laptop' });
    const build = await user.createKey({ name: 'Build server' });
    const page = await signedInPage(browser, base, user, '/keys');
    const names = async () =>
      (await page.locator('table.keys tbody tr td:first-child strong').allInnerTexts()).map((name) => name.trim());
    const hash = () => new URL(page.url()).hash;
    await page.getByText('page 1 of 2').waitFor();
    // Newest first by default, as the API.
    expect((await names())[0]).toBe('Build server');

    const byName = page.getByRole('columnheader', { name: 'Name' });
    await byName.getByRole('button').click();
    await waitFor(names, (shown) => shown[0] === 'Build server' && shown[1] === 'Laptop');
    expect(await byName.getAttribute('aria-sort')).toBe('ascending');
    await byName.getByRole('button').click();
    await waitFor(names, (shown) => shown[0] === 'Worker 21');
    expect(await byName.getAttribute('aria-sort')).toBe('descending');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('page 2 of 2').waitFor();
    expect(hash()).toBe('#/keys?sort_by=name&page=2');
    // A reload shows the same page of the same order.
    await page.reload();
    await page.getByText('page 2 of 2').waitFor();
    await waitFor(names, (shown) => JSON.stringify(shown) === JSON.stringify(['Worker 01', 'Laptop', 'Build server']));

    // A search by name (any case) or by the key's prefix starts at page 1.
    const filters = page.getByRole('form', { name: 'filters' });
    await filters.getByLabel('search keys').fill('LAP');
    await filters.getByRole('button', { name: 'Search' }).click();
    await waitFor(names, (shown) => JSON.stringify(shown) === JSON.stringify(['Laptop']));
    expect(hash()).toBe('#/keys?search=LAP&sort_by=name');
    await filters.getByLabel('search keys').fill(build.key_prefix);
    await filters.getByLabel('search keys').press('Enter');
    await waitFor(names, (shown) => JSON.stringify(shown) === JSON.stringify(['Build server']));
    await filters.getByLabel('search keys').fill('nobody');
    await filters.getByLabel('search keys').press('Enter');
    await page.getByText('No active key matches “nobody”.').waitFor();

    // Back returns to the earlier lists, with their search in the box.
    await page.goBack();
    await waitFor(names, (shown) => JSON.stringify(shown) === JSON.stringify(['Build server']));
    expect(await filters.getByLabel('search keys').inputValue()).toBe(build.key_prefix);
    await filters.getByRole('button', { name: 'Clear search' }).click();
    await page.getByText('page 1 of 2').waitFor();
    expect(hash()).toBe('#/keys?sort_by=name');
    await page.close();
  });

  it('shows a refused field’s message beside it, and keeps keyboard focus on the page (skip link, dialogs, a row that goes)', async () => {
    const user = await DashboardUser.signup(base, { name: 'Kay' });
    await user.createKey({ name: 'Kept' });
    await user.createKey({ name: 'Doomed' });
    const page = await signedInPage(browser, base, user, '/keys');
    await page.getByRole('button', { name: 'Edit Kept' }).waitFor();
    /** What has keyboard focus: a button by its label, else an element by its id. */
    const focused = async () => {
      const active = page.locator('*:focus');
      if ((await active.count()) === 0) return '';
      return (await active.getAttribute('aria-label')) ?? (await active.getAttribute('id')) ?? '';
    };

    // The first Tab stop skips the menu.
    await page.keyboard.press('Tab');
    expect(await page.locator('*:focus').innerText()).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await focused()).toBe('main');

    // A field the API refuses carries its message beside it, and is marked invalid.
    await page.getByRole('button', { name: 'Create API key' }).click();
    const create = page.getByRole('dialog', { name: 'Create API key' });
    await create.getByLabel('Name').fill('report\u202Etxt.exe');
    await create.getByRole('button', { name: 'Create key' }).click();
    const message = 'must not contain control characters or bidirectional controls (such as U+202E)';
    await create.locator('#error-name').getByText(message).waitFor();
    expect(await create.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    expect(await create.getByLabel('Name').getAttribute('aria-describedby')).toBe('error-name');
    await create.getByLabel('Name').fill('fine');
    await create.locator('input[value=cli]').uncheck();
    await create.getByRole('button', { name: 'Create key' }).click();
    await create.locator('#error-integrations').getByText('choose at least one').waitFor();
    expect(await create.locator('#error-name').count()).toBe(0);
    await create.getByRole('button', { name: 'Cancel' }).click();

    // A dialog closed (saved or cancelled) gives focus back to the button that opened it.
    await page.getByRole('button', { name: 'Edit Kept' }).focus();
    await page.keyboard.press('Enter');
    const edit = page.getByRole('dialog', { name: 'Edit API key' });
    await edit.getByLabel('Name').fill('Kept too');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Edit Kept too' }).waitFor();
    await waitFor(focused, (label) => label === 'Edit Kept too');

    // A revoked key's row goes from the list, and its Revoke button with it: focus goes to the page, not <body>.
    await page.getByRole('button', { name: 'Revoke Doomed' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Revoke API key' }).getByRole('button', { name: 'Revoke key' }).click();
    await waitFor(
      () => page.getByRole('button', { name: 'Revoke Doomed' }).count(),
      (count) => count === 0,
    );
    await waitFor(focused, (label) => label === 'main');
    await page.close();
  });

  it('edits a memory, restores an earlier version, and previews a prompt', async () => {
    const page = await browser.newPage();
    await signUp(page, 'Mo');
    await page.goto(`${base}/#/memories`);
    await page.getByRole('button', { name: 'New' }).click();
    await page.locator('form.editor input[name=project]').fill('shop/api');
    await page.locator('form.editor textarea[name=text]').fill('first text');
    // A double click saves one memory (one request, and an Idempotency-Key per opened form).
    await page.locator('form.editor').getByRole('button', { name: 'Save' }).dblclick();
    await page.getByRole('button', { name: 'first text' }).waitFor();
    expect(await page.getByRole('button', { name: 'first text' }).count()).toBe(1);
    await page.getByRole('button', { name: 'first text' }).click();
    await page.locator('form.editor textarea[name=text]').fill('second text');
    await page.locator('form.editor').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'second text' }).click();
    await page.getByRole('button', { name: 'Restore' }).click();
    await waitFor(
      () => page.locator('form.editor textarea[name=text]').inputValue(),
      (text) => text === 'first text',
    );
    expect(await page.locator('form.editor').count()).toBe(1);
    // The history is asked for again after the restore: wait for its answer, not just the text's.
    await waitFor(
      () => page.locator('section.editor tbody tr').count(),
      (rows) => rows === 3,
    );

    await page.goto(`${base}/#/prompts`);
    await page.getByRole('button', { name: 'New' }).click();
    await page.locator('form.editor input[name=name]').fill('Greeting');
    await page.locator('form.editor textarea[name=body]').fill('Hello {{who}}');
    // Offered to MCP clients by default (mcp_expose); unticked here, and saved so.
    const offered = page.locator('form.editor input[name=mcp_expose]');
    await expect(offered.isChecked()).resolves.toBe(true);
    await offered.uncheck();
    await page.locator('form.editor').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Greeting' }).click();
    await expect(page.locator('form.editor input[name=mcp_expose]').isChecked()).resolves.toBe(false);
    await page.getByRole('button', { name: 'Preview render' }).click();
    await expect(page.locator('section.editor pre').innerText()).resolves.toBe('Hello {{who}}');
    await expect(page.getByText('Placeholders to fill: who').count()).resolves.toBe(1);
    await page.close();
  });

  /** A new account whose revoked key was tried once: one open revoked_key_use alert, listed. */
  async function userWithRevokedKeyAlert(name: string, keyName: string) {
    const user = await DashboardUser.signup(base, { name });
    const key = await user.createKey({ name: keyName });
    expect((await user.request('DELETE', `/api/v1/settings/api-keys/${key.api_key.id}`)).status).toBe(204);
    expect((await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key })).status).toBe(401);
    await waitFor(
      () => user.request<{ alerts: Body[] }>('GET', '/api/v1/security/alerts'),
      (response) => response.body.alerts?.length === 1,
    );
    return { user, key };
  }

  it('lists security alerts with where to look next, and acknowledges and resolves one', async () => {
    const { user, key } = await userWithRevokedKeyAlert('Ali', 'Old laptop');

    const page = await signedInPage(browser, base, user, '/keys');
    await page.getByRole('link', { name: 'Security alerts' }).click();
    const alert = page.locator('li.alert');
    await alert.getByText('revoked_key_use').waitFor();
    await alert.getByText('Someone tried to use a revoked key').waitFor();
    expect(await alert.innerText()).toContain('open');

    // The alert leads to the key's usage, and back.
    await alert.getByRole('link', { name: 'See the key’s usage' }).click();
    await page.getByRole('heading', { name: 'Usage of Old laptop' }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/keys/${key.api_key.id}/usage`);
    const keySummary = page.locator('dl.summary');
    await keySummary.waitFor();
    expect((await keySummary.innerText()).replace(/\s+/g, ' ')).toMatch(
      new RegExp(`^Key ${key.key_prefix}… Requests \\(7d\\) \\d+ Failed authentications \\d+ Last used `),
    );
    // The chart fills its box (its last bar at the right edge) and names its days in words.
    const chart = page.locator('figure.columns');
    expect(await chart.locator('figcaption').innerText()).toMatch(
      /^\d{1,2} [A-Z][a-z]{2} \d{4} → .* UTC, by day, peak \d+/,
    );
    const [svg, last] = await Promise.all([
      chart.locator('svg').boundingBox(),
      chart.locator('rect').last().boundingBox(),
    ]);
    expect(svg!.x + svg!.width - (last!.x + last!.width)).toBeLessThan(svg!.width / 50);
    await page.goBack();
    // And to the key's events in the audit log, whose filters stay in the address across a reload.
    await alert.getByRole('link', { name: 'Its events in the audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/audit?key_id=${key.api_key.id}`);
    await page.reload();
    const types = () => page.locator('table tbody tr td:nth-child(2)').allInnerTexts();
    // The page does not poll: the key's birth (KEYS) and the failure (AUTH) reach the log through separate
    // consumers, so ask again until both are there.
    const refreshedTypes = async () => {
      await page.getByRole('button', { name: 'Filter', exact: true }).click();
      return types();
    };
    await waitFor(refreshedTypes, (shown) => shown.includes('auth.failed') && shown.includes('key.created'));
    expect(await page.getByLabel('key id').inputValue()).toBe(key.api_key.id);
    await page.getByLabel('outcome').selectOption('failure');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await waitFor(types, (shown) => shown.length > 0 && shown.every((type) => type === 'auth.failed'));
    expect(new URL(page.url()).hash).toBe(`#/audit?key_id=${key.api_key.id}&outcome=failure`);
    // A row opens to what the columns do not show: here, why the key was refused.
    const failure = page.getByRole('button', { name: 'auth.failed' }).first();
    await failure.click();
    expect(await failure.getAttribute('aria-expanded')).toBe('true');
    const details = page.locator('tr.details dl.event-details');
    expect((await details.innerText()).replace(/\s+/g, ' ')).toMatch(/reason revoked .*meta\.request_id \S+/);
    await failure.click();
    await details.waitFor({ state: 'detached' });
    await page.goBack();
    await waitFor(types, (shown) => shown.includes('key.created'));
    await page.getByRole('link', { name: 'Security alerts' }).click();

    await alert.getByRole('button', { name: 'Acknowledge' }).click();
    await waitFor(
      () => alert.innerText(),
      (text) => text.includes('acknowledged'),
    );
    await alert.getByLabel('resolve as').selectOption('revoked_key');
    await alert.getByLabel('note').fill('the old laptop was wiped');
    await alert.getByRole('button', { name: 'Resolve' }).click();
    await alert.getByText('resolved: revoked_key — the old laptop was wiped').waitFor();
    // The status and rule filters stay in the address.
    await page.getByLabel('status').selectOption('open');
    await page.getByText('No open alerts.').waitFor();
    expect(new URL(page.url()).hash).toBe('#/alerts?status=open');
    await page.getByLabel('status').selectOption('resolved');
    await page.getByLabel('rule').selectOption('revoked_key_use');
    await alert.getByText('resolved: revoked_key').waitFor();
    await page.reload();
    await alert.getByText('resolved: revoked_key').waitFor();
    expect(new URL(page.url()).hash).toBe('#/alerts?status=resolved&rule=revoked_key_use');
    expect(await page.getByLabel('rule').inputValue()).toBe('revoked_key_use');
    await page.getByLabel('rule').selectOption('key_leaked');
    await page.getByText('No resolved alerts.').waitFor();
    const stored = await user.request<{ alerts: Body[] }>('GET', '/api/v1/security/alerts');
    expect(stored.body.alerts[0]).toMatchObject({
      status: 'resolved',
      resolution: 'revoked_key',
      resolution_note: 'the old laptop was wiped',
    });
    await page.close();
  });

  it('fits a phone-wide window: an alert’s filters and resolve form wrap, and the alert stays resolvable', async () => {
    const { user } = await userWithRevokedKeyAlert('Pia', 'Phone');

    const page = await signedInPage(browser, base, user, '/alerts');
    await page.setViewportSize({ width: 390, height: 844 });
    const alert = page.locator('li.alert');
    await alert.getByText('revoked_key_use').waitFor();
    const width = 390;
    const outside = async (): Promise<string[]> => {
      const boxes = await Promise.all(
        [
          page.getByLabel('status'),
          page.getByLabel('rule'),
          alert.getByRole('button', { name: 'Acknowledge' }),
          alert.getByLabel('resolve as'),
          alert.getByLabel('note'),
          alert.getByRole('button', { name: 'Resolve' }),
        ].map(
          async (control) =>
            [await control.evaluate((element) => element.outerHTML.slice(0, 40)), await control.boundingBox()] as const,
        ),
      );
      return boxes.filter(([, box]) => !box || box.x < 0 || box.x + box.width > width).map(([name]) => name);
    };
    expect(await outside()).toEqual([]);
    await page.close();
  });

  it('keeps a dialog, its border included, inside a phone-wide window', async () => {
    const user = await DashboardUser.signup(base, { name: 'Rui' });
    const page = await signedInPage(browser, base, user, '/keys');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Create API key' }).click();
    const create = page.getByRole('dialog', { name: 'Create API key' });
    await create.getByLabel('Name').fill('Phone');
    const box = (await create.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    await create.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('dialog', { name: 'Your new API key' });
    await shown.getByTestId('full-key').waitFor();
    const shownBox = (await shown.boundingBox())!;
    expect(shownBox.x + shownBox.width).toBeLessThanOrEqual(390);
    await page.close();
  });

  it('shows the webhook signing secret when asked, and rotates it after a confirmation', async () => {
    const user = await DashboardUser.signup(base, { name: 'Wen' });
    const put = await user.request<{ webhook_secret: string }>('PUT', '/api/v1/settings/security', {
      body: {
        timezone: 'UTC',
        working_hours: null,
        webhook_url: 'https://hooks.example.com/vibexp',
        auto_revoke_on: [],
      },
    });
    expect(put.status).toBe(200);
    const page = await signedInPage(browser, base, user, '/settings/security');
    await page.getByRole('heading', { name: 'Security settings' }).waitFor();
    // Without working hours, their days and times are greyed out until the box is ticked.
    const monday = page.getByRole('checkbox', { name: 'Mon' });
    expect(await monday.isDisabled()).toBe(true);
    await page.getByRole('checkbox', { name: /Working hours/ }).check();
    expect(await monday.isDisabled()).toBe(false);
    await page.getByRole('checkbox', { name: /Working hours/ }).uncheck();
    const secretLine = page.locator('p', { hasText: 'Signing secret' });
    expect(await secretLine.locator('code').innerText()).not.toContain(put.body.webhook_secret);
    await page.getByRole('button', { name: 'Show' }).click();
    expect(await secretLine.locator('code').innerText()).toBe(put.body.webhook_secret);
    // Declined: nothing changes.
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.getByRole('button', { name: 'Rotate' }).click();
    expect(
      (await user.request<{ webhook_secret: string }>('GET', '/api/v1/settings/security')).body.webhook_secret,
    ).toBe(put.body.webhook_secret);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Rotate' }).click();
    const rotated = await waitFor(
      () => secretLine.locator('code').innerText(),
      (shown) => /^[0-9a-f]{64}$/.test(shown) && shown !== put.body.webhook_secret,
    );
    expect(
      (await user.request<{ webhook_secret: string }>('GET', '/api/v1/settings/security')).body.webhook_secret,
    ).toBe(rotated);
    await page.close();
  });

  it('brings back sign-in when the session ends, and logs out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signUp(page, 'Sam');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();

    await signUp(page, 'Sam again');
    // Not while the keys page's own requests are out: an answer slides the session and sets its cookie again.
    await page.waitForLoadState('networkidle');
    await context.clearCookies();
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByText('Your session has ended: sign in again.').waitFor();
    await context.close();
  });

  it('shows the API documentation (Swagger UI) under its own content security policy', async () => {
    const page = await browser.newPage();
    const refused: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') refused.push(message.text());
    });
    const answer = await page.goto(`${base}/api/docs`);
    expect(answer?.headers()['content-security-policy']).toContain("script-src 'self';");
    await page.getByText('/api/v1/auth/me').first().waitFor();
    await page.getByRole('heading', { name: /VibeXP API/ }).waitFor();
    // Swagger UI runs whole under the policy: nothing of it was refused.
    expect(refused).toEqual([]);
    await page.close();
  });
});
