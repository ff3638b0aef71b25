import assert from 'node:assert/strict';
import test, { type TestContext } from 'node:test';
import { TOKEN_REQUEST } from '../../src/protocol/address-token.js';
import { AMPLIFICATION_FACTOR } from '../../src/transport/udp.js';
import { FakePeer } from '../helpers/fake-peer.js';
import { FORGE_SKIP, Forger, Victim } from '../helpers/forge.js';
import { joinAs, type LineClient } from '../helpers/line-client.js';
import { longNames } from '../helpers/long-lists.js';
import { startTestServer, type TestServer } from '../helpers/start-server.js';
import { type UdpClient, udpClient } from '../helpers/udp-client.js';

// Datagrams with forged source addresses, sent through a raw socket (root only). Every address is
// on 127/8; `exemptLoopback: false` makes the server treat them as it would a LAN's.
const skip = FORGE_SKIP;
const LAN = { exemptLoopback: false } as const;

/** A validated UDP user whose quick command marks a point in the server's input: what came before has been handled. */
async function marker(t: TestContext, udpPort: number, password?: string): Promise<{ client: UdpClient; sync: () => Promise<void> }> {
  const client = await udpClient(t, udpPort);
  client.send(`${await client.token()}\n${password === undefined ? '' : `/pass ${password}\n`}marca`);
  await client.waitFor(/^\*\*\* Bienvenido/);
  const sync = async (): Promise<void> => {
    client.send('/nick');
    await client.waitFor(/^Error: uso: \/nick/);
    // The victim's socket is read in the same turn as the marker's, or before: one more turn.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { client, sync };
}

test('forgery - no reply to a forged address is more than 3x what was forged, for every command (700 long names online)', { skip }, async (t) => {
  const ts = await startTestServer(t, LAN);
  const names = longNames(700);
  for (const [i, name] of names.entries()) {
    const peer = new FakePeer(`10.0.${i >> 8}.${i & 255}`, { address: `10.0.${i >> 8}.${i & 255}` });
    assert.ok(ts.server.hub.connect(peer));
    ts.server.hub.input(peer, name);
  }
  const { sync } = await marker(t, ts.udpPort);
  const forger = await Forger.start(t);
  const victim = await Victim.bind(t, '127.0.0.2');
  const rows: string[] = [];
  const forge = async (what: string, payload: string): Promise<void> => {
    const before = victim.bytes;
    await forger.send(victim.address, victim.port, '127.0.0.1', ts.udpPort, payload);
    await sync();
    const factor = victim.bytes / forger.bytes;
    rows.push(`${what.padEnd(22)} forged ${String(Buffer.byteLength(payload)).padStart(5)} B, victim got ${String(victim.bytes - before).padStart(5)} B; so far ${String(victim.bytes).padStart(5)} / ${String(forger.bytes).padStart(5)} = ${factor.toFixed(2)}x`);
    assert.ok(victim.bytes <= AMPLIFICATION_FACTOR * forger.bytes, `after ${what}: the victim got ${victim.bytes} B for ${forger.bytes} B forged\n${rows.join('\n')}`);
  };
  // Registered under the victim's address, then every command a user has, from it.
  await forge('name', 'victima');
  for (const command of ['/who', '/listar', '/usuarios', '/ayuda', '/help', `/msg ${names[0]} hola`, '/msg nadie hola', '/nick', '/nick victima2', '/nick Error.', '/foo', '//eco', 'hola a todos', TOKEN_REQUEST, '/token AAAAAAAAAAAAAAAA', 'x'.repeat(5000), '', '/quitar']) {
    await forge(command.length > 24 ? `${command.slice(0, 20)}…` : command || '(keep-alive)', command);
  }
  assert.ok(ts.server.hub.names().includes('victima2') === false, 'the forged user said /quitar and is gone');
  t.diagnostic('amplification toward a registered forged address (payload bytes):');
  for (const row of rows) t.diagnostic(row);
});

test('forgery - a stranger (no session) is answered within 3x the datagram, or not at all', { skip }, async (t) => {
  const ts = await startTestServer(t, LAN);
  await joinAs(t, ts.tcpPort, 'ana');
  const withPassword = await startTestServer(t, { ...LAN, hub: { password: 'secreto' } });
  const { sync } = await marker(t, ts.udpPort);
  const { sync: syncPassword } = await marker(t, withPassword.udpPort, 'secreto');
  const forger = await Forger.start(t);
  const rows: string[] = [];
  let n = 10;
  for (const [server, payload] of [
    [ts, 'ana'],
    [ts, 'ana.'],
    [ts, 'Error.'],
    [ts, 'nombre con espacios'],
    [ts, 'x'.repeat(40)],
    [ts, 'x'.repeat(5000)],
    [ts, '/listar'],
    [ts, TOKEN_REQUEST],
    [withPassword, 'ana'],
    [withPassword, 'bea-con-un-nombre-largo'],
  ] as Array<[TestServer, string]>) {
    // A victim of its own for each, so the per-IP reply limit does not hide the 3x rule.
    const victim = await Victim.bind(t, `127.0.0.${n++}`);
    await forger.send(victim.address, victim.port, '127.0.0.1', server.udpPort, payload);
    await (server === ts ? sync() : syncPassword());
    const sent = Buffer.byteLength(payload);
    rows.push(`${JSON.stringify(payload.length > 24 ? `${payload.slice(0, 20)}…` : payload).padEnd(26)} ${String(sent).padStart(5)} B -> ${String(victim.bytes).padStart(4)} B ${JSON.stringify(victim.datagrams)}`);
    assert.ok(victim.bytes <= AMPLIFICATION_FACTOR * sent, rows.join('\n'));
  }
  t.diagnostic('replies to forged strangers, each from a victim address of its own (payload bytes):');
  for (const row of rows) t.diagnostic(row);
});

test("forgery - the server's own address, and port 0, are never taken for a user", { skip }, async (t) => {
  const ts = await startTestServer(t, LAN);
  const watcher = await joinAs(t, ts.tcpPort, 'ana');
  const { sync } = await marker(t, ts.udpPort);
  assert.equal(await watcher.next(), '*** marca se ha unido al chat ***');
  const forger = await Forger.start(t);
  await forger.send('127.0.0.1', ts.udpPort, '127.0.0.1', ts.udpPort, 'eco');
  await forger.send('127.0.0.2', 0, '127.0.0.1', ts.udpPort, 'cero');
  await sync();
  assert.deepEqual(ts.server.hub.names(), ['ana', 'marca']);
  assert.ok((ts.server.udp?.stats.refusedSources ?? 0) >= 2);
  // Nothing echoes the room's lines back, and a private message stays private.
  watcher.write('hola\n');
  watcher.write('/msg marca secreto\n');
  assert.equal(await watcher.next(), '(privado para marca) secreto');
  watcher.write('/listar\n');
  assert.equal(await watcher.next(), 'Usuarios: ana, marca');
});

/** Two or three servers on one host, with a TCP observer in each, and their UDP ports. */
async function servers(t: TestContext, n: number): Promise<Array<{ ts: TestServer; observer: LineClient }>> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const ts = await startTestServer(t, { ...LAN, bench: true });
    out.push({ ts, observer: await joinAs(t, ts.tcpPort, `obs${i}`) });
  }
  return out;
}

