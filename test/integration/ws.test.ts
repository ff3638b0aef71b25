import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type TestContext } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { text } from '../../src/hub/messages.js';
import { FileHistoryStore } from '../../src/hub/store/file-store.js';
import type { ServerOptions } from '../../src/server.js';
import { connectLine, joinAs } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpJoinAs } from '../helpers/udp-client.js';
import { connectWs, wsJoinAs } from '../helpers/ws-client.js';
import { within } from '../helpers/within.js';

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);
const en = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('en', key, params);

/** A server with its browser port on an ephemeral port of 127.0.0.1. */
async function webServer(t: TestContext, options: Partial<ServerOptions> = {}) {
  const s = await startTestServer(t, { http: true, httpPort: 0, ...options, wsOptions: { webDir: join(tmpdir(), 'charla-no-such-web-dir'), ...options.wsOptions } });
  const httpPort = s.server.http?.address.port ?? 0;
  return { ...s, httpPort };
}

/** One HTTP request to 127.0.0.1:port; resolves with the status, headers and body. */
function get(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}) {
  return within(
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    }),
    3000,
    `${options.method ?? 'GET'} ${path}`,
  );
}

test('ws - a browser user chats with a TCP and a UDP user in one room, and in a second room', async (t) => {
  const { tcpPort, udpPort, httpPort } = await webServer(t);
  const web = await wsJoinAs(t, httpPort, 'web');
  const tcp = await joinAs(t, tcpPort, 'tcp');
  const joined = await web.waitFor('joined');
  assert.deepEqual(joined, { type: 'joined', room: 'general', name: 'tcp', text: es('user_joined', { name: 'tcp' }) });
  const udp = await udpJoinAs(t, udpPort, 'udp');
  await web.waitFor((f) => f.type === 'joined' && f.name === 'udp');
  await tcp.waitFor(es('user_joined', { name: 'udp' }));

  web.line('hola desde el navegador');
  assert.equal(await tcp.next(), 'web: hola desde el navegador');
  assert.equal(await udp.waitFor(/^web: /), 'web: hola desde el navegador');
  tcp.write('hola web\n');
  const m = await web.waitFor('message');
  assert.equal(m.from, 'tcp');
  assert.equal(m.text, 'hola web');
  assert.equal(m.room, 'general');
  assert.ok(Number.isSafeInteger(m.id) && (m.id as number) > 0);
  udp.send('y desde udp');
  assert.equal((await web.waitFor('message')).text, 'y desde udp');

  // A second room: the browser moves with /sala, as typed in a terminal.
  web.line('/sala juegos');
  const moved = await web.waitFor('welcome');
  assert.equal(moved.moved, true);
  assert.equal(moved.room, 'juegos');
  assert.equal(moved.resume, undefined, 'a token only on the first welcome');
  assert.equal((await web.next()).type, 'history');
  assert.equal(await tcp.waitFor(/se ha ido/), es('user_moved', { name: 'web', room: 'juegos' }));
  tcp.write('/sala juegos\n');
  assert.deepEqual(await web.waitFor('joined'), { type: 'joined', room: 'juegos', name: 'tcp', from: 'general', text: es('user_arrived', { name: 'tcp', room: 'general' }) });
  web.line('en juegos');
  assert.equal(await tcp.waitFor(/^web: /), 'web: en juegos');
  tcp.write('también\n');
  assert.equal((await web.waitFor('message')).room, 'juegos');
  udp.send('/listar');
  assert.equal(await udp.waitFor(/^Usuarios: /), 'Usuarios: udp', 'general only has udp now');
  web.line('/salas');
  const rooms = await web.waitFor('rooms');
  assert.deepEqual(rooms.rooms, [
    { name: 'general', users: 1 },
    { name: 'juegos', users: 2 },
  ]);
  web.line('/msg udp en privado');
  assert.equal(await udp.waitFor(es('private_from', { name: 'web', text: 'en privado' })), es('private_from', { name: 'web', text: 'en privado' }));
  const echo = await web.waitFor('private');
  assert.deepEqual({ from: echo.from, to: echo.to, text: echo.text, echo: echo.echo }, { from: 'web', to: 'udp', text: 'en privado', echo: true });
  web.line('/quitar');
  assert.equal(await tcp.waitFor(/ha salido/), es('user_left', { name: 'web' }));
  assert.equal(await web.closedByServer(), 1000);
});

