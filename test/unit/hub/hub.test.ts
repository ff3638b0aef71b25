import assert from 'node:assert/strict';
import test from 'node:test';
import { text } from '../../../src/hub/messages.js';
import fc from 'fast-check';
import { type FakePeer, fakeRoom } from '../../helpers/fake-peer.js';
import { longNames } from '../../helpers/long-lists.js';

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);

test('hub - the first line is the name and the newcomer is welcomed with who is online', () => {
  const room = fakeRoom();
  room.join('ana');
  const bob = room.connect();
  assert.equal(room.hub.session(bob)?.name, undefined);
  room.hub.input(bob, 'bob');
  assert.deepEqual(bob.take(), [es('welcome', { name: 'bob', users: 'ana, bob' })]);
  assert.equal(room.hub.session(bob)?.name, 'bob');
  assert.deepEqual(room.hub.names(), ['ana', 'bob']);
});

test("hub - the welcome lists the names only while they fit the newcomer's line bound, else it counts them", () => {
  const room = fakeRoom();
  const names = longNames(5);
  for (const name of names) room.join(name);
  const listed = es('welcome', { name: 'bob', users: [...names, 'bob'].join(', ') });
  const counted = es('welcome', { name: 'bob', users: 6 });
  const bound = Buffer.byteLength(listed, 'utf8');
  for (const [maxLineBytes, expected] of [[bound, listed], [bound - 1, counted], [200, counted]] as const) {
    const bob = room.connect({ maxLineBytes });
    room.hub.input(bob, 'bob');
    assert.deepEqual(bob.take(), [expected], `bound ${maxLineBytes}`);
    room.hub.leave(bob, 'quit');
  }
  const wide = room.connect({ maxLineBytes: 4096 });
  room.hub.input(wide, 'bob');
  assert.deepEqual(wide.take(), [listed], 'the default bound holds them');
});

test('hub - past 20 users the welcome shows their count', () => {
  const room = fakeRoom();
  for (const name of longNames(20)) room.join(name);
  const bob = room.connect();
  room.hub.input(bob, 'bob');
  assert.deepEqual(bob.take(), [es('welcome', { name: 'bob', users: 21 })]);
});

test("hub - the others hear a join notice in the seed's words; the newcomer does not", () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  const carl = room.join('carl');
  room.drain();
  const bob = room.join('bob');
  assert.deepEqual(ana.take(), ['*** bob se ha unido al chat ***']);
  assert.deepEqual(carl.take(), ['*** bob se ha unido al chat ***']);
  assert.deepEqual(bob.take(), [], 'the welcome only (taken by join)');
});

test('hub - a message reaches every other user as "name: text" and is not echoed to its sender', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  const bob = room.join('bob');
  const carl = room.join('carl');
  room.drain();
  room.hub.input(ana, 'hola a todos');
  assert.deepEqual(bob.take(), ['ana: hola a todos']);
  assert.deepEqual(carl.take(), ['ana: hola a todos']);
  assert.deepEqual(ana.take(), []);
});

test('hub - a connection that has not given its name yet hears nothing from the room', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  const quiet = room.connect();
  room.hub.input(ana, 'hola');
  room.join('bob');
  assert.deepEqual(quiet.lines, []);
  assert.deepEqual(room.hub.names(), ['ana', 'bob']);
});

test('hub - blank lines and lines that sanitise to nothing are not relayed', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  const bob = room.join('bob');
  room.drain();
  for (const line of ['', '   ', '\t', '\u001b[2J', '\u0007\u0007']) room.hub.input(ana, line);
  assert.deepEqual(bob.take(), []);
  assert.deepEqual(ana.take(), []);
});

test('hub - messages and names are sanitised before anyone sees them', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  room.drain();
  const bob = room.connect();
  room.hub.input(bob, '\u001b[31mbob\u001b[0m');
  assert.equal(room.hub.session(bob)?.name, 'bob');
  assert.deepEqual(ana.take(), ['*** bob se ha unido al chat ***']);
  room.hub.input(bob, '\u001b]0;hackeado\u0007hola\rana: mentira');
  assert.deepEqual(ana.take(), ['bob: holaana: mentira']);
});

test("hub - a user who disconnects is announced once to the others, with the reason", () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  const bob = room.join('bob');
  room.drain();
  room.hub.leave(bob, 'disconnected');
  const notice = es('user_left_because', { name: 'bob', reason: es('reason_disconnected') });
  assert.ok(notice.startsWith('*** bob ha salido del chat'));
  assert.deepEqual(ana.take(), [notice]);
  assert.deepEqual(bob.take(), []);
  assert.deepEqual(room.hub.names(), ['ana']);
});

test('hub - leave twice for one peer is one notice', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  const bob = room.join('bob');
  room.drain();
  room.hub.leave(bob, 'connection_lost');
  room.hub.leave(bob, 'connection_lost');
  room.hub.leave(bob, 'disconnected');
  assert.equal(ana.take().length, 1);
  assert.equal(room.hub.userCount, 1);
  assert.equal(room.hub.connectionCount, 1);
});

test('hub - a late line from a peer that has left is ignored', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  const bob = room.join('bob');
  room.drain();
  room.hub.leave(bob, 'disconnected');
  ana.take();
  room.hub.input(bob, 'sigo aquí');
  room.hub.input(bob, '/listar');
  assert.deepEqual(ana.take(), []);
  assert.deepEqual(bob.take(), []);
});

