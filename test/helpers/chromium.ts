import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import { within } from './within.js';

/** Debian's Chromium (apt-get install chromium), or the one CHROMIUM_PATH names. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Headless, and quiet on the network: no first-run, sync, updates or QUIC of its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why a browser test cannot run here (no Chromium), or undefined when it can. */
export function noChromium(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
}

/** Starts headless Chromium through playwright-core; closed after the test. */
export async function launchChromium(t: TestContext): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const browser = await within(chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }), 20_000, 'Chromium to start');
  t.after(() => browser.close());
  return browser;
}

/**
 * One Chromium for a whole test file (starting one takes a second): `get()` starts it on first
 * use; register `close` with the file's `after()`. Each test still has its own pages and
 * contexts (openPage closes them after the test).
 */
export function sharedChromium(): { get(): Promise<Browser>; close(): Promise<void> } {
  let browser: Promise<Browser> | undefined;
  return {
    get() {
      browser ??= import('playwright-core').then(({ chromium }) =>
        within(chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }), 20_000, 'Chromium to start'),
      );
      return browser;
    },
    async close() {
      if (browser !== undefined) await (await browser).close();
    },
  };
}