test('ws - a refused join is answered with a refusal and the same connection may try again; lang en renders English', async (t) => {
  const { tcpPort, httpPort } = await webServer(t);
  await joinAs(t, tcpPort, 'ana');
  const web = await connectWs(t, httpPort);
  web.send({ type: 'join', v: 1, name: 'ANA', lang: 'en' });
  assert.deepEqual(await web.next(), { type: 'refusal', key: 'name_taken', text: en('name_taken', { name: 'ANA' }) });
  web.send({ type: 'join', v: 1, name: '' });
  assert.equal((await web.next()).key, 'name_empty');
  web.send({ type: 'join', v: 2, name: 'bea' });
  assert.equal((await web.next()).key, 'ws_version');
  web.line('hola');
  assert.equal((await web.next()).key, 'ws_join_first');
  web.ws.send('{not json');
  assert.equal((await web.next()).key, 'ws_bad_frame');
  web.send({ type: 'join', v: 1, name: 'bea' });
  const welcome = await web.next();
  assert.equal(welcome.type, 'welcome');
  assert.deepEqual(welcome.users, ['ana', 'bea']);
  assert.equal(welcome.text, en('welcome', { name: 'bea', users: 'ana, bea' }));
  assert.match(String(welcome.resume), /^[\w-]{32}$/);
  web.send({ type: 'join', v: 1, name: 'otra' });
  assert.equal((await web.waitFor('refusal')).key, 'ws_already_joined');
});

test('ws - a password server: the hello says so, a join without it or with a wrong one is refused, then the right one gets in', async (t) => {
  const { httpPort, tcpPort } = await webServer(t, { hub: { password: 'secreto' } });
  const web = await connectWs(t, httpPort);
  assert.equal(web.frames[0]?.password, true);
  web.send({ type: 'join', v: 1, name: 'ana' });
  assert.equal((await web.next()).key, 'password_required');
  web.send({ type: 'join', v: 1, name: 'ana', password: 'mal' });
  assert.equal((await web.next()).key, 'password_wrong');
  web.send({ type: 'join', v: 1, name: 'ana', password: 'secreto' });
  assert.equal((await web.next()).type, 'welcome');
  // Three wrong ones close the connection.
  const guesser = await connectWs(t, httpPort);
  for (let i = 0; i < 3; i++) guesser.send({ type: 'join', v: 1, name: `g${i}`, password: 'x' });
  assert.equal(await guesser.closedByServer(), 1008);
  const tcp = await connectLine(t, tcpPort);
  tcp.write('/pass secreto\nbob\n');
  await tcp.waitFor(/^\*\*\* Bienvenido/);
  assert.equal((await web.waitFor('joined')).name, 'bob', 'nobody heard of the guesser');
});

test('ws - join with since gets exactly the messages after that id, with gap when the log no longer has them all', async (t) => {
  const { httpPort, tcpPort } = await webServer(t, { hub: { history: 3 } });
  const ana = await joinAs(t, tcpPort, 'ana');
  const web = await wsJoinAs(t, httpPort, 'web');
  ana.write('uno\ndos\n');
  const first = await web.waitFor('message');
  await web.waitFor('message');
  web.ws.close();
  await web.closedByServer();
  ana.write('tres\n');
  await ana.waitFor(/ha salido/);
  const back = await connectWs(t, httpPort);
  back.send({ type: 'join', v: 1, name: 'web', since: first.id });
  assert.equal((await back.next()).type, 'welcome');
  const missed = await back.next();
  assert.equal(missed.type, 'history');
  assert.deepEqual((missed.messages as unknown as { text: string }[]).map((m) => m.text), ['dos', 'tres']);
  assert.equal(missed.gap, false);
  // Five more: the log keeps three, so a page that saw "dos" last has missed one it cannot get.
  const dos = (missed.messages as unknown as { id: number }[])[0]?.id as number;
  ana.write('4\n5\n6\n7\n');
  for (let i = 0; i < 4; i++) await back.waitFor('message');
  const late = await connectWs(t, httpPort);
  late.send({ type: 'join', v: 1, name: 'late', since: dos });
  await late.waitFor('welcome');
  const gap = await late.next();
  assert.deepEqual((gap.messages as { text: string }[]).map((m) => m.text), ['5', '6', '7']);
  assert.equal(gap.gap, true);
  // Without since: the recent history, marked as past by being in a history frame.
  const fresh = await connectWs(t, httpPort);
  fresh.send({ type: 'join', v: 1, name: 'fresh' });
  await fresh.waitFor('welcome');
  assert.deepEqual(((await fresh.next()).messages as { text: string }[]).map((m) => m.text), ['5', '6', '7']);
});

