import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { lazyFlushMs, noticesFlushed, StreamPeer } from '../../../src/transport/stream-peer.js';
import { within } from '../../helpers/within.js';

/** Just what StreamPeer uses of a socket, recording every write (and emitting 'write'). */
class FakeSocket extends EventEmitter {
  writes: Buffer[] = [];
  writableLength = 0;
  destroyed = false;
  remoteAddress = '::ffff:127.0.0.1';
  remotePort = 40000;
  corked = 0;
  /** Writes made while corked go out as one (what a real socket's writev does). */
  #corkedWrites: Buffer[] = [];
  write(data: Buffer): boolean {
    if (this.corked > 0) {
      this.#corkedWrites.push(data);
      return true;
    }
    this.writes.push(data);
    this.emit('write');
    return true;
  }
  cork(): void {
    this.corked++;
  }
  uncork(): void {
    if (--this.corked > 0 || this.#corkedWrites.length === 0) return;
    this.writes.push(Buffer.concat(this.#corkedWrites));
    this.#corkedWrites = [];
    this.emit('write');
  }
  end(): void {}
  resume(): void {}
  destroy(): void {
    this.destroyed = true;
  }
  text(): string {
    return Buffer.concat(this.writes).toString('utf8');
  }
}

function peer(maxQueuedBytes = 1 << 20): { p: StreamPeer; s: FakeSocket } {
  const s = new FakeSocket();
  return { p: new StreamPeer(s as unknown as Socket, 'tcp', maxQueuedBytes, 4096), s };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('stream-peer - every line sent in one turn goes out in one write, in order', async () => {
  const { p, s } = peer();
  p.send('uno');
  p.send('dos');
  p.send('tres');
  assert.equal(s.writes.length, 0, 'nothing is written synchronously');
  await nextTurn();
  assert.equal(s.writes.length, 1);
  assert.equal(s.text(), 'uno\ndos\ntres\n');
});

test('stream-peer - a lazy notice waits for company but never changes the order of lines', async () => {
  const { p, s } = peer();
  p.send('*** ana se ha unido al chat ***', true);
  p.send('ana: hola');
  await nextTurn();
  assert.equal(s.writes.length, 1, 'the chat line took the notice with it');
  assert.equal(s.text(), '*** ana se ha unido al chat ***\nana: hola\n', 'in order');
  p.send('*** bob se ha unido al chat ***', true);
  await within(once(s, 'write'), 2000, 'the lazy flush');
  assert.equal(s.writes[1]?.toString(), '*** bob se ha unido al chat ***\n');
});

test('stream-peer - peers sent the same lines write the same bytes, encoded once', async () => {
  const a = peer();
  const b = peer();
  for (const line of ['x: 1', 'x: 2']) {
    a.p.send(line);
    b.p.send(line);
  }
  await nextTurn();
  const [wa, wb] = [a.s.writes[0] as Buffer, b.s.writes[0] as Buffer];
  assert.equal(wa.buffer, wb.buffer, 'the same memory');
  assert.equal(wa.byteOffset, wb.byteOffset, 'the same slice of it');
  assert.equal(a.s.text(), 'x: 1\nx: 2\n');
});

test('stream-peer - a peer left out of lines in a run gets the rest in order, in one write', async () => {
  const peers = [peer(), peer(), peer()];
  const long = (n: number): string => `${n}: ${'m'.repeat(300)}`; // past the copy threshold
  for (let i = 0; i < 9; i++) {
    const sender = peers[i % 3]?.p;
    for (const x of peers) if (x.p !== sender) x.p.send(long(i));
  }
  await nextTurn();
  peers.forEach((x, k) => {
    assert.equal(x.s.writes.length, 1, 'one write (writev) per peer');
    const expected = [0, 1, 2, 3, 4, 5, 6, 7, 8].filter((i) => i % 3 !== k).map((i) => `${long(i)}\n`).join('');
    assert.equal(x.s.text(), expected);
  });
});

test('stream-peer - lines bigger than an arena, and many arenas in one turn, arrive whole and in order', async () => {
  const { p, s } = peer(64 << 20);
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) lines.push(i % 500 === 7 ? `big ${i} ${'ñ'.repeat(20_000)}` : `línea ${i} ${'é'.repeat(i % 97)}`);
  for (const line of lines) p.send(line);
  await nextTurn();
  assert.equal(s.text(), lines.map((l) => `${l}\n`).join(''));
});

test('stream-peer - a socket that is backed up is written a copy, not a slice of the shared arena', async () => {
  const a = peer();
  const b = peer();
  a.s.writableLength = 10; // a is behind: what it is written may sit in its buffer a while
  a.p.send('x: 1');
  b.p.send('x: 1');
  await nextTurn();
  assert.notEqual(a.s.writes[0]?.buffer, b.s.writes[0]?.buffer, 'a has its own copy');
  assert.equal(a.s.text(), 'x: 1\n');
  assert.equal(b.s.text(), 'x: 1\n');
});

test('stream-peer - past its byte bound a peer whose socket is backed up is closed as slow and its queue dropped', async () => {
  const { p, s } = peer(100);
  s.writableLength = 10; // the kernel stopped taking what was written
  p.send('a'.repeat(60));
  p.send('b'.repeat(60));
  assert.equal(p.closed, true);
  assert.equal(p.closeReason, 'slow');
  assert.equal(s.destroyed, true);
  await nextTurn();
  assert.equal(s.writes.length, 0, 'nothing of the queue is written after the cut');
});

test('stream-peer - a peer keeping up may take one burst of up to 8 times its bound in a turn, not more', async () => {
  const { p, s } = peer(100);
  for (let i = 0; i < 7; i++) p.send('c'.repeat(99)); // 700 bytes in one turn, socket drained
  assert.equal(p.closed, false, 'a burst is not slowness');
  await nextTurn();
  assert.equal(s.writes.length, 1);
  const q = peer(100);
  for (let i = 0; i < 9 && !q.p.closed; i++) q.p.send('d'.repeat(99)); // 900 > 8 x 100
  assert.equal(q.p.closeReason, 'slow');
});

test('stream-peer - the lazy window grows with the room, from 20 ms to half a second', () => {
  assert.equal(lazyFlushMs(3), 20);
  assert.equal(lazyFlushMs(5000), 250);
  assert.equal(lazyFlushMs(100_000), 500);
});

test('stream-peer - the id names the transport and the IPv4 address without its IPv6 prefix', () => {
  assert.equal(peer().p.id, 'tcp 127.0.0.1:40000');
});


test('stream-peer - notices skip the peer they are about, keep order with chat lines, and are shared when alike', async () => {
  const [a, b, c] = [peer(), peer(), peer()];
  const all = [a, b, c];
  const broadcast = (line: string, except?: StreamPeer, lazy = true): void => {
    for (const x of all) if (x.p !== except) x.p.send(line, lazy);
  };
  broadcast('*** uno ***', c.p); // c is not told of itself
  broadcast('*** dos ***');
  broadcast('b: hola', b.p, false); // a chat line takes a's and c's pending notices with it
  broadcast('*** tres ***', a.p);
  broadcast('*** cuatro ***');
  await within(
    Promise.all(all.map((x) => (x.s.text().includes('cuatro') ? Promise.resolve() : once(x.s, 'write')))),
    2000,
    'the notice window to be written',
  );
  // b's notices waited for the window; a and c had theirs taken by the chat line.
  assert.equal(a.s.text(), '*** uno ***\n*** dos ***\nb: hola\n*** cuatro ***\n');
  assert.equal(b.s.text(), '*** uno ***\n*** dos ***\n*** tres ***\n*** cuatro ***\n');
  assert.equal(c.s.text(), '*** dos ***\nb: hola\n*** tres ***\n*** cuatro ***\n');
});

test('stream-peer - peers sent the notice window write slices of one shared buffer, around their own notice', async () => {
  const all = [peer(), peer(), peer(), peer()];
  const joins = ['*** a ***', '*** bb ***', '*** ccc ***', '*** dddd ***'];
  joins.forEach((line, i) => {
    for (const x of all) if (x !== all[i]) x.p.send(line, true); // each is not told of itself
  });
  await within(Promise.all(all.map((x) => once(x.s, 'write'))), 2000, 'the notice window');
  all.forEach((x, i) => {
    assert.equal(x.s.writes.length, 1, 'one write (a writev for a peer with a hole)');
    assert.equal(x.s.text(), joins.filter((_, k) => k !== i).map((l) => `${l}\n`).join(''));
  });
  // The first user's run starts one notice later in the same memory as the last user's.
  const [first, last] = [all[0]?.s.writes[0] as Buffer, all[3]?.s.writes[0] as Buffer];
  assert.equal(first.buffer, last.buffer, 'the same memory');
  assert.equal(first.byteOffset - last.byteOffset, Buffer.byteLength(`${joins[0]}\n`), 'slices of one window buffer');
});

test('stream-peer - noticesFlushed resolves once the pending notice window is written, at once when none is', async () => {
  await within(noticesFlushed(), 100, 'nothing pending');
  const { p, s } = peer();
  p.send('*** ana se ha unido al chat ***', true);
  const flushed = noticesFlushed();
  assert.equal(s.writes.length, 0, 'the notice waits for company');
  await within(flushed, 2000, 'the notice window');
  assert.equal(s.text(), '*** ana se ha unido al chat ***\n', 'written before it resolved');
});
