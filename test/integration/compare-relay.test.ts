import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { type Impairment, NO_IMPAIRMENT } from '../../src/lab/impairment.js';
import { COMPARE_DEFAULTS } from '../../src/lab/options.js';
import { startRelay } from '../../src/lab/relay.js';
import { runCompare } from '../../src/lab/run.js';
import { within } from '../helpers/within.js';

function relayRun(impairment: Partial<Impairment>, messages: number, seed: number) {
  return within(
    runCompare(
      { ...COMPARE_DEFAULTS, mode: 'relay', impairment: { ...NO_IMPAIRMENT, ...impairment }, messages, receivers: 2, ratePerSec: 1000, seed },
      { onProgress: () => {}, onNote: () => {}, signal: new AbortController().signal },
    ),
    20_000,
    'the relay run',
  );
}

test('compare-relay - a seeded run loses the asked share of UDP messages, and no TCP ones', async () => {
  const { result: r } = await relayRun({ lossPct: 20 }, 250, 7);
  assert.equal(r.mode, 'relay');
  assert.equal(r.impairment.seed, 7);
  assert.equal(r.udp.expected, 500);
  assert.equal(r.udp.delivered + r.udp.lost, r.udp.expected);
  assert.ok(Math.abs(r.udp.lossPct - 20) <= 5, `UDP lost ${r.udp.lossPct}% with --loss 20`);
  assert.equal(r.tcp.lost, 0, 'the relay cannot lose TCP: the stream is already reliable');
  assert.equal(r.tcp.outOfOrder, 0);
  assert.match(r.notes.join(' '), /real TCP retransmissions and head-of-line blocking cannot be seen/);
});

test('compare-relay - delay holds both protocols back; duplication and reordering reach UDP only', async () => {
  const { result: r } = await relayRun({ delayMs: 20, reorderPct: 30, duplicatePct: 10 }, 150, 3);
  assert.ok((r.tcp.latencyMs.p50 as number) >= 20, `TCP p50 ${r.tcp.latencyMs.p50} ms with --delay 20`);
  assert.equal(r.tcp.duplicated, 0);
  assert.equal(r.tcp.outOfOrder, 0, 'a byte stream cannot be reordered');
  const dupShare = (100 * r.udp.duplicated) / r.udp.delivered;
  assert.ok(Math.abs(dupShare - 10) <= 5, `UDP duplicated ${dupShare.toFixed(1)}% with --duplicate 10`);
  assert.ok(r.udp.outOfOrder > 20, `UDP out of order: ${r.udp.outOfOrder} with --reorder 30`);
  assert.ok((r.udp.latencyMs.p50 as number) >= 15, 'most datagrams still carry the delay');
  assert.ok((r.udp.latencyMs.p50 as number) > 0 && r.udp.lost === 0);
});

test('compare-relay - UDP datagrams keep their boundaries through the relay, each client its own source', async (t) => {
  const server = dgram.createSocket('udp4');
  server.on('message', (msg, rinfo) => server.send(Buffer.concat([Buffer.from(`${rinfo.port}:`), msg]), rinfo.port, rinfo.address));
  server.bind(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const relay = await startRelay({ serverHost: '127.0.0.1', serverUdpPort: (server.address() as AddressInfo).port, impairment: NO_IMPAIRMENT, seed: 1 });
  t.after(() => relay.close());
  const clients = await Promise.all(
    [0, 1].map(async () => {
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1');
      await once(s, 'listening');
      t.after(() => s.close());
      return s;
    }),
  );
  const replies = clients.map((c) => within(once(c, 'message'), 3000, 'a reply through the relay').then(([m]) => String(m)));
  clients.forEach((c, i) => c.send(`hello ${i}\nsecond line`, relay.udpPort as number, '127.0.0.1'));
  const [a, b] = await Promise.all(replies);
  assert.match(a as string, /^\d+:hello 0\nsecond line$/);
  assert.match(b as string, /^\d+:hello 1\nsecond line$/);
  assert.notEqual((a as string).split(':')[0], (b as string).split(':')[0], 'the server sees two sources');
  assert.equal(relay.counters.udpFromServer, 2);
});

test('compare-relay - past maxSessions sources, a new one takes the place of the longest silent, and the others keep theirs', async (t) => {
  const server = dgram.createSocket('udp4');
  server.on('message', (msg, rinfo) => server.send(Buffer.concat([Buffer.from(`${rinfo.port}:`), msg]), rinfo.port, rinfo.address));
  server.bind(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const relay = await startRelay({ serverHost: '127.0.0.1', serverUdpPort: (server.address() as AddressInfo).port, impairment: NO_IMPAIRMENT, seed: 1, maxSessions: 2 });
  t.after(() => relay.close());
  const clients = await Promise.all(
    [0, 1, 2].map(async () => {
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1');
      await once(s, 'listening');
      t.after(() => s.close());
      return s;
    }),
  );
  /** Sends through the relay and returns the upstream port the server saw. */
  const ask = async (i: number, text: string): Promise<string> => {
    const reply = within(once(clients[i] as dgram.Socket, 'message'), 3000, `client ${i}'s reply through the relay`);
    (clients[i] as dgram.Socket).send(text, relay.udpPort as number, '127.0.0.1');
    return String((await reply)[0]).split(':')[0] as string;
  };
  const first0 = await ask(0, 'a');
  const first1 = await ask(1, 'b');
  assert.equal(await ask(0, 'c'), first0, 'client 0 used last: client 1 is now the longest silent');
  await ask(2, 'd'); // the third source: without eviction it would get no reply at all
  assert.equal(await ask(0, 'e'), first0, 'client 0 kept its upstream socket');
  assert.notEqual(await ask(1, 'f'), first1, 'client 1 was evicted, and comes back on a new socket');
});

test('compare-relay - a TCP stream through the relay arrives whole and in order, delayed', async (t) => {
  const server = net.createServer((s) => s.pipe(s)); // echo
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const impairment = { ...NO_IMPAIRMENT, delayMs: 30, jitterMs: 25 };
  const relay = await startRelay({ serverHost: '127.0.0.1', serverTcpPort: (server.address() as AddressInfo).port, impairment, seed: 2 });
  t.after(() => relay.close());
  const socket = net.connect({ host: '127.0.0.1', port: relay.tcpPort as number });
  t.after(() => socket.destroy());
  await within(once(socket, 'connect'), 3000, 'connecting to the relay');
  const expected = Array.from({ length: 200 }, (_, i) => `line ${i}\n`).join('');
  let got = '';
  const whole = new Promise<void>((resolve) =>
    socket.on('data', (c: Buffer) => {
      got += c.toString();
      if (got.length >= expected.length) resolve();
    }),
  );
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) socket.write(`line ${i}\n`);
  await within(whole, 5000, 'the echo through the relay');
  assert.equal(got, expected, 'jitter never reorders a byte stream');
  assert.ok(performance.now() - t0 >= 5, 'held back by the delay');
  assert.ok(relay.counters.tcpChunksHeld >= 1);
});