test('ws - since across a server restart with --data-dir history: exactly what was missed, once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'charla-ws-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store1 = new FileHistoryStore({ dir, maxEntries: 50 });
  const first = await webServer(t, { hub: { store: store1 } });
  const ana = await joinAs(t, first.tcpPort, 'ana');
  const web = await wsJoinAs(t, first.httpPort, 'web');
  ana.write('antes\n');
  const seen = await web.waitFor('message');
  ana.write('perdido\n');
  await web.waitFor('message'); // the page sees it, but suppose the connection drops right then: it asks since "antes"
  await first.server.close(500);
  assert.equal((await web.waitFor('closing')).text, es('server_closing'));
  await web.closedByServer();

  const store2 = new FileHistoryStore({ dir, maxEntries: 50 });
  const second = await webServer(t, { hub: { store: store2 } });
  const ana2 = await joinAs(t, second.tcpPort, 'ana');
  ana2.write('después\n');
  await ana2.write('/listar\n');
  await ana2.waitFor(/^Usuarios/);
  const back = await connectWs(t, second.httpPort);
  back.send({ type: 'join', v: 1, name: 'web', since: seen.id });
  await back.waitFor('welcome');
  const missed = await back.next();
  assert.deepEqual((missed.messages as unknown as { text: string }[]).map((m) => m.text), ['perdido', 'después']);
  assert.equal(missed.gap, false);
});

test('ws - a resume token takes the name back from the old connection not yet noticed dead; it is bound to the name', async (t) => {
  const { httpPort, tcpPort } = await webServer(t);
  const tcp = await joinAs(t, tcpPort, 'tcp');
  const old = await connectWs(t, httpPort);
  old.send({ type: 'join', v: 1, name: 'ana' });
  const token = (await old.next()).resume as string;
  await tcp.waitFor(es('user_joined', { name: 'ana' }));
  old.ws.pause(); // the old tab's connection: open, silent

  const thief = await connectWs(t, httpPort);
  thief.send({ type: 'join', v: 1, name: 'otra', resume: token });
  assert.equal((await thief.next()).type, 'welcome', 'a token for another name does nothing');
  const wrong = await connectWs(t, httpPort);
  wrong.send({ type: 'join', v: 1, name: 'ana', resume: 'not-a-token' });
  assert.equal((await wrong.next()).key, 'name_taken');

  const page = await connectWs(t, httpPort);
  page.send({ type: 'join', v: 1, name: 'ana', resume: token });
  const welcome = await page.next();
  assert.equal(welcome.type, 'welcome');
  assert.equal(welcome.name, 'ana');
  assert.notEqual(welcome.resume, token);
  assert.equal(await tcp.waitFor(/ana ha salido/), es('user_left_because', { name: 'ana', reason: es('reason_resumed') }));
  assert.equal(await tcp.next(), es('user_joined', { name: 'ana' }));
  old.ws.resume();
  assert.equal(await old.closedByServer(), 1008);
  // The token was used up.
  const again = await connectWs(t, httpPort);
  again.send({ type: 'join', v: 1, name: 'ana', resume: token });
  assert.equal((await again.next()).key, 'name_taken');
});

