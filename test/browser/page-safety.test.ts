import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { noChromium, sharedChromium } from '../helpers/chromium.js';
import { joinAs } from '../helpers/line-client.js';
import { itemTexts, joinPage, openPage, spawnWebServer, typeLine, waitForItem } from '../helpers/web-page.js';
import { within } from '../helpers/within.js';

const missing = noChromium();
const chromium = sharedChromium();
after(() => chromium.close());

/** Markup and links that must show up as the characters they are, loading and running nothing. */
const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(2)</script>',
  '"><svg onload=alert(3)>',
  '<a href="javascript:alert(4)">clic</a>',
  '<iframe src="http://127.0.0.1:9/"></iframe>',
  'http://127.0.0.1:9/foto.png y https://example.com/',
  '&lt;b&gt;entidad&amp;',
];

test('page - markup and links from a TCP user or another page are shown as text: nothing runs, nothing loads', { skip: missing }, async (t) => {
  const server = await spawnWebServer(t);
  const browser = await chromium.get();
  const ana = await openPage(t, browser, server.url);
  const bea = await openPage(t, browser, server.url);
  await joinPage(ana, 'ana');
  await joinPage(bea, 'bea');
  const carl = await joinAs(t, server.tcpPort, 'carl');
  for (const text of HOSTILE) carl.write(`${text}\n`);
  carl.write('/msg ana <img src=x onerror=alert(5)>\n');
  await typeLine(bea, '<img src=x onerror=alert(6)>');
  carl.write('fin\n');
  await waitForItem(ana, 'fin', 'li.msg');
  await waitForItem(ana, 'alert(6)', 'li.msg');
  await waitForItem(ana, 'alert(5)', 'li.private');

  const texts = await itemTexts(ana, 'li.msg');
  for (const text of HOSTILE) assert.ok(texts.some((s) => s.endsWith(`carl: ${text}`)), `shown literally: ${text} in ${JSON.stringify(texts)}`);
  assert.ok(texts.some((s) => s.endsWith('bea: <img src=x onerror=alert(6)>')));
  assert.ok((await itemTexts(bea, 'li.msg.own')).some((s) => s.endsWith('<img src=x onerror=alert(6)>')), "the sender's own copy too");
  for (const p of [ana, bea]) {
    assert.equal(await p.page.locator('#log img, #log script, #log svg, #log iframe, #log a').count(), 0, 'no element came out of a message');
    assert.deepEqual(p.dialogs, [], 'no alert opened');
    assert.deepEqual(p.errors, []);
    const elsewhere = p.requests.filter((u) => !u.startsWith(server.url));
    assert.deepEqual(elsewhere, [], 'the page loaded nothing but its own files');
  }

  // A hostile name is refused on the prompt (names are words), and the refusal is text too.
  const eve = await openPage(t, browser, server.url);
  await eve.page.fill('#name', '<img src=x onerror=alert(7)>');
  await eve.page.press('#name', 'Enter');
  await eve.page.locator('#login-error').filter({ hasText: /.+/ }).waitFor({ timeout: 5000 });
  assert.equal(await eve.page.locator('img').count(), 0);
  assert.deepEqual(eve.dialogs, []);
});

test('page - a page of another origin cannot open the WebSocket; the page\'s own origin can', { skip: missing }, async (t) => {
  const server = await spawnWebServer(t);
  const wsUrl = `ws://127.0.0.1:${server.httpPort}/ws`;
  const probe = `<!doctype html><script>
    window.outcome = new Promise((resolve) => {
      const ws = new WebSocket(${JSON.stringify(wsUrl)});
      ws.onmessage = (e) => resolve('frame: ' + e.data);
      ws.onclose = (e) => resolve('closed ' + e.code);
    });
  </script>`;
  const other = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(probe);
  });
  other.listen(0, '127.0.0.1');
  await within(once(other, 'listening'), 3000, 'the other origin to listen');
  t.after(() => other.close());
  const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;

  const browser = await chromium.get();
  const evil = await openPage(t, browser, otherUrl);
  const outcome = (await within(evil.page.evaluate('window.outcome'), 10_000, 'the cross-origin WebSocket to settle')) as string;
  assert.match(outcome, /^closed \d+$/, `refused without a single frame (${outcome})`);

  // The same socket from charla's own page is welcomed with a hello.
  const own = await openPage(t, browser, server.url);
  const welcome = (await within(
    own.page.evaluate(`new Promise((resolve) => { const ws = new WebSocket(${JSON.stringify(wsUrl)}); ws.onmessage = (e) => resolve(JSON.parse(e.data).type); ws.onclose = (e) => resolve('closed ' + e.code); })`),
    10_000,
    'the same-origin WebSocket to answer',
  )) as string;
  assert.equal(welcome, 'hello');
});

test('page - a server with a password: the field appears, a wrong one is refused on the prompt, the right one lets in', { skip: missing }, async (t) => {
  const server = await spawnWebServer(t, ['--password', 'secreto']);
  const browser = await chromium.get();
  const ana = await openPage(t, browser, server.url);
  await ana.page.locator('#password').waitFor({ state: 'visible', timeout: 5000 });
  await ana.page.fill('#name', 'ana');
  await ana.page.fill('#password', 'otra');
  await ana.page.press('#password', 'Enter');
  await ana.page.locator('#login-error').filter({ hasText: /.+/ }).waitFor({ timeout: 5000 });
  assert.equal(await ana.page.locator('#chat').isVisible(), false);
  await joinPage(ana, 'ana', 'secreto');
  const carl = await joinAs(t, server.tcpPort, 'carl').catch(() => undefined);
  assert.equal(carl, undefined, 'a TCP user without the password is not let in either');
  await typeLine(ana, 'dentro');
  await waitForItem(ana, 'dentro', 'li.msg.own');
});
