import assert from 'node:assert/strict';
import test from 'node:test';
import { LANGS, text } from '../../../src/hub/messages.js';
import { UDP_MAX_DATAGRAM_BYTES } from '../../../src/protocol/datagram.js';
import { type FakePeer, type FakeRoom, fakeRoom } from '../../helpers/fake-peer.js';
import { assertListLines, longNames } from '../../helpers/long-lists.js';

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);

/** ana, bob and carl in the room (joined in that order), their join notices read. */
function threeUsers(): FakeRoom & { ana: FakePeer; bob: FakePeer; carl: FakePeer } {
  const room = fakeRoom();
  const ana = room.join('ana');
  const bob = room.join('bob', { transport: 'udp' });
  const carl = room.join('carl');
  room.drain();
  return Object.assign(room, { ana, bob, carl });
}

test('hub - /listar answers only the asker with the users in join order', () => {
  const { hub, ana, bob, carl } = threeUsers();
  hub.input(bob, '/listar');
  assert.deepEqual(bob.take(), ['Usuarios: ana, bob, carl']);
  assert.deepEqual(ana.take(), []);
  assert.deepEqual(carl.take(), []);
});

test('hub - /listar marks reliable UDP users, and only them: the event carries reliable only when true', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  room.join('lee', { transport: 'udp', reliable: true });
  room.join('bob', { transport: 'udp' });
  room.drain();
  ana.events.length = 0;
  room.hub.input(ana, '/listar');
  assert.deepEqual(ana.take(), ['Usuarios: ana, lee (fiable), bob']);
  const list = ana.events.find((e) => e.kind === 'users');
  assert.deepEqual(list, {
    kind: 'users',
    room: 'general',
    users: [{ name: 'ana', operator: false }, { name: 'lee', operator: false, reliable: true }, { name: 'bob', operator: false }],
  });
});

test('hub - /listar answers to /list and to any case', () => {
  const { hub, ana } = threeUsers();
  for (const spelling of ['/list', '/LISTAR', '/List']) hub.input(ana, spelling);
  assert.deepEqual(ana.take(), ['Usuarios: ana, bob, carl', 'Usuarios: ana, bob, carl', 'Usuarios: ana, bob, carl']);
});

test('hub - /listar keeps join order when someone leaves and comes back', () => {
  const room = threeUsers();
  room.hub.leave(room.ana, 'disconnected');
  const ana = room.join('ana');
  room.hub.input(ana, '/listar');
  assert.deepEqual(ana.take(), ['Usuarios: bob, carl, ana']);
});

test('hub - /listar with 700 long names answers in several "Usuarios: " lines, each within the asker\'s line bound', () => {
  const room = fakeRoom();
  const names = longNames(700);
  for (const name of names) room.join(name);
  const cases = [
    ['tcp', 4096],
    ['tcp', 300],
    ['udp', UDP_MAX_DATAGRAM_BYTES],
  ] as const;
  for (const [transport, maxLineBytes] of cases) {
    const asker = room.join(`asker_${transport}_${maxLineBytes}`, { transport, maxLineBytes });
    room.hub.input(asker, '/listar');
    const lines = asker.take();
    const count = assertListLines(lines, 'Usuarios: ', maxLineBytes, room.hub.names());
    assert.ok(count > 1, `${maxLineBytes}: ${count} lines`);
  }
  assert.equal(room.hub.names().slice(0, 700).join(), names.join(), 'join order');
});

test('hub - /listar lines follow the language too', () => {
  const room = fakeRoom({ lang: 'en' });
  const names = longNames(60);
  for (const name of names) room.join(name);
  const asker = room.join('asker', { maxLineBytes: 500 });
  room.hub.input(asker, '/list');
  assertListLines(asker.take(), 'Users: ', 500, [...names, 'asker']);
});

test('hub - /ayuda and /help answer only the asker with the command list', () => {
  const { hub, ana, bob } = threeUsers();
  hub.input(ana, '/ayuda');
  const help = ana.take();
  assert.deepEqual(help, es('help').split('\n'));
  assert.ok(help.some((l) => l.includes('/listar')) && help.some((l) => l.includes('/msg')));
  hub.input(ana, '/help');
  assert.deepEqual(ana.take(), help);
  assert.deepEqual(bob.take(), []);
});

test('hub - every /ayuda line fits a UDP datagram and any --max-line-bytes of 80 or more', () => {
  // Guard: /ayuda is sent line by line; no line may grow past what a transport carries.
  for (const lang of LANGS) {
    for (const line of text(lang, 'help').split('\n')) {
      assert.ok(Buffer.byteLength(line, 'utf8') <= Math.min(80, UDP_MAX_DATAGRAM_BYTES), `${lang}: ${JSON.stringify(line)}`);
    }
  }
  const room = fakeRoom();
  const ana = room.join('ana', { transport: 'udp', maxLineBytes: 80 });
  room.hub.input(ana, '/ayuda');
  assert.deepEqual(ana.take(), es('help').split('\n'));
});

test('hub - /quit is /quitar in English', () => {
  const { hub, ana, bob } = threeUsers();
  hub.input(bob, '/quit');
  assert.deepEqual(bob.closes, ['quit']);
  assert.deepEqual(ana.take(), ['*** bob ha salido del chat ***']);
});

test('hub - an unknown command gets an Error line and is not broadcast', () => {
  const { hub, ana, bob, carl } = threeUsers();
  hub.input(ana, '/borrar todo');
  assert.deepEqual(ana.take(), [es('unknown_command', { command: '/borrar' })]);
  assert.match(es('unknown_command', { command: '/borrar' }), /^Error: /);
  assert.deepEqual(bob.take(), []);
  assert.deepEqual(carl.take(), []);
});

