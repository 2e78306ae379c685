import type { Browser, Page, Request } from 'playwright-core';
import { launchChromium, signedInPage } from '../support/browser';
import { DashboardUser, call } from '../support/api-client';
import { TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

/**
 * The Prompts, Artifacts and Memories pages (PRODUCT.md §5, §13) in Debian's Chromium: the project, label and
 * type filters with search and status, and a prompt's preview with values typed for its placeholders. Content
 * is created through the API first, as a tool would.
 */
describe('dashboard content filters and render preview in a browser (PRODUCT.md §5, §13)', () => {
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

  async function create(user: DashboardUser, kind: string, body: Record<string, unknown>): Promise<void> {
    const response = await user.request('POST', `/api/v1/${kind}`, { body });
    if (response.status !== 201)
      throw new Error(`creating ${kind}: ${response.status} ${JSON.stringify(response.body)}`);
  }

  const openAs = (user: DashboardUser, route: string): Promise<Page> => signedInPage(browser, base, user, route);

  /** The titles the list shows, sorted; [] once it says nothing matches. */
  async function titles(page: Page): Promise<string[]> {
    if (await page.locator('p.empty').isVisible()) return [];
    const cells = await page.locator('table tbody tr td:first-child').allInnerTexts();
    return cells.map((text) => text.trim()).sort();
  }

  const shows = (page: Page, expected: string[]) =>
    waitFor(
      () => titles(page),
      (shown) => JSON.stringify(shown) === JSON.stringify([...expected].sort()),
    );

  /** Holds the answers to the requests `matches` picks for `delayMs`; resolves once every one has reached the page. */
  async function delayAnswers(page: Page, matches: (request: Request) => boolean, delayMs: number) {
    const delivered: Promise<unknown>[] = [];
    await page.route(
      (url) => url.pathname.startsWith('/api/v1/'),
      async (route) => {
        if (!matches(route.request())) return route.fallback();
        delivered.push(page.waitForEvent('requestfinished', (finished) => finished === route.request()));
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        await route.fulfill({ response: await route.fetch() });
      },
    );
    return {
      count: () => delivered.length,
      /** Every held answer has reached the page, and the page has had time to handle it. */
      settled: async () => {
        await Promise.all(delivered);
        await page.waitForTimeout(300);
      },
    };
  }

  it('filters memories by project and by labels (any), with search and status, from page 1; a label filters by it', async () => {
    const user = await DashboardUser.signup(base, { name: 'Flo' });
    // Older than the others: the last page holds some of these only.
    for (let index = 1; index <= 20; index++) await create(user, 'memories', { title: `Loose ${index}`, text: 'x' });
    await create(user, 'memories', {
      title: 'Shop deploy notes',
      text: 'deploy with blue-green',
      project: 'shop/api',
      labels: ['deploy', 'ops'],
    });
    await create(user, 'memories', {
      title: 'Shop style guide',
      text: 'tabs',
      project: 'shop/web',
      labels: ['style'],
    });
    await create(user, 'memories', { title: 'Blog drafts', text: 'three drafts', project: 'blog', labels: ['ops'] });
    await create(user, 'memories', {
      title: 'Old ops memo',
      text: 'pager rota',
      project: 'blog',
      labels: ['ops'],
      status: 'archived',
    });

    const page = await openAs(user, '/memories');
    const filters = page.getByRole('form', { name: 'filters' });
    await page.getByText('page 1 of 2').waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('page 2 of 2').waitFor();

    // A new filter starts again at page 1: its one match would not be on page 2.
    await filters.getByLabel('project', { exact: true }).fill('shop/api');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await shows(page, ['Shop deploy notes']);
    expect(await page.locator('nav.pager').count()).toBe(0);
    expect((await page.locator('table tbody tr').innerText()).replace(/\s+/g, ' ')).toContain('shop/api deploy ops');

    await filters.getByLabel('project', { exact: true }).fill('');
    await filters.getByLabel('labels', { exact: true }).fill('ops');
    await filters.getByLabel('labels', { exact: true }).press('Enter');
    await shows(page, ['Blog drafts', 'Shop deploy notes']);

    // Any of the labels matches.
    await filters.getByLabel('labels', { exact: true }).fill('style, deploy');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await shows(page, ['Shop deploy notes', 'Shop style guide']);

    // Labels, project, search and status combine.
    await filters.getByLabel('project', { exact: true }).fill('shop/web');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await shows(page, ['Shop style guide']);
    await filters.getByLabel('project', { exact: true }).fill('');
    await filters.getByLabel('labels', { exact: true }).fill('ops');
    await filters.getByLabel('search memories').fill('drafts');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await shows(page, ['Blog drafts']);
    await filters.getByLabel('search memories').fill('');
    await filters.getByLabel('status').selectOption('archived');
    await shows(page, ['Old ops memo']);
    await filters.getByLabel('project', { exact: true }).fill('shop/api');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByText('Nothing matches these filters.').waitFor();

    // A project the API refuses says why, with no rows of another filter under it.
    await filters.getByLabel('project', { exact: true }).fill('shop/../etc');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toContain('project');
    expect(await page.locator('table tbody tr').count()).toBe(0);

    await filters.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByText('page 1 of 2').waitFor();
    expect(await filters.getByLabel('project', { exact: true }).inputValue()).toBe('');

    // A click on a label or a project shows the items with it.
    await page.getByRole('button', { name: 'Filter by label style' }).click();
    await shows(page, ['Shop style guide']);
    expect(await filters.getByLabel('labels', { exact: true }).inputValue()).toBe('style');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByRole('button', { name: 'Filter by project blog' }).click();
    await shows(page, ['Blog drafts']);
    await page.close();
  });

  it('keeps the filters and page in the address: a reload, a link and Back show the same list', async () => {
    const user = await DashboardUser.signup(base, { name: 'Uri' });
    for (let index = 1; index <= 21; index++) await create(user, 'memories', { title: `Note ${index}`, text: 'x' });
    await create(user, 'memories', { title: 'Web team', text: 'a', metadata: { team: 'web', env: 'prod' } });
    await create(user, 'memories', { title: 'Api team', text: 'b', metadata: { team: 'api', env: 'prod' } });
    await create(user, 'memories', { title: 'Web staging', text: 'c', metadata: { team: 'web', env: 'staging' } });
    await create(user, 'memories', { title: 'Priority two', text: 'd', metadata: { priority: 2, reviewed: true } });

    const page = await openAs(user, '/memories');
    const filters = page.getByRole('form', { name: 'filters' });
    await page.getByText('page 1 of 2').waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('page 2 of 2').waitFor();
    expect(new URL(page.url()).hash).toBe('#/memories?page=2');

    // Metadata: values of one key any, keys all (PRODUCT.md §5.3).
    await filters.getByLabel('metadata', { exact: true }).fill('team=web, team=api, env=prod');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await shows(page, ['Api team', 'Web team']);
    expect(new URL(page.url()).hash).toBe('#/memories?metadata=team%3Dweb%2C+team%3Dapi%2C+env%3Dprod');
    await page.reload();
    await shows(page, ['Api team', 'Web team']);
    expect(await filters.getByLabel('metadata', { exact: true }).inputValue()).toBe('team=web, team=api, env=prod');

    // Numbers and booleans were stored as JSON, not text: typed, they still match.
    await filters.getByLabel('metadata', { exact: true }).fill('priority=2, reviewed=true');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await shows(page, ['Priority two']);
    await page.goBack();
    await shows(page, ['Api team', 'Web team']);

    // Back: the page before the filter, with an empty bar.
    await page.goBack();
    await page.getByText('page 2 of 2').waitFor();
    expect(await filters.getByLabel('metadata', { exact: true }).inputValue()).toBe('');
    // A link with filters opens on them.
    await page.goto(`${base}/#/memories?metadata=${encodeURIComponent('env=staging')}`);
    await shows(page, ['Web staging']);

    // A metadata entry that is not key=value says so, and the list stays as it was.
    await filters.getByLabel('metadata', { exact: true }).fill('team');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toContain('key=value');
    expect(new URL(page.url()).hash).toBe(`#/memories?metadata=${encodeURIComponent('env=staging')}`);
    await shows(page, ['Web staging']);
    await page.close();
  });

  it('filters prompts by whether they are offered to MCP clients', async () => {
    const user = await DashboardUser.signup(base, { name: 'Mo' });
    await create(user, 'prompts', { name: 'Offered', body: 'a', status: 'published' });
    await create(user, 'prompts', { name: 'Kept back', body: 'b', status: 'published', mcp_expose: false });
    const page = await openAs(user, '/prompts');
    const filters = page.getByRole('form', { name: 'filters' });
    await shows(page, ['Kept back', 'Offered']);
    await filters.getByLabel('offered to MCP', { exact: true }).selectOption('true');
    await shows(page, ['Offered']);
    await filters.getByLabel('offered to MCP', { exact: true }).selectOption('false');
    await shows(page, ['Kept back']);
    expect(new URL(page.url()).hash).toBe('#/prompts?mcp_expose=false');
    await page.close();
  });

  it('shows only the answer to the latest filter, however late an earlier one comes', async () => {
    const user = await DashboardUser.signup(base, { name: 'Lee' });
    await create(user, 'memories', { title: 'Blog memory', text: 'a', project: 'blog', labels: ['slow'] });
    await create(user, 'memories', { title: 'Shop memory', text: 'b', project: 'shop', labels: ['fast'] });
    const page = await openAs(user, '/memories');
    await shows(page, ['Blog memory', 'Shop memory']);
    const held = await delayAnswers(
      page,
      (request) => new URL(request.url()).searchParams.get('labels') === 'slow',
      1_500,
    );

    const filters = page.getByRole('form', { name: 'filters' });
    await filters.getByLabel('labels', { exact: true }).fill('slow');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await waitFor(
      async () => held.count(),
      (count) => count === 1,
    );
    await filters.getByLabel('labels', { exact: true }).fill('fast');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await shows(page, ['Shop memory']);
    await held.settled();
    expect(await titles(page)).toEqual(['Shop memory']);
    await page.close();
  });

  it('filters artifacts by type, with project and labels, and shows each one’s type and labels', async () => {
    const user = await DashboardUser.signup(base, { name: 'Art' });
    const artifact = (title: string, fields: Record<string, unknown>) =>
      create(user, 'artifacts', { title, content: `# ${title}`, ...fields });
    await artifact('Sprint report', { project: 'shop/api', type: 'work_reports', labels: ['weekly'] });
    await artifact('Architecture', { project: 'shop/api', type: 'static_contexts', labels: ['design'] });
    await artifact('Ideas', { project: 'blog' });
    await artifact('Blog report', { project: 'blog', type: 'work-reports', labels: ['weekly', 'design'] });

    const page = await openAs(user, '/artifacts');
    const filters = page.getByRole('form', { name: 'filters' });
    await shows(page, ['Architecture', 'Blog report', 'Ideas', 'Sprint report']);
    const row = (title: string) =>
      page
        .locator('table tbody tr', { hasText: title })
        .innerText()
        .then((text) => text.replace(/\s+/g, ' '));
    await expect(row('Blog report')).resolves.toContain('blog work_reports weekly design');

    await filters.getByLabel('type', { exact: true }).selectOption('work_reports');
    await shows(page, ['Blog report', 'Sprint report']);
    await filters.getByLabel('type', { exact: true }).selectOption('static_contexts');
    await shows(page, ['Architecture']);
    await filters.getByLabel('type', { exact: true }).selectOption('general');
    await shows(page, ['Ideas']);

    await filters.getByLabel('type', { exact: true }).selectOption('work_reports');
    await filters.getByLabel('project', { exact: true }).fill('blog');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await shows(page, ['Blog report']);
    await filters.getByLabel('project', { exact: true }).fill('');
    await filters.getByLabel('type', { exact: true }).selectOption('');
    await shows(page, ['Architecture', 'Blog report', 'Ideas', 'Sprint report']);

    await page
      .locator('table tbody tr', { hasText: 'Architecture' })
      .getByRole('button', { name: /label design/ })
      .click();
    await shows(page, ['Architecture', 'Blog report']);
    await page.close();
  });

  it('asks before unsaved text is lost, keeps a draft through a version conflict, and shows a version’s content', async () => {
    const user = await DashboardUser.signup(base, { name: 'Una' });
    await create(user, 'memories', { title: 'Deploy', text: 'blue-green' });
    await create(user, 'memories', { title: 'Style', text: 'tabs' });
    const listed = (await user.request('GET', '/api/v1/memories')).body as {
      memories: { id: string; title: string }[];
    };
    const deploy = listed.memories.find((memory) => memory.title === 'Deploy')!;
    const page = await openAs(user, '/memories');
    const editor = page.locator('form.editor');
    const text = editor.locator('textarea[name=text]');
    const questions: string[] = [];
    /** Answers the next confirmation with `accept`, keeping its question. */
    const answerNext = (accept: boolean) =>
      page.once('dialog', (dialog) => {
        questions.push(dialog.message());
        void (accept ? dialog.accept() : dialog.dismiss());
      });

    await page.getByRole('button', { name: 'Deploy' }).click();
    await text.fill('canary first');
    await editor.getByText('(unsaved changes)').waitFor();

    // Another item, Cancel and another page each ask; declined, the text stays.
    answerNext(false);
    await page.getByRole('button', { name: 'Style' }).click();
    expect(questions.pop()).toBe('Discard your unsaved changes to “Deploy”?');
    answerNext(false);
    await editor.getByRole('button', { name: 'Cancel' }).click();
    expect(questions.pop()).toBe('Discard your unsaved changes to “Deploy”?');
    answerNext(false);
    await page.getByRole('link', { name: 'Prompts' }).click();
    // Asked on `hashchange`, which comes after the click.
    await waitFor(
      async () => questions.length,
      (count) => count === 1,
    );
    expect(questions.pop()).toBe('Discard your unsaved changes to “Deploy”?');
    await waitFor(
      async () => new URL(page.url()).hash,
      (hash) => hash === '#/memories',
    );
    expect(await text.inputValue()).toBe('canary first');
    expect(await page.getByRole('heading', { name: 'Memories' }).count()).toBe(1);

    // The user also retitles it, which the other writer does not touch.
    await editor.locator('input[name=title]').fill('Deploy notes');
    // Meanwhile the memory is changed elsewhere (version 2); saving the draft meets the conflict and keeps the
    // fields the user changed, while the others show the new version (Save must not undo their labels).
    const laptop = await user.createKey({ name: 'Laptop CLI', integrations: ['cli'] });
    const elsewhere = await call(base, 'PUT', `/api/v1/memories/${deploy.id}`, {
      key: laptop.full_key,
      body: { text: 'rolling', labels: ['ops'] },
    });
    expect(elsewhere.status).toBe(200);
    await editor.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Version 2 was saved elsewhere while you edited.').waitFor();
    expect(await text.inputValue()).toBe('canary first');
    expect(await editor.locator('input[name=labels]').inputValue()).toBe('ops');
    // The list shows the other writer's version too.
    await waitFor(
      async () => (await page.locator('table tbody tr', { hasText: 'Deploy' }).last().innerText()).replace(/\s+/g, ' '),
      (row) => row.includes('ops') && / 2 /.test(row),
    );
    const theirs = page.getByRole('region', { name: 'the version saved elsewhere' });
    expect(await theirs.locator('pre').innerText()).toBe('rolling');
    // Marked: the text, which both changed; not the title, which only the user changed.
    expect(await theirs.locator('div.changed dt').allInnerTexts()).toEqual([
      expect.stringMatching(/^Text[\s\S]*you changed this too/),
    ]);
    expect(await editor.locator('input[name=title]').inputValue()).toBe('Deploy notes');
    // Saved again, the draft goes over version 2.
    await editor.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Deploy' }).waitFor();
    await waitFor(
      () => page.locator('form.editor').count(),
      (forms) => forms === 0,
    );
    const saved = (await user.request('GET', `/api/v1/memories/${deploy.id}`)).body as {
      text: string;
      version: number;
    };
    expect(saved).toMatchObject({ text: 'canary first', title: 'Deploy notes', labels: ['ops'], version: 3 });

    // The history shows a version's content, marking what differs from the current one; a restore asks
    // first when the editor holds unsaved text.
    await page.getByRole('button', { name: 'Deploy' }).click();
    // Who saved each version, newest first: this dashboard, the key by its name, then this dashboard.
    const history = page.locator('section.editor', { has: page.getByRole('heading', { name: 'History' }) });
    await history.getByText(`API key “Laptop CLI” (${laptop.key_prefix}…)`).waitFor();
    expect(await history.locator('tbody tr td:nth-child(3)').allInnerTexts()).toEqual([
      'the dashboard',
      `API key “Laptop CLI” (${laptop.key_prefix}…)`,
      'the dashboard',
    ]);
    await page.getByRole('button', { name: 'Show version 1' }).click();
    const first = page.locator('dl.version-fields');
    expect(await first.locator('pre').innerText()).toBe('blue-green');
    expect(await first.locator('div.changed dt').allInnerTexts()).toEqual([
      expect.stringContaining('Title'),
      expect.stringContaining('Text'),
      expect.stringContaining('Labels'),
    ]);
    await text.fill('half typed');
    answerNext(false);
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    expect(questions.pop()).toBe('Discard your unsaved changes to “Deploy notes”?');
    expect(await text.inputValue()).toBe('half typed');
    answerNext(true);
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await waitFor(
      () => text.inputValue(),
      (value) => value === 'blue-green',
    );
    expect(questions.pop()).toBe('Discard your unsaved changes to “Deploy notes”?');
    expect(await editor.getByText('(unsaved changes)').count()).toBe(0);
    // A conflict with nothing typed keeps nothing: the new version is shown, and nothing is unsaved.
    const style = listed.memories.find((memory) => memory.title === 'Style')!;
    await page.getByRole('button', { name: 'Style' }).click();
    expect((await user.request('PUT', `/api/v1/memories/${style.id}`, { body: { text: 'spaces' } })).status).toBe(200);
    await editor.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Version 2 was saved elsewhere; it is shown now.').waitFor();
    await waitFor(
      () => text.inputValue(),
      (value) => value === 'spaces',
    );
    expect(await editor.getByText('(unsaved changes)').count()).toBe(0);
    expect(await page.getByRole('region', { name: 'the version saved elsewhere' }).count()).toBe(0);
    // Nothing unsaved now: another page opens without a question.
    await page.getByRole('link', { name: 'Prompts' }).click();
    await page.getByRole('heading', { name: 'Prompts' }).waitFor();
    expect(questions).toEqual([]);
    await page.close();
  });

  it('deletes an item after asking, and Undo brings it back with its content and id', async () => {
    const user = await DashboardUser.signup(base, { name: 'Ugo' });
    await create(user, 'prompts', { name: 'Keeper', body: 'keep {{this}}' });
    await create(user, 'prompts', { name: 'Other', body: 'x' });
    const before = (await user.request('GET', '/api/v1/prompts/keeper')).body as { id: string };
    const page = await openAs(user, '/prompts');
    await shows(page, ['Keeper', 'Other']);
    await page.getByRole('button', { name: 'Keeper' }).click();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('form.editor').getByRole('button', { name: 'Delete' }).click();
    const notice = page.getByRole('status').filter({ hasText: 'Deleted “Keeper”.' });
    await notice.waitFor();
    await shows(page, ['Other']);
    expect((await user.request('GET', `/api/v1/prompts/${before.id}`)).status).toBe(404);

    await notice.getByRole('button', { name: 'Undo' }).click();
    await notice.waitFor({ state: 'detached' });
    // Listed again (the editor shows its versions too: 1, and 3 the restore; 2 was the delete).
    await page.getByRole('button', { name: 'Keeper' }).waitFor();
    await waitFor(
      () => titles(page),
      (shown) => JSON.stringify(shown) === JSON.stringify(['1', '3', 'Keeper', 'Other']),
    );
    // Back as it was, under its id, and open in the editor.
    const after = (await user.request('GET', `/api/v1/prompts/${before.id}`)).body as { body: string; slug: string };
    expect([after.body, after.slug]).toEqual(['keep {{this}}', 'keeper']);
    expect(await page.locator('form.editor textarea[name=body]').inputValue()).toBe('keep {{this}}');
    await page.close();
  });

  it('undoes a Back it asked about without losing a history entry', async () => {
    const user = await DashboardUser.signup(base, { name: 'Bo' });
    await create(user, 'memories', { title: 'Notes', text: 'one' });
    const page = await openAs(user, '/prompts');
    const hash = () => new URL(page.url()).hash;
    await page.getByRole('heading', { name: 'Prompts' }).waitFor();
    await page.getByRole('link', { name: 'Memories' }).click();
    await page.getByRole('button', { name: 'Notes' }).click();
    await page.locator('form.editor textarea[name=text]').fill('two');
    const questions: string[] = [];
    page.once('dialog', (dialog) => {
      questions.push(dialog.message());
      void dialog.dismiss();
    });
    // Back to Prompts, refused: the page stays, with the text, and the address with it.
    await page.goBack();
    await waitFor(
      async () => questions.length,
      (count) => count === 1,
    );
    await waitFor(
      async () => hash(),
      (shown) => shown === '#/memories',
    );
    expect(await page.locator('form.editor textarea[name=text]').inputValue()).toBe('two');
    // Discarded, Back still reaches the Prompts entry: the refusal overwrote none.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('form.editor').getByRole('button', { name: 'Cancel' }).click();
    await waitFor(
      () => page.locator('form.editor').count(),
      (count) => count === 0,
    );
    await page.goBack();
    await page.getByRole('heading', { name: 'Prompts' }).waitFor();
    expect(hash()).toBe('#/prompts');
    await page.close();
  });

  it('renders a prompt with the values typed for its placeholders, one request per pause, the latest answer only', async () => {
    const user = await DashboardUser.signup(base, { name: 'Pat' });
    await create(user, 'prompts', {
      name: 'Signature',
      slug: 'signature',
      body: 'Regards, {{sender}}',
      labels: ['parts'],
    });
    await create(user, 'prompts', {
      name: 'Greeting',
      body: 'Hello {{who}}, welcome to {{place}}. @signature @nowhere',
      labels: ['mail'],
    });
    const page = await openAs(user, '/prompts');
    const filters = page.getByRole('form', { name: 'filters' });
    await shows(page, ['Greeting', 'Signature']);
    await filters.getByLabel('labels', { exact: true }).fill('parts');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await shows(page, ['Signature']);
    await filters.getByRole('button', { name: 'Clear filters' }).click();

    const renders: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/render')) renders.push(request.postData() ?? '');
    });
    await page.getByRole('button', { name: 'Greeting' }).click();
    await page.getByRole('button', { name: 'Preview render' }).click();
    const body = page.getByLabel('rendered body');
    await waitFor(
      () => body.innerText(),
      (text) => text === 'Hello {{who}}, welcome to {{place}}. Regards, {{sender}} @nowhere',
    );
    await page.getByText('Placeholders to fill: who, place, sender').waitFor();
    await page.getByText('unknown reference @nowhere was left as it is').waitFor();

    const rendersBefore = renders.length;
    await page.getByLabel('{{who}}', { exact: true }).pressSequentially('World', { delay: 40 });
    await waitFor(
      () => body.innerText(),
      (text) => text.startsWith('Hello World, welcome to {{place}}.'),
    );
    // Five keys, one pause: not a request per key.
    expect(renders.length - rendersBefore).toBeLessThanOrEqual(2);
    await page.getByText('Placeholders to fill: place, sender').waitFor();

    await page.getByLabel('{{place}}', { exact: true }).fill('Lyon');
    await page.getByLabel('{{sender}}', { exact: true }).fill('Ada');
    await waitFor(
      () => body.innerText(),
      (text) => text === 'Hello World, welcome to Lyon. Regards, Ada @nowhere',
    );
    expect(await page.getByText('Placeholders to fill').count()).toBe(0);
    expect(JSON.parse(renders[renders.length - 1])).toEqual({
      placeholders: { who: 'World', place: 'Lyon', sender: 'Ada' },
    });

    // A slow answer to earlier values never replaces the answer to the current ones.
    const held = await delayAnswers(
      page,
      (request) => request.url().endsWith('/render') && (request.postData() ?? '').includes('Slowpoke'),
      1_500,
    );
    await page.getByLabel('{{who}}', { exact: true }).fill('Slowpoke');
    await waitFor(
      async () => held.count(),
      (count) => count === 1,
    );
    await page.getByLabel('{{who}}', { exact: true }).fill('Quick');
    await waitFor(
      () => body.innerText(),
      (text) => text.startsWith('Hello Quick,'),
    );
    await held.settled();
    expect(await body.innerText()).toBe('Hello Quick, welcome to Lyon. Regards, Ada @nowhere');

    // Emptied, a placeholder is missing again.
    await page.getByLabel('{{sender}}', { exact: true }).fill('');
    await page.getByText('Placeholders to fill: sender').waitFor();
    expect(await body.innerText()).toBe('Hello Quick, welcome to Lyon. Regards, {{sender}} @nowhere');
    await page.close();
  });
});
