import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CLI } from './spawn-server.js';
import { within } from './within.js';

/** A `charla server` child with its browser port, for the page's tests. */
export interface WebServer {
  child: ChildProcess;
  httpPort: number;
  tcpPort: number;
  udpPort: number;
  /** The page: `http://127.0.0.1:<httpPort>/`. */
  url: string;
  stdout: string[];
  stderr: string[];
  /** Kills it (SIGKILL, a crash: no goodbye to anyone) and waits for the exit. */
  kill(): Promise<void>;
}

/**
 * Spawns `charla server` on 127.0.0.1 with every port ephemeral but the browser port, which is
 * `httpPort` (0 = any: the first run of a restart test takes 0, the second the port it got), and
 * reads the bound ports from its banner. Killed by PID after the test if still running.
 */
export async function spawnWebServer(t: TestContext, args: string[] = [], httpPort = 0): Promise<WebServer> {
  const argv = [CLI, 'server', '--host', '127.0.0.1', '--tcp-port', '0', '--udp-port', '0', '--irc-port', '0', '--http-port', String(httpPort), ...args];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  collect(child.stdout, stdout);
  collect(child.stderr, stderr);
  const ports = new Promise<{ http: number; tcp: number; udp: number }>((resolve, reject) => {
    const found: Record<string, number> = {};
    child.stdout.on('data', () => {
      for (const line of stdout) {
        const m = /^charla: (HTTP|TCP|UDP) (?:escuchando en|listening on) .*:(\d+)$/.exec(line);
        if (m) found[m[1] as string] ??= Number(m[2]);
      }
      if (found['HTTP'] !== undefined && found['TCP'] !== undefined && found['UDP'] !== undefined) resolve({ http: found['HTTP'], tcp: found['TCP'], udp: found['UDP'] });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${stderr.join('\n')}`)));
  });
  const { http, tcp, udp } = await within(ports, 10_000, 'the server to print its ports');
  return {
    child,
    httpPort: http,
    tcpPort: tcp,
    udpPort: udp,
    url: `http://127.0.0.1:${http}/`,
    stdout,
    stderr,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await within(exited, 5000, 'the server to exit');
    },
  };
}

function collect(stream: NodeJS.ReadableStream, into: string[]): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    rest += chunk;
    const parts = rest.split('\n');
    rest = parts.pop() ?? '';
    into.push(...parts);
  });
}

/** A page in its own browser context (its own storage: another person), and what it did. */
export interface TestPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page. */
  errors: string[];
  /** alert(), confirm(), prompt()...: none may ever open. */
  dialogs: string[];
  /** Every URL the page requested. */
  requests: string[];
}

export async function openPage(
  t: TestContext,
  browser: Browser,
  url: string,
  options: { width?: number; height?: number; locale?: string; fakeClock?: boolean } = {},
): Promise<TestPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1000, height: options.height ?? 800 },
    locale: options.locale ?? 'es-ES',
  });
  // Closed with the test, so that no page of it goes on reconnecting during the next ones.
  t.after(() => context.close());
  const page = await context.newPage();
  // The page's timers on Playwright's clock (running until the test pauses it).
  if (options.fakeClock === true) await page.clock.install();
  const errors: string[] = [];
  const dialogs: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('request', (req) => requests.push(req.url()));
  await within(page.goto(url), 10_000, `the page at ${url} to load`);
  return { context, page, errors, dialogs, requests };
}

/** Types `name` (and `password`) into the prompt and presses Enter; resolves once the room shows. */
export async function joinPage(p: TestPage, name: string, password?: string): Promise<void> {
  await p.page.fill('#name', name);
  if (password !== undefined) await p.page.fill('#password', password);
  await p.page.press('#name', 'Enter');
  await p.page.locator('#chat').waitFor({ state: 'visible', timeout: 5000 });
}

/** Types a line into the composer and presses Enter, as a person would. */
export async function typeLine(p: TestPage, text: string): Promise<void> {
  await p.page.fill('#line', text);
  await p.page.press('#line', 'Enter');
}

/** Waits for an item of the message list (`selector` within #log, e.g. `li.msg`) whose text contains `text`. */
export async function waitForItem(p: TestPage, text: string, selector = 'li', ms = 5000): Promise<void> {
  await p.page.locator(`#log ${selector}`, { hasText: text }).first().waitFor({ state: 'attached', timeout: ms });
}

/** The texts of the message list's items (those matching `selector`). */
export async function itemTexts(p: TestPage, selector = 'li'): Promise<string[]> {
  return p.page.locator(`#log ${selector}`).allTextContents();
}

/** The names in the users panel. */
export async function userNames(p: TestPage): Promise<string[]> {
  return p.page.locator('#users .who').allTextContents();
}