test('hub - //text sends a literal /text', () => {
  const { hub, ana, bob } = threeUsers();
  hub.input(ana, '//listar es un comando');
  assert.deepEqual(bob.take(), ['ana: /listar es un comando']);
  assert.deepEqual(ana.take(), []);
});

test('hub - /nick renames, tells everyone (the renamed user too), and keeps the place in /listar', () => {
  const { hub, ana, bob, carl } = threeUsers();
  hub.input(ana, '/nick Anita');
  const notice = es('user_renamed', { old: 'ana', name: 'Anita' });
  assert.match(notice, /^\*\*\* ana .*Anita \*\*\*$/);
  for (const peer of [ana, bob, carl]) assert.deepEqual(peer.take(), [notice]);
  hub.input(bob, '/listar');
  assert.deepEqual(bob.take(), ['Usuarios: Anita, bob, carl']);
  hub.input(ana, 'hola');
  assert.deepEqual(bob.take(), ['Anita: hola']);
});

test('hub - after /nick the old name is free and the new one is taken', () => {
  const room = threeUsers();
  room.hub.input(room.ana, '/nick anita');
  const newcomer = room.connect();
  room.hub.input(newcomer, 'ANITA');
  assert.deepEqual(newcomer.take(), [es('name_taken', { name: 'ANITA' })]);
  room.hub.input(newcomer, 'Ana');
  assert.equal(room.hub.session(newcomer)?.name, 'Ana');
  room.hub.input(room.bob, '/listar');
  assert.deepEqual(room.bob.take().at(-1), 'Usuarios: anita, bob, carl, Ana');
});

test("hub - /nick to another user's name, in any case, is refused", () => {
  const { hub, ana, bob } = threeUsers();
  hub.input(ana, '/nick BOB');
  assert.deepEqual(ana.take(), [es('name_taken', { name: 'BOB' })]);
  assert.deepEqual(bob.take(), []);
  assert.equal(hub.session(ana)?.name, 'ana');
});

test('hub - /nick to your own name is an error, to your own name in another case is a rename', () => {
  const { hub, ana, bob } = threeUsers();
  hub.input(ana, '/nick ana');
  assert.deepEqual(ana.take(), [es('nick_same', { name: 'ana' })]);
  assert.deepEqual(bob.take(), []);
  hub.input(ana, '/nick ANA');
  assert.deepEqual(bob.take(), [es('user_renamed', { old: 'ana', name: 'ANA' })]);
  assert.deepEqual(hub.names(), ['ANA', 'bob', 'carl']);
});

test('hub - /nick with a bad name or no name gets an Error line', () => {
  const { hub, ana, bob } = threeUsers();
  hub.input(ana, '/nick');
  hub.input(ana, '/nick ana maria');
  hub.input(ana, '/nick servidor');
  hub.input(ana, '/nick ana:');
  hub.input(ana, `/nick ${'a'.repeat(25)}`);
  assert.deepEqual(ana.take(), [
    es('nick_usage'),
    es('nick_usage'),
    es('name_reserved', { name: 'servidor', max: 24 }),
    es('name_invalid', { name: 'ana:', max: 24 }),
    es('name_too_long', { name: 'a'.repeat(25), max: 24 }),
  ]);
  assert.deepEqual(bob.take(), []);
  assert.equal(hub.session(ana)?.name, 'ana');
});

test('hub - /nombre is /nick in Spanish', () => {
  const { hub, ana } = threeUsers();
  hub.input(ana, '/nombre anita');
  assert.equal(hub.session(ana)?.name, 'anita');
});

test('hub - /msg reaches only the named user (any case) and confirms to the sender', () => {
  const { hub, ana, bob, carl } = threeUsers();
  hub.input(ana, '/msg BOB hola bob, ¿qué tal?');
  assert.deepEqual(bob.take(), [es('private_from', { name: 'ana', text: 'hola bob, ¿qué tal?' })]);
  assert.deepEqual(ana.take(), [es('private_to', { name: 'bob', text: 'hola bob, ¿qué tal?' })]);
  assert.deepEqual(carl.take(), []);
  // Between transports: bob is a UDP peer, carl a TCP one.
  hub.input(bob, '/msg carl hola desde UDP');
  assert.deepEqual(carl.take(), [es('private_from', { name: 'bob', text: 'hola desde UDP' })]);
});

test('hub - /msg to a user who is not there, to yourself, or without text gets an Error line', () => {
  const { hub, ana, bob } = threeUsers();
  hub.input(ana, '/msg zoe hola');
  hub.input(ana, '/msg ANA hola');
  hub.input(ana, '/msg bob');
  hub.input(ana, '/msg');
  const replies = ana.take();
  assert.deepEqual(replies, [es('msg_no_such_user', { name: 'zoe' }), es('msg_to_self'), es('msg_usage'), es('msg_usage')]);
  for (const reply of replies) assert.match(reply, /^Error: /);
  assert.deepEqual(bob.take(), []);
});

test('hub - /msg follows a rename: the new name reaches, the old one does not', () => {
  const { hub, ana, bob } = threeUsers();
  hub.input(bob, '/nick roberto');
  ana.take();
  hub.input(ana, '/msg bob hola');
  assert.deepEqual(ana.take(), [es('msg_no_such_user', { name: 'bob' })]);
  hub.input(ana, '/msg Roberto hola');
  assert.deepEqual(bob.take().at(-1), es('private_from', { name: 'ana', text: 'hola' }));
});

test('hub - /m and /privado are /msg', () => {
  const { hub, ana, bob } = threeUsers();
  hub.input(ana, '/m bob uno');
  hub.input(ana, '/privado bob dos');
  assert.deepEqual(bob.take(), [es('private_from', { name: 'ana', text: 'uno' }), es('private_from', { name: 'ana', text: 'dos' })]);
});
