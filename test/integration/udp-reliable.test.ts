/**
 * Reliable UDP in the chat (`charla client --udp --fiable`): Selective Repeat between the client
 * and the server, over real UDP on loopback, through a seeded lossy relay where loss matters.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import test, { type TestContext } from 'node:test';
import { text } from '../../src/hub/messages.js';
import { decodeArq, encodeArq } from '../../src/protocol/arq/header.js';
import { ARQ_SESSION_DEFAULTS, type ArqSessionOptions } from '../../src/protocol/arq-session.js';
import { openConnection } from '../../src/client/connection.js';
import { spawnCharla } from '../helpers/charla-process.js';
import { spawnServer } from '../helpers/spawn-server.js';
import { joinAs } from '../helpers/line-client.js';
import { NO_IMPAIRMENT } from '../../src/lab/impairment.js';
import { type Relay, startRelay } from '../../src/lab/relay.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpJoinAs } from '../helpers/udp-client.js';
import { within } from '../helpers/within.js';

const es = (key: Parameters<typeof text>[1], params?: Record<string, string | number>): string => text('es', key, params);

/** Fast timers for the tests that wait for a give-up: an RTO of 30 ms, three retries. */
const QUICK: ArqSessionOptions = { ...ARQ_SESSION_DEFAULTS, maxRetries: 3, rto: { fixedMs: 30 } };

/** A raw UDP socket speaking the ARQ header by hand: what it sends and receives, bytes counted. */
class RawArq {
  readonly socket: dgram.Socket;
  readonly received: Buffer[] = [];
  bytesIn = 0;
  bytesOut = 0;
  #next = 0;
  #waiters: Array<() => void> = [];

