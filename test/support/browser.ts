import { type Browser, type Page, chromium } from 'playwright-core';
import { type DashboardUser, PASSWORD } from './api-client';

/**
 * Debian's Chromium (installed by `npm test` and `.ci/run` when missing; `CHROMIUM_PATH` for another build),
 * headless, without the background traffic that would reach for the internet.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A new page signed in as `user` through the dashboard's form, then at `#<route>`. */
export async function signedInPage(browser: Browser, base: string, user: DashboardUser, route: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'API Keys' }).waitFor();
  await page.goto(`${base}/#${route}`);
  return page;
}
