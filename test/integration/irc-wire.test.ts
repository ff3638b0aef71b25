import assert from 'node:assert/strict';
import { once } from 'node:events';
import type net from 'node:net';
import test, { type TestContext } from 'node:test';
import tls from 'node:tls';
import type { ServerOptions } from '../../src/server.js';
import { connectIrc, RawIrcClient } from '../helpers/irc-client.js';
import { joinAs, LineClient } from '../helpers/line-client.js';
import { selfSigned } from '../helpers/self-signed.js';
import { startTestServer } from '../helpers/start-server.js';
import { within } from '../helpers/within.js';

/** irctest-style byte-level tests of the IRC port: raw sockets, exact lines. */

async function ircServer(t: TestContext, options: Partial<ServerOptions> = {}) {
  const s = await startTestServer(t, { irc: true, ircPort: 0, ...options });
  return { ...s, ircPort: s.server.irc?.address.port ?? 0 };
}

/** One turn of the event loop: lets a write leave as its own segment (pacing, not synchronisation). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function writeBytes(c: RawIrcClient, data: Buffer): Promise<void> {
  c.socket.setNoDelay(true);
  for (let i = 0; i < data.length; i++) {
    c.write(data.subarray(i, i + 1));
    await turn();
  }
}

test('IRC wire: registration sent one byte at a time', async (t) => {
  const { ircPort } = await ircServer(t);
  const c = await connectIrc(t, ircPort);
  await writeBytes(c, Buffer.from('NICK ana\r\nUSER ana 0 * :Ana María\r\n'));
  assert.match(await c.waitFor(/ 001 /), /^:server\.charla 001 ana :/);
  const isupport = await c.waitFor(/ 005 /);
  for (const token of ['CHANTYPES=#', 'NICKLEN=', 'CHANNELLEN=', 'CASEMAPPING=ascii', 'NETWORK=charla']) assert.ok(isupport.includes(token), `${token} in ${isupport}`);
  await c.waitFor(/^:server\.charla 422 ana :/);
});

test('IRC wire: a message split inside a UTF-8 sequence arrives whole', async (t) => {
  const { ircPort, tcpPort } = await ircServer(t);
  const bea = await joinAs(t, tcpPort, 'bea');
  const c = await connectIrc(t, ircPort);
  await c.register('ana');
  c.send('JOIN #general');
  await c.waitFor(/ 366 ana #general /);
  const bytes = Buffer.from('PRIVMSG #general :año 😀\r\n');
  const cut = bytes.indexOf(Buffer.from('ñ')) + 1; // after the first byte of ñ
  const cut2 = bytes.indexOf(Buffer.from('😀')) + 2; // in the middle of the emoji
  c.socket.setNoDelay(true);
  c.write(bytes.subarray(0, cut));
  await turn();
  c.write(bytes.subarray(cut, cut2));
  await turn();
  c.write(bytes.subarray(cut2));
  await bea.waitFor('ana: año 😀');
});

test('IRC wire: an over-long line is answered 417 and dropped; the connection goes on', async (t) => {
  const { ircPort, tcpPort } = await ircServer(t);
  const bea = await joinAs(t, tcpPort, 'bea');
  const c = await connectIrc(t, ircPort);
  await c.register('ana');
  c.send('JOIN #general');
  await c.waitFor(/ 366 /);
  c.send(`PRIVMSG #general :${'x'.repeat(600)}`); // over 512 bytes
  await c.waitFor(/^:server\.charla 417 ana :/);
  c.write(`PRIVMSG #general :${'y'.repeat(20_000)}`); // past the read bound, no line end yet
  await c.waitFor(/^:server\.charla 417 ana :/);
  c.send(' and the rest of it'); // the end of that line: discarded with it
  c.send('PRIVMSG #general :sigo aquí');
  await bea.waitFor('ana: sigo aquí');
  assert.ok(!bea.lines.some((l) => l.includes('xxx') || l.includes('yyy') || l.includes('rest of it')));
});

test('IRC wire: CR-only and LF-only line endings', async (t) => {
  const { ircPort } = await ircServer(t);
  const cr = await connectIrc(t, ircPort);
  cr.write('NICK ana\rUSER ana 0 * :a\r');
  await cr.waitFor(/ 001 ana /);
  cr.write('PING :uno\r');
  assert.equal(await cr.waitFor(/PONG/), ':server.charla PONG server.charla :uno');
  const lf = await connectIrc(t, ircPort);
  lf.write('NICK bob\nUSER bob 0 * :b\n');
  await lf.waitFor(/ 001 bob /);
  lf.write('PING :dos\n');
  assert.equal(await lf.waitFor(/PONG/), ':server.charla PONG server.charla :dos');
});

test('IRC wire: an early nick collision: the second to finish registering gets 433', async (t) => {
  const { ircPort, tcpPort } = await ircServer(t);
  const a = await connectIrc(t, ircPort);
  const b = await connectIrc(t, ircPort);
  a.send('NICK ana');
  b.send('NICK ana');
  a.send('USER ana 0 * :a');
  await a.waitFor(/ 001 ana /);
  b.send('USER ana 0 * :b');
  assert.match(await b.waitFor(/ 433 /), /^:server\.charla 433 \* ana :/);
  b.send('NICK ANA'); // ASCII case folded: the same nick
  await b.waitFor(/ 433 \* ANA /);
  b.send('NICK bob');
  await b.waitFor(/ 001 bob /);
  // A NICK held by a user of another transport is refused at once, before USER.
  await joinAs(t, tcpPort, 'bea');
  const c = await connectIrc(t, ircPort);
  c.send('NICK bea');
  assert.match(await c.next(), /^:server\.charla 433 \* bea :/);
});

test('IRC wire: PING before registration is answered; other commands get 451', async (t) => {
  const { ircPort } = await ircServer(t);
  const c = await connectIrc(t, ircPort);
  c.send('PING :antes');
  assert.equal(await c.next(), ':server.charla PONG server.charla :antes');
  c.send('JOIN #general');
  assert.match(await c.next(), /^:server\.charla 451 \* :/);
  c.send('PRIVMSG #general :hola');
  assert.match(await c.next(), /^:server\.charla 451 \* :/);
});

test('IRC wire: error numerics 401 403 404 411 412 421 431 432 442 461 462', async (t) => {
  const { ircPort } = await ircServer(t, { bench: true }); // no fakelag: the answers come at once
  const c = await connectIrc(t, ircPort);
  c.send('NICK');
  await c.waitFor(/ 431 \* :/);
  c.send('NICK 9lives');
  await c.waitFor(/ 432 \* 9lives :/);
  c.send('NICK ana|x');
  await c.waitFor(/ 432 \* ana\|x :/);
  c.send('USER ana');
  await c.waitFor(/ 461 \* USER :/);
  await c.register('ana');
  const cases: [string, RegExp][] = [
    ['PRIVMSG nadie :hola', / 401 ana nadie :/],
    ['PRIVMSG #nada :hola', / 403 ana #nada :/],
    ['PRIVMSG', / 411 ana :/],
    ['PRIVMSG #general', / 412 ana :/],
    ['FOO bar', / 421 ana FOO :/],
    ['PART #general', / 442 ana #general :/],
    ['JOIN', / 461 ana JOIN :/],
    ['USER a 0 * :a', / 462 ana :/],
    ['PASS x', / 462 ana :/],
    ['JOIN sin-almohadilla', / 403 ana sin-almohadilla :/],
    ['JOIN #no!válido', / 479 ana #no!válido :/],
  ];
  for (const [line, expected] of cases) {
    c.send(line);
    assert.match(await c.next(), expected, line);
  }
  const other = await connectIrc(t, ircPort);
  await other.register('bob');
  other.send('JOIN #otra');
  await other.waitFor(/ 366 bob #otra /);
  c.send('PRIVMSG #otra :no estoy dentro');
  assert.match(await c.next(), / 404 ana #otra :/);
});

test('IRC wire: NAMES, TOPIC, LIST, MODE, WHO and WHOIS are answered', async (t) => {
  const { ircPort, tcpPort } = await ircServer(t);
  await joinAs(t, tcpPort, 'José');
  const c = await connectIrc(t, ircPort);
  await c.register('ana');
  c.send('JOIN #general');
  const names = await c.waitFor(/ 353 /);
  assert.match(names, /^:server\.charla 353 ana = #general :Jose\|[a-z2-9]{4} ana$/);
  const jose = (names.split(':')[2] ?? '').split(' ')[0] as string;
  await c.waitFor(/ 366 ana #general :/);
  c.send('TOPIC #general');
  assert.match(await c.next(), / 331 ana #general :/);
  c.send('LIST');
  assert.match(await c.next(), / 321 ana Channel :/);
  assert.equal(await c.next(), ':server.charla 322 ana #general 2 :');
  assert.match(await c.next(), / 323 ana :/);
  c.send('MODE #general');
  assert.equal(await c.next(), ':server.charla 324 ana #general :+nt');
  c.send('MODE ana');
  assert.equal(await c.next(), ':server.charla 221 ana :+i');
  c.send('WHO #general');
  assert.match(await c.next(), new RegExp(`^:server\\.charla 352 ana #general ${jose.replace('|', '\\|')} tcp\\.charla server\\.charla ${jose.replace('|', '\\|')} H :0 José$`));
  assert.match(await c.next(), / 352 ana #general ana irc\.charla /);
  assert.match(await c.next(), / 315 ana #general :/);
  c.send(`WHOIS ${jose}`);
  assert.match(await c.next(), new RegExp(`311 ana ${jose.replace('|', '\\|')} ${jose.replace('|', '\\|')} tcp\\.charla \\* :José$`));
  await c.waitFor(/ 318 ana /);
});

test('IRC wire: a channel left, closed and made again still gets the messages written to it', async (t) => {
  const { ircPort, tcpPort } = await ircServer(t, { bench: true });
  const c = await connectIrc(t, ircPort);
  await c.register('ana');
  c.send('JOIN #tmp');
  await c.waitFor(/ 366 ana #tmp /);
  c.send('PRIVMSG #tmp :nadie me oye');
  c.send('PART #tmp');
  await c.waitFor(/ PART #tmp/);
  c.send('PRIVMSG #tmp :ya no estoy');
  assert.match(await c.next(), / 403 ana #tmp :/, 'the room closed with its last member');
  const bea = await joinAs(t, tcpPort, 'bea');
  bea.write('/sala tmp\n');
  await bea.waitFor(/sala tmp/);
  c.send('JOIN #tmp');
  await c.waitFor(/ 366 ana #tmp /);
  c.send('PRIVMSG #tmp :otra vez');
  await bea.waitFor('ana: otra vez');
  c.send('PRIVMSG #tmp :');
  assert.match(await c.next(), / 412 ana :/);
});

test('IRC wire: the server password goes in PASS; without it, 464 and ERROR', async (t) => {
  const { ircPort } = await ircServer(t, { hub: { password: 'secreto' } });
  const bad = await connectIrc(t, ircPort);
  bad.send('NICK ana');
  bad.send('USER ana 0 * :a');
  await bad.waitFor(/ 464 /);
  assert.match(await bad.next(), /^ERROR :/);
  await bad.closedByServer();
  const good = await connectIrc(t, ircPort);
  good.send('PASS secreto');
  await good.register('ana');
});

test('IRC wire: a long message from a line user is cut into IRC lines at character boundaries', async (t) => {
  const { ircPort, tcpPort } = await ircServer(t);
  const bea = await joinAs(t, tcpPort, 'bea');
  const c = await connectIrc(t, ircPort);
  await c.register('ana');
  c.send('JOIN #general');
  await c.waitFor(/ 366 /);
  const text = 'ñ😀'.repeat(600); // 3,600 bytes
  bea.write(`${text}\n`);
  const pieces: string[] = [];
  const head = ':bea!bea@tcp.charla PRIVMSG #general :';
  while (pieces.join('').length < text.length) {
    const line = await c.next();
    assert.ok(line.startsWith(head), line);
    assert.ok(Buffer.byteLength(line) + 2 <= 512, `${Buffer.byteLength(line)} bytes`);
    pieces.push(line.slice(head.length));
    assert.ok(pieces.length < 20);
  }
  assert.equal(pieces.join(''), text);
});

test('IRC wire: a client that stops answering PINGs is dropped and announced as lost', async (t) => {
  const { ircPort, tcpPort } = await ircServer(t, { ircOptions: { pingIntervalMs: 150 } });
  const bea = await joinAs(t, tcpPort, 'bea');
  const c = await connectIrc(t, ircPort);
  await c.register('ana');
  c.send('JOIN #general');
  await bea.waitFor('*** ana se ha unido al chat ***');
  assert.equal(await c.waitFor(/^PING /), 'PING :server.charla');
  await c.waitFor(/^ERROR :.*PING/);
  await c.closedByServer();
  await bea.waitFor('*** ana ha salido del chat (conexión perdida) ***');
});

test('IRC wire: a client that answers PINGs stays', async (t) => {
  const { ircPort, tcpPort } = await ircServer(t, { ircOptions: { pingIntervalMs: 100 } });
  const bea = await joinAs(t, tcpPort, 'bea');
  const c = await connectIrc(t, ircPort);
  await c.register('ana');
  c.send('JOIN #general');
  for (let i = 0; i < 3; i++) {
    const ping = await c.waitFor(/^PING /);
    c.send(ping.replace('PING', 'PONG'));
  }
  c.send('PRIVMSG #general :sigo');
  await bea.waitFor('ana: sigo');
  assert.ok(!c.closed);
});

test('IRC wire: the registration timeout closes a client that never registers', async (t) => {
  const { ircPort } = await ircServer(t, { ircOptions: { registrationTimeoutMs: 150 } });
  const c = await connectIrc(t, ircPort);
  c.send('NICK ana');
  assert.match(await c.waitFor(/^ERROR /), /^ERROR :/);
  await c.closedByServer();
});

test('IRC wire: the per-address cap applies to the IRC port too', async (t) => {
  const { ircPort, tcpPort } = await ircServer(t, { exemptLoopback: false, hub: { maxConnectionsPerAddress: 2 } });
  await joinAs(t, tcpPort, 'bea');
  const a = await connectIrc(t, ircPort);
  await a.register('ana');
  const c = await connectIrc(t, ircPort);
  assert.match(await c.next(), /^ERROR :/);
  await c.closedByServer();
});

test('IRC wire: a reader that falls behind is cut off with ERROR :SendQ exceeded, the room hears it', async (t) => {
  const MAX_QUEUED = 64 * 1024;
  const { server, ircPort, tcpPort } = await ircServer(t, { bench: true, ircOptions: { maxQueuedBytes: MAX_QUEUED } });
  const cutOff = (): boolean => [...(server.irc?.peers ?? [])].every((p) => p.closed);
  const slow = await connectIrc(t, ircPort);
  await slow.register('lento');
  slow.send('JOIN #general');
  await slow.waitFor(/ 366 /);
  const reader = await joinAs(t, tcpPort, 'lector');
  const sender = await joinAs(t, tcpPort, 'emisor');
  slow.socket.pause();
  const payload = 'x'.repeat(1000);
  const leave = '*** lento ha salido del chat (no leía a tiempo) ***';
  let sent = 0;
  for (let batch = 0; batch < 2000 && !cutOff(); batch++) {
    let chunk = '';
    for (let i = 0; i < 20; i++) chunk += `${sent++} ${payload}\n`;
    sender.write(chunk);
    await reader.until(`message ${sent - 1}`, () => reader.lines.includes(`emisor: ${sent - 1} ${payload}`), 10_000);
  }
  assert.ok(cutOff(), `the slow reader was never cut off after ${sent} messages`);
  slow.socket.resume(); // it reads what the socket held, then its last words
  await slow.closedByServer(10_000);
  await reader.waitFor(leave);
  assert.equal(slow.lines.at(-1)?.replace(/\r$/, ''), 'ERROR :SendQ exceeded');
});

test('IRC wire: over the rate, commands are delayed (fakelag), not dropped', async (t) => {
  const { ircPort } = await ircServer(t, { tcpOptions: { rateLimit: { ratePerSec: 50, burst: 5 } } });
  const c = await connectIrc(t, ircPort);
  await c.register('ana');
  let burst = '';
  for (let i = 0; i < 30; i++) burst += `PING :${i}\r\n`;
  const start = performance.now();
  c.write(burst);
  await c.waitFor(/NOTICE ana :Error: estás enviando demasiado rápido/);
  assert.equal(await c.waitFor(/ PONG .* :29$/, 5000), ':server.charla PONG server.charla :29');
  const pongs = c.lines.filter((l) => l.includes(' PONG '));
  assert.equal(pongs.length, 30, 'every PING answered');
  assert.ok(performance.now() - start >= 300, 'paced at the rate: 25 lines over the burst at 50/s take about half a second');
});

test('IRC wire: CAP LS offers server-time and message-tags; REQ is all or nothing; registration waits for CAP END', async (t) => {
  const { ircPort } = await ircServer(t);
  const c = await connectIrc(t, ircPort);
  c.send('CAP LS 302');
  assert.equal(await c.next(), ':server.charla CAP * LS :server-time message-tags');
  c.send('NICK ana');
  c.send('USER ana 0 * :a');
  c.send('CAP REQ :server-time sasl');
  assert.equal(await c.next(), ':server.charla CAP * NAK :server-time sasl', 'no 001 while negotiating');
  c.send('CAP REQ :server-time message-tags');
  assert.equal(await c.next(), ':server.charla CAP * ACK :server-time message-tags');
  c.send('CAP END');
  await c.waitFor(/ 001 ana /);
  c.send('CAP LIST');
  assert.equal(await c.waitFor(/ CAP ana LIST /), ':server.charla CAP ana LIST :server-time message-tags');
  c.send('@+typing=active TAGMSG #general'); // tags alone: taken, not relayed, not answered
  c.send('PING :after');
  assert.equal(await c.next(), ':server.charla PONG server.charla :after');
});

test('IRC wire: with server-time, messages carry @time and --replay-on-join replays history as PRIVMSGs at their time', async (t) => {
  const { ircPort, tcpPort } = await ircServer(t, { hub: { replayOnJoin: 5 } });
  const bea = await joinAs(t, tcpPort, 'bea');
  const seen = await joinAs(t, tcpPort, 'carla');
  bea.write('primero\nsegundo\n');
  await seen.waitFor('bea: segundo'); // in the room's log by now
  const plain = await connectIrc(t, ircPort);
  await plain.register('dani');
  const c = await connectIrc(t, ircPort);
  c.send('CAP LS 302');
  c.send('CAP REQ :server-time');
  c.send('CAP END');
  await c.register('ana');
  c.send('JOIN #general');
  await c.waitFor(/ 366 ana #general /);
  const iso = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
  assert.match(await c.next(), new RegExp(`^@time=${iso} :bea!bea@tcp\\.charla PRIVMSG #general :primero$`));
  assert.match(await c.next(), new RegExp(`^@time=${iso} :bea!bea@tcp\\.charla PRIVMSG #general :segundo$`));
  plain.send('JOIN #general');
  await plain.waitFor(/ 366 dani #general /);
  assert.match(await plain.next(), /^:server\.charla NOTICE #general :/, 'without server-time, history is NOTICEs');
  bea.write('en vivo\n');
  assert.match(await c.waitFor(/en vivo/), new RegExp(`^@time=${iso} :bea!bea@tcp\\.charla PRIVMSG #general :en vivo$`));
  assert.equal(await plain.waitFor(/en vivo/), ':bea!bea@tcp.charla PRIVMSG #general :en vivo');
});

test('IRC wire: with a TLS certificate there is an IRC port over TLS too', async (t) => {
  const pair = await selfSigned(t);
  if (pair === undefined) {
    t.skip('openssl is not installed');
    return;
  }
  const { server, tcpPort } = await startTestServer(t, { irc: true, ircPort: 0, ircsPort: 0, tcpOptions: { tls: { cert: pair.cert, key: pair.key } } });
  assert.equal(server.irc?.secure, false);
  assert.equal(server.ircs?.secure, true);
  const socket = tls.connect({ host: '127.0.0.1', port: server.ircs?.address.port ?? 0, ca: pair.cert });
  t.after(() => socket.destroy());
  await within(once(socket, 'secureConnect'), 5000, 'the TLS handshake');
  const c = new RawIrcClient(socket as unknown as net.Socket);
  await c.register('ana');
  c.send('JOIN #general');
  await c.waitFor(/ 366 ana #general /);
  const bea = await joinTls(t, tcpPort, pair.cert, 'bea');
  assert.match(await c.waitFor(/JOIN/), /^:bea!bea@tcp\.charla JOIN #general$/);
  c.send('PRIVMSG #general :cifrado');
  await bea.waitFor('ana: cifrado');
});

async function joinTls(t: TestContext, port: number, ca: Buffer, name: string) {
  const socket = tls.connect({ host: '127.0.0.1', port, ca });
  t.after(() => socket.destroy());
  await within(once(socket, 'secureConnect'), 5000, 'the TLS handshake');
  const client = new LineClient(socket as unknown as net.Socket);
  client.write(`${name}\n`);
  await client.next();
  return client;
}
