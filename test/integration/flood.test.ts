import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinAs } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpJoinAs } from '../helpers/udp-client.js';

const SLOWED = 'Error: estás enviando demasiado rápido; tus mensajes se entregarán más despacio.';

function lines(prefix: string, n: number): string {
  return Array.from({ length: n }, (_, i) => `${prefix} ${i}\n`).join('');
}

test('flood - with the default limits a pasted block of 20 lines goes through at once, unthrottled', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  ana.write(lines('pegado', 20));
  for (let i = 0; i < 20; i++) assert.equal(await bob.waitFor(/^ana: /), `ana: pegado ${i}`);
  ana.write('/listar\n');
  assert.equal(await ana.waitFor(/^(Usuarios|Error)/), 'Usuarios: ana, bob', 'no slow-down warning came before the answer');
});

test('flood - over the burst, TCP input is delayed and paced, never dropped, and the user is told once', async (t) => {
  const { tcpPort } = await startTestServer(t, { tcpOptions: { rateLimit: { ratePerSec: 50, burst: 5 } } });
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  const arrivals: number[] = [];
  bob.socket.on('data', () => arrivals.push(performance.now()));
  ana.write(lines('rafaga', 30));
  for (let i = 0; i < 30; i++) assert.equal(await bob.waitFor(/^ana: /), `ana: rafaga ${i}`);
  // 25 lines over the burst at 50/s cannot arrive in less than ~0.5 s (a lower bound: safe on a slow machine).
  const spreadMs = (arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0);
  assert.ok(spreadMs >= 350, `30 lines arrived within ${spreadMs.toFixed(0)} ms: they were not paced`);
  ana.write('/listar\n');
  await ana.waitFor(/^Usuarios: /);
  assert.equal(ana.lines.filter((l) => l === SLOWED).length, 1, 'told exactly once');
});

test('flood - a user who keeps flooding is disconnected and the room is told why', async (t) => {
  const { tcpPort } = await startTestServer(t, { tcpOptions: { rateLimit: { ratePerSec: 20, burst: 5 }, floodKickMs: 300 } });
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  ana.write(lines('spam', 2000));
  await bob.waitFor('*** ana ha salido del chat (enviaba demasiado rápido) ***', 5000);
  await ana.closedByServer(5000);
  assert.ok(ana.lines.includes('Error: desconectado por enviar demasiado rápido.'));
  const got = bob.lines.filter((l) => l.startsWith('ana: spam')).length;
  assert.ok(got < 100, `only what the rate allowed was relayed (${got})`);
});

test('flood - a UDP source over its rate has the excess dropped, with one throttled warning', async (t) => {
  const { tcpPort, udpPort, server } = await startTestServer(t, { udpOptions: { rateLimit: { ratePerSec: 1, burst: 3 } } });
  const bob = await joinAs(t, tcpPort, 'bob');
  const ana = await udpJoinAs(t, udpPort, 'ana');
  await bob.waitFor('*** ana se ha unido al chat ***');
  // The name took one token; two messages fit in the burst.
  for (let i = 0; i < 10; i++) ana.send(`udp ${i}`);
  await ana.waitFor('Error: estás enviando demasiado rápido; los mensajes por encima del límite se descartan.');
  const peer = [...(server.udp?.peers.values() ?? [])][0];
  await ana.until('all ten datagrams to be handled', () => peer !== undefined && peer.dropped === 8);
  bob.write('/listar\n');
  await bob.waitFor(/^Usuarios: /);
  assert.deepEqual(
    bob.lines.filter((l) => l.startsWith('ana: ')),
    ['ana: udp 0', 'ana: udp 1'],
  );
  assert.equal(ana.messages.filter((m) => m.startsWith('Error: estás enviando')).length, 1, 'one warning, not one per datagram');
});

test('flood - at a very low rate a user held back past --flood-kick is disconnected on time, not at the next token', async (t) => {
  const { tcpPort } = await startTestServer(t, { tcpOptions: { rateLimit: { ratePerSec: 0.01, burst: 3 }, floodKickMs: 500 } });
  const ana = await joinAs(t, tcpPort, 'ana'); // her name took one token
  const bob = await joinAs(t, tcpPort, 'bob');
  const start = performance.now();
  ana.write(lines('lento', 5)); // two go through; the next token is 100 s away
  assert.equal(await bob.next(), 'ana: lento 0');
  assert.equal(await bob.next(), 'ana: lento 1');
  await bob.waitFor('*** ana ha salido del chat (enviaba demasiado rápido) ***', 3000);
  const tookMs = performance.now() - start;
  assert.ok(tookMs >= 490 && tookMs < 2000, `kicked after ${tookMs.toFixed(0)} ms, for a 500 ms --flood-kick`);
  await ana.closedByServer();
  assert.ok(ana.lines.includes('Error: desconectado por enviar demasiado rápido.'));
});

test('flood - a burst far past what is held for pacing still arrives whole and in order, its bare last line and end included', async (t) => {
  for (const maxPacedBytes of [8 * 1024, 1]) {
    const tcpOptions = { rateLimit: { ratePerSec: 20_000, burst: 20 }, floodKickMs: 10_000, maxPacedBytes };
    const { tcpPort } = await startTestServer(t, { tcpOptions });
    const ana = await joinAs(t, tcpPort, 'ana');
    const bob = await joinAs(t, tcpPort, 'bob');
    const n = 3000; // ~30 KB: most of it waits undecoded while the backlog drains
    ana.socket.end(`${lines('orden', n)}y adiós`);
    await bob.until(`all ${n} lines and the last bare one (maxPacedBytes ${maxPacedBytes})`, () => bob.lines.includes('ana: y adiós'), 10_000);
    const got = bob.lines.filter((l) => l.startsWith('ana: '));
    assert.equal(got.length, n + 1);
    assert.ok(got.every((l, i) => l === (i < n ? `ana: orden ${i}` : 'ana: y adiós')), 'in order, none lost');
    await bob.waitFor(/^\*\*\* ana ha salido del chat/);
  }
});