  constructor(socket: dgram.Socket, readonly serverPort: number) {
    this.socket = socket;
    socket.on('message', (msg) => {
      this.received.push(msg);
      this.bytesIn += msg.length;
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async open(t: TestContext, serverPort: number): Promise<RawArq> {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await within(once(socket, 'listening'), 3000, 'a test socket to bind');
    t.after(() => socket.close());
    return new RawArq(socket, serverPort);
  }

  raw(data: Uint8Array): void {
    this.bytesOut += data.length;
    this.socket.send(data, this.serverPort, '127.0.0.1');
  }

  /** The next DATA packet with `text` (numbered in order). */
  data(line: string): void {
    this.raw(encodeArq('data', 'sr', 16, this.#next++, Buffer.from(line, 'utf8')));
  }

  ack(number: number): void {
    this.raw(encodeArq('ack', 'sr', 16, number));
  }

  /** The DATA packets received, decoded: [number, text]. */
  get datas(): Array<[number, string]> {
    const out: Array<[number, string]> = [];
    for (const m of this.received) {
      const p = decodeArq(m);
      if (p?.type === 'data') out.push([p.number, Buffer.from(p.payload).toString('utf8')]);
    }
    return out;
  }

  acks(): number[] {
    return this.received.map((m) => decodeArq(m)).flatMap((p) => (p?.type === 'ack' ? [p.number] : []));
  }

  async until(what: string, check: () => boolean, ms = 3000): Promise<void> {
    const wait = new Promise<void>((resolve) => {
      const test = (): void => (check() ? resolve() : void this.#waiters.push(test));
      test();
    });
    await within(wait, ms, `${what} (received: ${JSON.stringify(this.received.slice(-5).map((b) => b.toString('latin1')))})`);
  }
}

/** The lab's lossy link (src/lab/relay.ts, what `charla link` runs), clean until told otherwise, impairing both ways. */
async function labLink(t: TestContext, serverUdpPort: number): Promise<Relay> {
  const relay = await startRelay({ serverHost: '127.0.0.1', serverUdpPort, impairment: NO_IMPAIRMENT, direction: 'both', seed: 12, listenUdpPort: 0 });
  t.after(() => relay.close());
  return relay;
}
const TEN_PERCENT = { ...NO_IMPAIRMENT, lossPct: 10 };

test('udp-reliable - through 10% loss both ways, a --fiable client gets every line in order, and the room every line it sent', async (t) => {
  const srv = await startTestServer(t, { tcpOptions: { rateLimit: undefined }, udpOptions: { rateLimit: undefined } });
  const relay = await labLink(t, srv.udpPort);
  const ana = await joinAs(t, srv.tcpPort, 'ana');
  const lee = spawnCharla(t, ['client', '--udp', '--fiable', '--port', String(relay.udpPort), '--name', 'lee']);
  await ana.waitFor(es('user_joined', { name: 'lee' }), 5000);
  relay.setImpairment(TEN_PERCENT);
  const count = 60;
  for (let i = 1; i <= count; i++) {
    ana.write(`a${i}\n`);
    lee.send(`l${i}`);
  }
  await lee.line(`ana: a${count}`, 20_000);
  await ana.until(`lee: l${count}`, () => ana.lines.includes(`lee: l${count}`), 20_000);
  const got = lee.lines.filter((l) => l.startsWith('ana: '));
  assert.deepEqual(got, Array.from({ length: count }, (_, i) => `ana: a${i + 1}`), 'every line of ana, once, in order');
  const heard = ana.lines.filter((l) => l.startsWith('lee: '));
  assert.deepEqual(heard, Array.from({ length: count }, (_, i) => `lee: l${i + 1}`), 'every line of lee, once, in order');
  assert.ok(relay.counters.udpDropped > 0 && relay.counters.udpUpDropped > 0, `the link lost datagrams both ways: ${JSON.stringify(relay.counters)}`);
  relay.setImpairment(NO_IMPAIRMENT);
  lee.end();
  assert.equal(await lee.exit(10_000), 0);
  // On leaving, the client says what reliability cost; the server logs it too.
  assert.match(lee.stderr, /UDP fiable: \d+ enviados, [1-9]\d* reenvíos, \d+ recibidos/);
  await srv.logged(/udp 127\.0\.0\.1:\d+ \(fiable\): \d+ paquetes enviados, [1-9]\d* reenvíos/, 5000);
});

test('udp-reliable - the same session without --fiable shows the gaps', async (t) => {
  const srv = await startTestServer(t, { tcpOptions: { rateLimit: undefined }, udpOptions: { rateLimit: undefined } });
  const relay = await labLink(t, srv.udpPort);
  const ana = await joinAs(t, srv.tcpPort, 'ana');
  const lee = spawnCharla(t, ['client', '--udp', '--port', String(relay.udpPort), '--name', 'lee']);
  await ana.waitFor(es('user_joined', { name: 'lee' }), 5000);
  relay.setImpairment(TEN_PERCENT);
  const count = 60;
  for (let i = 1; i <= count; i++) {
    ana.write(`a${i}\n`);
    lee.send(`l${i}`);
  }
  // The link keeps losing: a marker sent until one arrives shows everything before it has come
  // (loopback and a link without delay keep the order).
  let done = false;
  for (let i = 1; i <= 30 && !done; i++) {
    ana.write(`fin${i}\n`);
    done = await lee.line(`ana: fin${i}`, 1000).then(
      () => true,
      () => false,
    );
  }
  assert.ok(done, 'a marker crossed the link');
  const got = lee.lines.filter((l) => l.startsWith('ana: a'));
  const expected = Array.from({ length: count }, (_, i) => `ana: a${i + 1}`);
  assert.ok(got.length < count, `plain UDP lost some of ana's lines (got ${got.length} of ${count})`);
  assert.deepEqual(got, expected.filter((l) => got.includes(l)), 'what arrived came in order (loopback does not reorder)');
  lee.end();
  assert.equal(await lee.exit(10_000), 0);
  assert.doesNotMatch(lee.stderr, /UDP fiable/, 'no reliability summary without --fiable');
});

test('udp-reliable - a peer that stops acknowledging is removed after N retransmissions, and the room is told why', async (t) => {
  const srv = await startTestServer(t, { udpOptions: { arq: QUICK } });
  const ana = await joinAs(t, srv.tcpPort, 'ana');
  const zoe = await RawArq.open(t, srv.udpPort);
  zoe.data('zoe');
  await zoe.until('the welcome as DATA 0', () => zoe.datas.some(([n, l]) => n === 0 && l.startsWith('***')));
  assert.deepEqual(zoe.acks(), [0], 'the name was acknowledged');
  // zoe never ACKs: the welcome is sent 1 + 3 times, then the server gives up.
  const notice = es('user_left_because', { name: 'zoe', reason: es('reason_no_ack', { retries: 3 }) });
  assert.equal(notice, '*** zoe ha salido del chat (sin respuesta: 3 reenvíos sin confirmar) ***');
  await ana.waitFor(notice, 5000);
  assert.equal(zoe.datas.filter(([n]) => n === 0).length, 1 + QUICK.maxRetries, 'the welcome: sent once, then 3 retransmissions');
  await srv.logged(/no confirma: 3 reenvíos del mismo paquete sin ACK/);
  await srv.logged('zoe desconectado (sin respuesta: 3 reenvíos sin confirmar).');
  assert.equal(srv.server.udp?.peers.size, 0, 'the peer is forgotten');
});

test('udp-reliable - /listar marks reliable users; a room without one lists exactly as the seed did', async (t) => {
  const srv = await startTestServer(t);
  const ana = await joinAs(t, srv.tcpPort, 'ana');
  ana.write('/listar\n');
  assert.equal(await ana.waitFor(/^Usuarios: /), 'Usuarios: ana');
  const lee = await openConnection({ transport: 'udp', port: srv.udpPort, reliable: true });
  t.after(() => lee.close());
  lee.send('lee');
  const welcome = await lee.next(3000);
  assert.match(welcome?.kind === 'message' ? welcome.text : '', /^\*\*\* Bienvenido\/a a charla, lee\./);
  await ana.waitFor(es('user_joined', { name: 'lee' }));
  ana.write('/listar\n');
  assert.equal(await ana.waitFor(/^Usuarios: /), 'Usuarios: ana, lee (fiable)');
  await srv.logged(/udp 127\.0\.0\.1:\d+ habla UDP fiable \(Selective Repeat, ventana 32, hasta 10 reenvíos\)/);
  lee.send('/listar');
  const listed = await lee.waitFor((e) => e.kind === 'message' && e.text.startsWith('Usuarios: '), 3000);
  assert.deepEqual(listed, { kind: 'message', text: 'Usuarios: ana, lee (fiable)' });
});

test("udp-reliable - the seed's plain UDP works next to a reliable user", async (t) => {
  const srv = await startTestServer(t);
  const bob = await udpJoinAs(t, srv.udpPort, 'bob');
  const lee = await openConnection({ transport: 'udp', port: srv.udpPort, reliable: true });
  t.after(() => lee.close());
  lee.send('lee');
  await lee.next(3000);
  await bob.waitFor(es('user_joined', { name: 'lee' }));
  lee.send('hola desde lee');
  await bob.waitFor('lee: hola desde lee');
  bob.send('hola desde bob');
  const got = await lee.waitFor((e) => e.kind === 'message' && e.text === 'bob: hola desde bob', 3000);
  assert.ok(got !== undefined);
  bob.send('/listar');
  assert.equal(await bob.waitFor(/^Usuarios: /), 'Usuarios: bob, lee (fiable)');
  // Plain datagrams never carry the header: bob saw text only.
  assert.ok(bob.messages.every((m) => !m.startsWith('\ufffd')), JSON.stringify(bob.messages));
  lee.send('/quitar');
  await bob.waitFor(es('user_left', { name: 'lee' }));
  assert.equal(srv.server.udp?.peers.size, 1, 'bob stays');
});

test('udp-reliable - an unvalidated ARQ source gets at most 3x what it sent, retransmissions and ACKs included', async (t) => {
  const srv = await startTestServer(t, { exemptLoopback: false, udpOptions: { arq: QUICK, trustLoopback: false } });
  const ana = await joinAs(t, srv.tcpPort, 'ana');
  const zoe = await RawArq.open(t, srv.udpPort);
  zoe.data('zoe'); // 11 bytes: at most 33 back
  await ana.waitFor(es('user_joined', { name: 'zoe' }));
  for (let i = 0; i < 5; i++) ana.write(`mensaje número ${i} para toda la sala\n`);
  // The welcome does not fit 3x; its retransmissions are withheld too; the server gives up.
  await ana.waitFor(es('user_left_because', { name: 'zoe', reason: es('reason_no_ack', { retries: 3 }) }), 5000);
  assert.ok(zoe.bytesIn > 0, 'the ACK of the name did fit');
  assert.ok(zoe.bytesIn <= 3 * zoe.bytesOut, `received ${zoe.bytesIn} bytes for ${zoe.bytesOut} sent`);
  assert.ok((srv.server.udp?.stats.withheldBytes ?? 0) > 0, 'the rest was withheld');
});

test('udp-reliable - stray ARQ datagrams from unknown sources get no answer and leave no state', async (t) => {
  const srv = await startTestServer(t);
  const x = await RawArq.open(t, srv.udpPort);
  x.raw(encodeArq('ack', 'sr', 16, 0)); // an ACK of nothing
  x.raw(encodeArq('data', 'sr', 16, 5, Buffer.from('eve'))); // not the first packet of a session
  x.raw(encodeArq('data', 'gbn', 16, 0, Buffer.from('eve'))); // another protocol
  x.raw(encodeArq('data', 'sr', 8, 0, Buffer.from('eve'))); // another sequence space
  x.raw(Buffer.from([0xfe, 9, 9, 9])); // garbage behind the magic
  x.raw(encodeArq('data', 'sr', 16, 0, Buffer.from('error'))); // a reserved name: refused, plain
  const reserved = es('name_reserved', { name: 'error' });
  await x.until('the refusal of the reserved name', () => x.received.some((m) => m.toString('utf8') === reserved));
  assert.deepEqual(x.received.map((m) => m.toString('utf8')), [reserved], 'only that refusal came back (plain, with no ACK)');
  assert.equal(srv.server.udp?.peers.size, 0);
});

test('udp-reliable - a refused first name is answered plain; the client starts over and the next name opens the session', async (t) => {
  const srv = await startTestServer(t);
  await joinAs(t, srv.tcpPort, 'ana');
  const lee = await openConnection({ transport: 'udp', port: srv.udpPort, reliable: true });
  t.after(() => lee.close());
  lee.send('ana'); // taken
  const refused = await lee.next(3000);
  assert.match(refused?.kind === 'message' ? refused.text : '', /^Error: /);
  lee.send('lee');
  const welcome = await lee.next(3000);
  assert.match(welcome?.kind === 'message' ? welcome.text : '', /^\*\*\* Bienvenido\/a a charla, lee\./);
  lee.send('hola');
  const peers = [...(srv.server.udp?.peers.values() ?? [])];
  assert.equal(peers.length, 1);
  assert.equal(peers[0]?.reliable, true);
  await lee.drained(); // every message acknowledged
  assert.equal(lee.arqStats?.()?.acked, 2, 'the name and "hola"');
});

test('udp-reliable - past its window and send queue, a peer that does not acknowledge is removed as too slow', async (t) => {
  // A long fixed RTO and many retries: the bound, not the give-up, must end it.
  const srv = await startTestServer(t, { tcpOptions: { rateLimit: undefined }, udpOptions: { arq: { ...ARQ_SESSION_DEFAULTS, window: 2, maxQueue: 3, maxRetries: 100, rto: { fixedMs: 10_000 } } } });
  const ana = await joinAs(t, srv.tcpPort, 'ana');
  const zoe = await RawArq.open(t, srv.udpPort);
  zoe.data('zoe');
  await ana.waitFor(es('user_joined', { name: 'zoe' }));
  for (let i = 0; i < 10; i++) ana.write(`m${i}\n`);
  await ana.waitFor(es('user_left_because', { name: 'zoe', reason: es('reason_slow') }));
  assert.equal(zoe.datas.length, 2, 'the window (the welcome and one line), nothing past it');
  assert.equal(srv.server.udp?.peers.size, 0);
});

test("udp-reliable - the usual per-user rate limit applies to a reliable user's lines (acknowledged, then dropped, with the warning)", async (t) => {
  const srv = await startTestServer(t, { udpOptions: { rateLimit: { ratePerSec: 0.01, burst: 2 } } });
  const ana = await joinAs(t, srv.tcpPort, 'ana');
  const lee = await openConnection({ transport: 'udp', port: srv.udpPort, reliable: true });
  t.after(() => lee.close());
  lee.send('lee'); // one token
  await lee.next(3000);
  const warning = lee.waitFor((e) => e.kind === 'message' && e.text === es('rate_dropped'), 3000);
  for (const word of ['uno', 'dos', 'tres']) lee.send(word);
  await ana.waitFor('lee: uno');
  assert.ok((await warning) !== undefined, 'told that it is dropping');
  await lee.drained(); // all acknowledged: the server has taken (and dropped) them all
  assert.equal([...(srv.server.udp?.peers.values() ?? [])][0]?.reliable, true, 'lee spoke ARQ');
  assert.ok(!ana.lines.includes('lee: dos') && !ana.lines.includes('lee: tres'), JSON.stringify(ana.lines));
});

test('udp-reliable - charla server --udp-retries N sets the give-up; a bad N is refused by name', async (t) => {
  const srv = await spawnServer(t, ['--udp-retries', '1']);
  const zoe = await RawArq.open(t, srv.udpPort);
  zoe.data('zoe');
  // RFC 6298's first RTO is 1 s, then 2 s: one retransmission, and the server gives up.
  await zoe.until('the welcome and its one retransmission', () => zoe.datas.filter(([n]) => n === 0).length === 2, 5000);
  const gaveUp = (): boolean => srv.stdout.join('\n').includes('zoe desconectado (sin respuesta: 1 reenvíos sin confirmar).');
  for (let i = 0; i < 100 && !gaveUp(); i++) await within(once(srv.child.stdout as NodeJS.ReadableStream, 'data'), 5000, `the give-up in the log: ${srv.stdout.join('\n')}`);
  assert.ok(gaveUp());
  assert.equal(zoe.datas.length, 2, 'nothing more after giving up');
  const bad = spawnCharla(t, ['server', '--udp-retries', '5000', '--tcp-port', '0', '--udp-port', '0', '--no-http']);
  assert.equal(await bad.exit(), 2);
  assert.match(bad.stderr, /--udp-retries must be at most 1000/);
});
