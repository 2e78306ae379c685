import { type Browser, chromium } from 'playwright-core';

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
