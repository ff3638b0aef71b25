import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noChromium, sharedChromium } from '../helpers/chromium.js';
import { joinAs } from '../helpers/line-client.js';
import { itemTexts, joinPage, openPage, spawnWebServer, typeLine, waitForItem } from '../helpers/web-page.js';

const missing = noChromium();
const chromium = sharedChromium();
after(() => chromium.close());

test('page - after a server restart it reconnects by itself and shows what it missed exactly once', { skip: missing }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'charla-page-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = await spawnWebServer(t, ['--data-dir', dir]);
  const browser = await chromium.get();
  const ana = await openPage(t, browser, first.url);
  await joinPage(ana, 'ana');
  const carl = await joinAs(t, first.tcpPort, 'carl');
  carl.write('antes de caer\n');
  await waitForItem(ana, 'antes de caer', 'li.msg');
  await typeLine(ana, 'lo mío antes');
  await carl.waitFor('ana: lo mío antes');

  // The server dies; the page is kept off the network until the new one has taken messages, so
  // that they can only reach it as "what it missed".
  await first.kill();
  await ana.page.locator('#status', { hasText: 'Reconectando' }).waitFor({ timeout: 5000 });
  await ana.context.setOffline(true);
  const second = await spawnWebServer(t, ['--data-dir', dir], first.httpPort);
  const carl2 = await joinAs(t, second.tcpPort, 'carl');
  carl2.write('perdido uno\n');
  carl2.write('perdido dos\n');
  carl2.write('/historial\n');
  await carl2.waitFor(/perdido dos/);
  assert.equal(await ana.page.locator('#log li', { hasText: 'perdido' }).count(), 0);

  const t0 = Date.now();
  await ana.context.setOffline(false);
  await waitForItem(ana, 'perdido dos', 'li.msg', 15_000);
  t.diagnostic(`back ${Date.now() - t0} ms after the network came back`);
  await ana.page.locator('#status', { hasText: 'Conectado' }).waitFor({ timeout: 5000 });
  carl2.write('ya de vuelta\n');
  await waitForItem(ana, 'ya de vuelta', 'li.msg');

  const texts = await itemTexts(ana, 'li.msg');
  for (const text of ['antes de caer', 'lo mío antes', 'perdido uno', 'perdido dos', 'ya de vuelta']) {
    assert.equal(texts.filter((s) => s.includes(text)).length, 1, `"${text}" shown once: ${JSON.stringify(texts)}`);
  }
  assert.ok(texts.findIndex((s) => s.includes('perdido uno')) < texts.findIndex((s) => s.includes('perdido dos')));
  // They came as what was missed, after the divider that says so.
  const all = await itemTexts(ana);
  const divider = all.findIndex((s) => s.includes('Mientras estabas desconectado'));
  assert.ok(divider !== -1 && divider < all.findIndex((s) => s.includes('perdido uno')), JSON.stringify(all));
  await carl2.waitFor(/ana/); // the page is in the room again, under its name
  assert.deepEqual(ana.errors, []);
});

test('page - woken up (visibilitychange, pageshow) it reconnects at once instead of waiting out its backoff', { skip: missing }, async (t) => {
  let server = await spawnWebServer(t);
  const port = server.httpPort;
  const browser = await chromium.get();
  const ana = await openPage(t, browser, server.url, { fakeClock: true });
  await joinPage(ana, 'ana');
  // The page's clock stops: its backoff timer can never fire, only a wake-up can reconnect it.
  await ana.page.clock.pauseAt(Date.now() + 60_000);
  for (const [i, wake] of [
    "document.dispatchEvent(new Event('visibilitychange'))",
    "window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))",
  ].entries()) {
    await server.kill();
    await ana.page.locator('#status', { hasText: 'Reconectando' }).waitFor({ timeout: 5000 });
    server = await spawnWebServer(t, [], port);
    const carl = await joinAs(t, server.tcpPort, 'carl');
    carl.write(`mientras dormía ${i}\n`);
    carl.write('/listar\n'); // answered after the message is in the room's log
    await carl.waitFor(/carl/);
    await ana.page.evaluate(wake);
    await waitForItem(ana, `mientras dormía ${i}`, 'li.msg.past');
    await ana.page.locator('#status', { hasText: 'Conectado' }).waitFor({ timeout: 5000 });
  }
  assert.deepEqual(ana.errors, []);
});

test('page - when more was missed than the room keeps, it shows what is left and says the rest is gone', { skip: missing }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'charla-page-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const args = ['--data-dir', dir, '--history', '2'];
  const first = await spawnWebServer(t, args);
  const browser = await chromium.get();
  const ana = await openPage(t, browser, first.url);
  await joinPage(ana, 'ana');
  const carl = await joinAs(t, first.tcpPort, 'carl');
  carl.write('visto\n');
  await waitForItem(ana, 'visto', 'li.msg');
  await first.kill();
  await ana.context.setOffline(true);
  const second = await spawnWebServer(t, args, first.httpPort);
  const carl2 = await joinAs(t, second.tcpPort, 'carl');
  for (const n of ['uno', 'dos', 'tres']) carl2.write(`perdido ${n}\n`);
  carl2.write('/listar\n');
  await carl2.waitFor(/carl/);
  await ana.context.setOffline(false);
  await waitForItem(ana, 'Faltan mensajes', 'li.notice', 15_000);
  const texts = await itemTexts(ana, 'li.msg');
  assert.deepEqual(
    texts.map((s) => s.replace(/^\d\d:\d\d/, '')),
    ['carl: visto', 'carl: perdido dos', 'carl: perdido tres'],
  );
});

test('page - back after a drop to find its name taken meanwhile, it is at the prompt again, told why, and can join under another', { skip: missing }, async (t) => {
  const first = await spawnWebServer(t, []);
  const browser = await chromium.get();
  const ana = await openPage(t, browser, first.url);
  await joinPage(ana, 'ana');
  // The server dies (its resume tokens with it); before the page is back, someone else is "ana".
  await first.kill();
  await ana.page.locator('#status', { hasText: 'Reconectando' }).waitFor({ timeout: 5000 });
  await ana.context.setOffline(true);
  const second = await spawnWebServer(t, [], first.httpPort);
  const other = await joinAs(t, second.tcpPort, 'ana');
  await ana.context.setOffline(false);
  await ana.page.locator('#login-error', { hasText: 'ya está en uso' }).waitFor({ timeout: 15_000 });
  assert.equal(await ana.page.locator('#login').isVisible(), true);
  assert.equal(await ana.page.locator('#chat').isVisible(), false);
  assert.equal(await ana.page.locator('#status').textContent(), '');
  // The same page joins under another name, on the socket it has.
  await joinPage(ana, 'ana2');
  await other.waitFor(/ana2 se ha unido/);
  assert.deepEqual(ana.errors, []);
});