test('ws - origins: a page of another origin is refused before the upgrade; its own, none, and --allow-origin get in', async (t) => {
  const { httpPort, server } = await webServer(t, { wsOptions: { allowOrigins: ['http://aula.example:3000'] } });
  const own = await connectWs(t, httpPort, { origin: `http://127.0.0.1:${httpPort}` });
  own.send({ type: 'join', v: 1, name: 'own' });
  assert.equal((await own.next()).type, 'welcome');
  await connectWs(t, httpPort); // no Origin: a script
  await connectWs(t, httpPort, { origin: 'http://aula.example:3000' });
  for (const origin of ['http://evil.example', `https://127.0.0.1:${httpPort}`, 'null', `http://127.0.0.1:${httpPort + 1}`]) {
    await assert.rejects(connectWs(t, httpPort, { origin }), /403/, origin);
  }
  assert.equal(server.http?.stats.refusedUpgrades, 4);
  await assert.rejects(connectWs(t, httpPort, {}, '/otra'), /404/);
});

test('ws - HTTP: GET and HEAD only, 404 off the list, 503 without a page, security headers on every answer', async (t) => {
  const { httpPort } = await webServer(t);
  for (const [method, path, status] of [
    ['GET', '/', 503],
    ['HEAD', '/', 503],
    ['GET', '/nada.js', 404],
    ['GET', '/../../etc/passwd', 404],
    ['POST', '/', 405],
    ['PUT', '/ws', 405],
    ['GET', '/ws', 426],
  ] as const) {
    const res = await get(httpPort, path, { method });
    assert.equal(res.status, status, `${method} ${path}`);
    assert.match(String(res.headers['content-security-policy']), /default-src 'self'.*frame-ancestors 'none'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    if (method === 'HEAD') assert.equal(res.body.length, 0);
  }
  assert.equal((await get(httpPort, '/', { method: 'POST' })).headers['allow'], 'GET, HEAD');
  assert.match((await get(httpPort, '/')).body.toString(), /npm run build/);
});

test('ws - HTTP: the page files of dist/web, gzipped when asked, revalidated by ETag; nothing outside the list', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'charla-web-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const html = `<!doctype html><title>charla</title>${'<p>hola</p>'.repeat(100)}`;
  writeFileSync(join(dir, 'index.html'), html);
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1);');
  writeFileSync(join(dir, 'secret.pem'), 'no');
  const { httpPort } = await webServer(t, { wsOptions: { webDir: dir } });
  const page = await get(httpPort, '/', { headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(page.body).toString(), html);
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
  const plainPage = await get(httpPort, '/index.html');
  assert.equal(plainPage.body.toString(), html);
  assert.equal(plainPage.headers['content-encoding'], undefined);
  const again = await get(httpPort, '/', { headers: { 'if-none-match': String(page.headers['etag']) } });
  assert.equal(again.status, 304);
  const js = await get(httpPort, '/assets/app.js');
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.body.toString(), 'console.log(1);');
  for (const path of ['/secret.pem', '/assets/../index.html', '/%2e%2e/package.json', '/assets', '/assets/']) assert.equal((await get(httpPort, path)).status, 404, path);
});

test('ws - a browser pointed at the TCP port is told the browser URL', async (t) => {
  const { tcpPort, httpPort } = await webServer(t);
  const browser = await connectLine(t, tcpPort);
  browser.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await browser.closedByServer();
  const body = browser.lines.join('\n');
  assert.match(body, /^HTTP\/1\.1 400/);
  assert.ok(body.includes(`http://127.0.0.1:${httpPort}/`), body);
});

test('ws - IRC users see browser users with the host web.charla', async (t) => {
  const { httpPort, server } = await webServer(t, { irc: true, ircPort: 0 });
  await wsJoinAs(t, httpPort, 'ana');
  const irc = await connectLine(t, server.irc?.address.port ?? 0);
  irc.write('NICK bob\r\nUSER bob 0 * :bob\r\nWHOIS ana\r\n');
  assert.match(await irc.waitFor(/ 311 /), / 311 bob ana ana web\.charla \* /);
});