test("hub - /quitar says goodbye, closes that user, and the others hear the seed's leave notice once", () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  const bob = room.join('bob');
  room.drain();
  room.hub.input(bob, '/quitar');
  assert.deepEqual(bob.take(), [es('goodbye', { name: 'bob' })]);
  assert.deepEqual(bob.closes, ['quit']);
  assert.deepEqual(ana.take(), ['*** bob ha salido del chat ***']);
  room.settle(); // the transport reports the close too: still one notice
  assert.deepEqual(ana.take(), []);
  assert.deepEqual(room.hub.names(), ['ana']);
  assert.deepEqual(bob.linesAfterClose, []);
});

test('hub - a first line of /quitar closes the connection without naming anyone', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  room.drain();
  const peer = room.connect();
  room.hub.input(peer, '/quitar');
  assert.deepEqual(peer.closes, ['quit']);
  room.settle();
  assert.deepEqual(ana.take(), []);
  assert.equal(room.hub.connectionCount, 1);
});

test('hub - the console log records joins and departures', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  room.hub.leave(ana, 'disconnected');
  const peer = room.connect();
  room.hub.leave(peer, 'timeout');
  const expected = [
    es('log_joined', { name: 'ana', peer: ana.id }),
    es('log_left', { name: 'ana', reason: es('reason_disconnected') }),
    es('log_dropped', { peer: peer.id, reason: es('reason_timeout') }),
  ];
  const at = expected.map((line) => room.logs.indexOf(line));
  assert.ok(at.every((i, n) => i >= 0 && (n === 0 || i > (at[n - 1] as number))), `logs: ${JSON.stringify(room.logs)}`);
  assert.match(expected[1] as string, /^ana desconectado/, "seed: '{name} desconectado.'");
});

test('hub - shutdown tells every named user, closes every connection and announces no departures', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  const bob = room.join('bob', { transport: 'udp' });
  const unnamed = room.connect();
  room.drain();
  room.hub.shutdown();
  for (const peer of [ana, bob]) {
    assert.deepEqual(peer.take(), ['*** El servidor se está cerrando. ¡Hasta pronto! ***']);
    assert.deepEqual(peer.closes, ['server_shutdown']);
  }
  assert.deepEqual(unnamed.lines, []);
  assert.deepEqual(unnamed.closes, ['server_shutdown']);
  room.settle();
  room.hub.shutdown();
  assert.deepEqual([...ana.linesAfterClose, ...bob.linesAfterClose, ...ana.take(), ...bob.take()], []);
  assert.equal(room.hub.connectionCount, 0);
  assert.ok(room.logs.some((l) => l === es('log_shutdown', { users: 2 })));
});

test('hub - after shutdown a new connection is refused', () => {
  const room = fakeRoom();
  room.hub.shutdown();
  assert.throws(() => room.connect(), /refused/);
  assert.deepEqual(room.peers.at(-1)?.closes, ['server_shutdown']);
});

test('hub - server text is in English with lang en, and Spanish commands still work', () => {
  const room = fakeRoom({ lang: 'en' });
  const ana = room.join('ana');
  room.drain();
  const bob = room.connect();
  room.hub.input(bob, 'bob');
  assert.deepEqual(bob.take(), [text('en', 'welcome', { name: 'bob', users: 'ana, bob' })]);
  assert.deepEqual(ana.take(), ['*** bob has joined the chat ***']);
  room.hub.input(bob, '/listar');
  room.hub.input(bob, '/list');
  assert.deepEqual(bob.take(), ['Users: ana, bob', 'Users: ana, bob']);
  room.hub.input(bob, '/ayuda');
  assert.deepEqual(bob.take(), text('en', 'help').split('\n'));
  room.hub.input(bob, '/nope');
  assert.match(bob.take()[0] as string, /^Error: unknown command: \/nope/);
  room.hub.input(bob, '/quitar');
  assert.deepEqual(bob.take(), ['*** Goodbye, bob! ***']);
  assert.deepEqual(ana.take(), ['*** bob has left the chat ***']);
});

test('hub - maxUsers holds when several connections give their names after connecting', () => {
  const room = fakeRoom({ maxUsers: 1 });
  const a = room.connect();
  const b = room.connect();
  room.hub.input(a, 'ana');
  room.hub.input(b, 'bob');
  assert.equal(room.hub.userCount, 1);
  assert.match(b.lines[0] as string, /^Error: /);
});

test('hub - /pass before the name on a server without a password is accepted silently, not taken as a name', () => {
  const room = fakeRoom();
  const ana = room.connect();
  room.hub.input(ana, '/pass secreto');
  assert.deepEqual(ana.lines, []);
  room.hub.input(ana, 'ana');
  assert.match(ana.lines[0] ?? '', /^\*\*\* Bienvenido\/a a charla, ana\./);
});

test('hub - after any sequence of joins and leaves a message reaches exactly the others still in the room', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(40)), { minLength: 1, maxLength: 80 }), (steps) => {
      const room = fakeRoom({ maxConnectionsPerAddress: 0, maxUsers: 0 });
      const present: FakePeer[] = [];
      let n = 0;
      for (const [joins, pick] of steps) {
        if (joins || present.length === 0) {
          present.push(room.join(`u${n++}`));
        } else {
          const [gone] = present.splice(pick % present.length, 1) as [FakePeer];
          room.hub.leave(gone, 'disconnected');
        }
      }
      room.drain();
      const sender = present[0] as FakePeer;
      room.hub.input(sender, 'hola');
      const heard = room.peers.filter((p) => p.take().some((l) => l.endsWith(': hola')));
      assert.deepEqual(new Set(heard), new Set(present.slice(1)));
    }),
    { numRuns: 200 },
  );
});