test('forgery - two servers on one host and four forged datagrams make no relay loop', { skip }, async (t) => {
  const [a, b] = await servers(t, 2);
  assert.ok(a !== undefined && b !== undefined);
  const forger = await Forger.start(t);
  const A = a.ts.udpPort;
  const B = b.ts.udpPort;
  await forger.send('127.0.0.1', A, '127.0.0.1', A, 'eco_a'); // a, from itself
  await forger.send('127.0.0.1', B, '127.0.0.1', B, 'eco_b'); // b, from itself
  await forger.send('127.0.0.1', B, '127.0.0.1', A, 'x1'); // a, from b
  await forger.send('127.0.0.1', A, '127.0.0.1', B, 'y1'); // b, from a
  assert.equal(await a.observer.next(), '*** x1 se ha unido al chat ***');
  assert.equal(await b.observer.next(), '*** y1 se ha unido al chat ***');
  a.observer.write('hola\n');
  assert.equal(await b.observer.next(), 'y1: obs0: hola');
  b.observer.write('fin\n');
  // With a loop, a's observer would first get its own line back ("eco_a: obs0: hola") and more.
  assert.equal(await a.observer.next(), 'x1: obs1: fin');
  assert.deepEqual(a.ts.server.hub.names(), ['obs0', 'x1']);
  assert.deepEqual(b.ts.server.hub.names(), ['obs1', 'y1']);
});

test("forgery - a loop through three servers is cut where a server's own line comes back to it", { skip }, async (t) => {
  const trio = await servers(t, 3);
  const forger = await Forger.start(t);
  const ports = trio.map((s) => s.ts.udpPort);
  // Each server takes each other server's address for a user: six forged datagrams.
  for (const [i, to] of ports.entries()) {
    for (const [j, from] of ports.entries()) if (i !== j) await forger.send('127.0.0.1', from, '127.0.0.1', to, `s${j}_en_${i}`);
  }
  const [first] = trio;
  assert.ok(first !== undefined);
  for (let k = 0; k < 2; k++) await first.observer.waitFor(/se ha unido/);
  first.observer.write('hola\n');
  // The line goes round (0 -> 1 -> 2 -> 0, and the other way); the first server to get one of
  // its own lines back ("s2_en_0: s1_en_2: ...") cuts that source off and ignores it.
  await Promise.any(trio.map((s) => s.ts.logged(/devolvía los mensajes del servidor .*se ignora durante 10 min/, 5000)));
  // The loop is over: rounds of /listar in every room until one round brings nothing but the
  // answers (a loop with no rate limit would keep bringing lines).
  let quiet = false;
  for (let round = 0; round < 10 && !quiet; round++) {
    const before = trio.map((s) => s.observer.lines.length);
    for (const s of trio) {
      s.observer.write('/listar\n');
      await s.observer.waitFor(/^Usuarios: /);
    }
    quiet = trio.every((s, i) => s.observer.lines.length === (before[i] ?? 0) + 1);
  }
  assert.ok(quiet, `lines still going round: ${JSON.stringify(first.observer.lines.slice(-5))}`);
});
