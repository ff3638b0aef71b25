import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type TestContext } from 'node:test';
import type { ServerOptions } from '../../src/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakePeer } from '../helpers/fake-peer.js';
import { startTestServer } from '../helpers/start-server.js';
import { type WsClient, wsJoinAs } from '../helpers/ws-client.js';
import { within } from '../helpers/within.js';

async function webServer(t: TestContext, options: Partial<ServerOptions> = {}) {
  const s = await startTestServer(t, { http: true, httpPort: 0, udp: false, ...options, wsOptions: { webDir: join(tmpdir(), 'charla-no-such-web-dir'), ...options.wsOptions } });
  const http = s.server.http;
  if (http === undefined) throw new Error('no browser port');
  return { ...s, http, httpPort: http.address.port };
}

/** Counts the writes the server makes to each of its WebSocket peers' sockets from now on. */
function countWrites(http: { peers: ReadonlySet<{ socket: { write: (...args: never[]) => boolean } }> }): () => number[] {
  const counts: number[] = [];
  for (const [i, peer] of [...http.peers].entries()) {
    counts[i] = 0;
    const socket = peer.socket as unknown as { write: (...args: unknown[]) => boolean; cork: () => void; uncork: () => void };
    const write = socket.write.bind(socket);
    let corked = 0;
    const cork = socket.cork.bind(socket);
    const uncork = socket.uncork.bind(socket);
    // A corked run of writes is one writev: one write.
    socket.cork = () => {
      if (corked++ === 0) counts[i] = (counts[i] ?? 0) + 1;
      cork();
    };
    socket.uncork = () => {
      corked--;
      uncork();
    };
    socket.write = (...args: unknown[]) => {
      if (corked === 0) counts[i] = (counts[i] ?? 0) + 1;
      return write(...args);
    };
  }
  return () => counts;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** `names` join the general room one event-loop turn apart (as users whose joins arrive apart). */
async function joinApart(hub: import('../../src/hub/hub.js').Hub, names: string[]): Promise<FakePeer[]> {
  const peers: FakePeer[] = [];
  for (const name of names) {
    const peer = new FakePeer(`fake ${name}`);
    assert.equal(hub.connect(peer), true);
    hub.input(peer, name);
    peers.push(peer);
    await nextTurn();
  }
  return peers;
}

async function framesOfType(client: WsClient, type: string, count: number): Promise<Record<string, unknown>[]> {
  await client.until(`${count} ${type} frames`, () => client.frames.filter((f) => f.type === type).length >= count);
  return client.frames.filter((f) => f.type === type);
}

test('ws notices - joins heard over several turns are written with one write per WebSocket user, every one of them, in order', async (t) => {
  const { server, http, httpPort } = await webServer(t);
  const watchers = [await wsJoinAs(t, httpPort, 'w1'), await wsJoinAs(t, httpPort, 'w2'), await wsJoinAs(t, httpPort, 'w3')];
  await within(http.noticesFlushed(), 3000, 'the watchers own joins to be written');
  const writes = countWrites(http as never);
  const names = Array.from({ length: 10 }, (_, i) => `j${i}`);
  await joinApart(server.hub, names);
  await within(http.noticesFlushed(), 3000, 'the notice window');
  // Before the notice window, a WebSocket user got one write per join: ten here.
  for (const n of writes()) assert.ok(n <= 3, `the ten joins went out in ${n} writes, not one each (${JSON.stringify(writes())})`);
  for (const w of watchers) {
    const joined = await framesOfType(w, 'joined', 10);
    assert.deepEqual(
      joined.slice(-10).map((f) => f.name),
      names,
    );
  }
});

test('ws notices - a frame sent while notices wait takes them with it: nothing overtakes a join', async (t) => {
  const { server, http, httpPort } = await webServer(t);
  const watcher = await wsJoinAs(t, httpPort, 'w');
  await within(http.noticesFlushed(), 3000, 'the watcher own join to be written');
  const after = watcher.frames.length;
  const [talker] = await joinApart(server.hub, ['ana', 'bea']);
  server.hub.input(talker as FakePeer, 'hola'); // a chat line while both joins still wait in the window
  await watcher.until('the joins and the message', () => watcher.frames.length >= after + 3);
  const got = watcher.frames.slice(after, after + 3).map((f) => (f.type === 'message' ? `${String(f.from)}: ${String(f.text)}` : `${f.type} ${String(f.name)}`));
  assert.deepEqual(got, ['joined ana', 'joined bea', 'ana: hola']);
});

test('ws notices - notices count against the byte bound: a user backed up past it is dropped as slow, the others hear every join', async (t) => {
  const { server, http, httpPort } = await webServer(t, { wsOptions: { maxQueuedBytes: 300 } });
  const stalled = await wsJoinAs(t, httpPort, 'stalled');
  const watcher = await wsJoinAs(t, httpPort, 'w');
  await within(http.noticesFlushed(), 3000, 'the watchers own joins to be written');
  const peer = [...http.peers].find((p) => server.hub.session(p)?.name === 'stalled');
  assert.ok(peer !== undefined);
  // Its socket looks backed up (a reader that stopped): the bound is now a hard one.
  Object.defineProperty(peer.socket, 'writableLength', { get: () => 250, configurable: true });
  const names = ['ana', 'bea', 'eva', 'ivo'];
  await joinApart(server.hub, names);
  assert.equal(peer.closed, true, 'dropped once its pending notices passed the bound');
  assert.equal(peer.closeReason, 'slow');
  await stalled.closedByServer();
  const joined = await framesOfType(watcher, 'joined', names.length);
  assert.deepEqual(
    joined.slice(-names.length).map((f) => f.name),
    names,
  );
});

test('ws heartbeat - one sweep for every connection: joining users arms no timer per user, and the sweep still pings them all', async (t) => {
  const clock = new FakeClock();
  const pingIntervalMs = 25_000;
  const { http, httpPort } = await webServer(t, { timers: clock, wsOptions: { pingIntervalMs } });
  const first = await wsJoinAs(t, httpPort, 'u0');
  const armed = clock.pending;
  const others: WsClient[] = [];
  for (let i = 1; i < 8; i++) others.push(await wsJoinAs(t, httpPort, `u${i}`));
  // Before: a ping timer per connection (seven more here).
  assert.equal(clock.pending, armed, `timers armed after seven more joins: ${clock.pending} (was ${armed})`);
  assert.equal(http.peers.size, 8);
  const pings = [first, ...others].map((c) => new Promise<void>((resolve) => c.ws.once('ping', () => resolve())));
  clock.advance(pingIntervalMs);
  await within(Promise.all(pings), 3000, 'a ping to every user');
});

test('ws notices - a join heard by Spanish and English pages, alternating, is one frame per language in the window', async (t) => {
  const { server, http, httpPort } = await webServer(t);
  const clients = [await wsJoinAs(t, httpPort, 'es1'), await wsJoinAs(t, httpPort, 'en1', { lang: 'en' }), await wsJoinAs(t, httpPort, 'es2'), await wsJoinAs(t, httpPort, 'en2', { lang: 'en' })];
  await within(http.noticesFlushed(), 3000, 'the joins to be written');
  const written = new Map<string, Buffer[]>();
  for (const peer of http.peers) {
    const name = server.hub.session(peer)?.name as string;
    const socket = peer.socket as unknown as { write: (data: Buffer, ...rest: unknown[]) => boolean };
    const write = socket.write.bind(socket);
    written.set(name, []);
    socket.write = (data: Buffer, ...rest: unknown[]) => {
      written.get(name)?.push(data);
      return write(data, ...rest);
    };
  }
  await joinApart(server.hub, ['ana']);
  await within(http.noticesFlushed(), 3000, 'ana join to be written');
  for (const c of clients) await c.waitFor((f) => f.type === 'joined' && f.name === 'ana');
  const only = (name: string): Buffer => {
    const got = written.get(name) ?? [];
    assert.equal(got.length, 1, `${name}: one write`);
    return got[0] as Buffer;
  };
  const same = (a: Buffer, b: Buffer): boolean => a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length;
  // Every page writes a slice of the one window buffer: pages of one language the very same slice.
  assert.ok(same(only('es1'), only('es2')), 'the Spanish pages write the same bytes of the window');
  assert.ok(same(only('en1'), only('en2')), 'the English pages write the same bytes of the window');
  assert.ok(!same(only('es1'), only('en1')));
  assert.equal(only('es1').buffer, only('en1').buffer, 'one window buffer for both languages');
});

test('ws frames - pages sent the same run of messages in one turn write the very same bytes: one slice of the frame arena, no copy each', async (t) => {
  const { server, http, httpPort } = await webServer(t);
  const clients = [await wsJoinAs(t, httpPort, 'w1'), await wsJoinAs(t, httpPort, 'w2')];
  const talkers = await joinApart(server.hub, ['ana', 'bea', 'eva']);
  await within(http.noticesFlushed(), 3000, 'the joins to be written');
  for (const c of clients) await c.until('the three joins', () => c.frames.filter((f) => f.type === 'joined').length >= 3);
  const written = new Map<string, Buffer[]>();
  for (const peer of http.peers) {
    const name = server.hub.session(peer)?.name as string;
    const socket = peer.socket as unknown as { write: (data: Buffer, ...rest: unknown[]) => boolean };
    const write = socket.write.bind(socket);
    written.set(name, []);
    socket.write = (data: Buffer, ...rest: unknown[]) => {
      written.get(name)?.push(data);
      return write(data, ...rest);
    };
  }
  // Three messages in one turn: each page queues three frames, written together.
  for (const [i, talker] of talkers.entries()) server.hub.input(talker, `mensaje ${i}`);
  for (const c of clients) await c.until('the three messages', () => c.frames.filter((f) => f.type === 'message').length >= 3);
  const w1 = written.get('w1') ?? [];
  const w2 = written.get('w2') ?? [];
  assert.equal(w1.length, 1, 'one write for the turn');
  assert.equal(w2.length, 1, 'one write for the turn');
  const [a, b] = [w1[0] as Buffer, w2[0] as Buffer];
  assert.ok(a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length, 'both pages write the same memory');
  assert.deepEqual(
    clients[0]?.frames.filter((f) => f.type === 'message').map((f) => f.text),
    ['mensaje 0', 'mensaje 1', 'mensaje 2'],
  );
});
