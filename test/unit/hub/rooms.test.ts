import assert from 'node:assert/strict';
import test from 'node:test';
import { clockTime } from '../../../src/encode/line.js';
import { ADMIN_RETRY_DELAY_MS, GENERAL_ROOM } from '../../../src/hub/hub.js';
import { text } from '../../../src/hub/messages.js';
import { fakeRoom } from '../../helpers/fake-peer.js';

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);

/** A clock the test moves, and a scheduler on it (for the wrong-key delay). */
function fakeTime(start = 1_000_000): { now: () => number; wall: () => number; schedule: (ms: number, fn: () => void) => void; advance: (ms: number) => void } {
  let t = start;
  let timers: Array<{ at: number; fn: () => void }> = [];
  return {
    now: () => t,
    wall: () => Date.UTC(2026, 11, 4, 12, 0) + t,
    schedule: (ms, fn) => void timers.push({ at: t + ms, fn }),
    advance(ms) {
      t += ms;
      const due = timers.filter((x) => x.at <= t);
      timers = timers.filter((x) => x.at > t);
      for (const x of due) x.fn();
    },
  };
}

test('rooms - everyone starts in general; /sala moves a user, the old room hears where, the new one who came, the mover who is there', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  const bob = room.join('bob');
  const eve = room.join('eve');
  room.drain();
  assert.deepEqual(room.hub.rooms().map((r) => r.name), [GENERAL_ROOM]);
  room.hub.input(bob, '/sala juegos');
  assert.deepEqual(bob.take(), [es('room_entered', { room: 'juegos', users: 'bob' })]);
  assert.deepEqual(ana.take(), [es('user_moved', { name: 'bob', room: 'juegos' })]);
  assert.deepEqual(eve.take(), [es('user_moved', { name: 'bob', room: 'juegos' })]);
  room.hub.input(eve, '/join JUEGOS'); // rooms are case-insensitive; the first spelling stays
  assert.deepEqual(eve.take(), [es('room_entered', { room: 'juegos', users: 'bob, eve' })]);
  assert.deepEqual(ana.take(), [es('user_moved', { name: 'eve', room: 'juegos' })]);
  assert.deepEqual(bob.take(), [es('user_arrived', { name: 'eve', room: GENERAL_ROOM })]);
  assert.deepEqual(room.hub.rooms().map((r) => [r.name, r.size]), [[GENERAL_ROOM, 1], ['juegos', 2]]);
});

test('rooms - a message reaches only its room; /listar lists the room; /msg reaches any room; /salas counts', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  const bob = room.join('bob');
  const eve = room.join('eve');
  room.hub.input(bob, '/unirse juegos');
  room.hub.input(eve, '/sala juegos');
  room.drain();
  room.hub.input(bob, 'hola juegos');
  assert.deepEqual(eve.take(), ['bob: hola juegos']);
  assert.deepEqual(ana.take(), []);
  room.hub.input(ana, 'hola general');
  assert.deepEqual(bob.take(), []);
  room.hub.input(bob, '/listar');
  assert.deepEqual(bob.take(), [es('user_list', { users: 'bob, eve' })]);
  room.hub.input(ana, '/msg eve psst');
  assert.deepEqual(eve.take(), [es('private_from', { name: 'ana', text: 'psst' })]);
  room.hub.input(ana, '/salas');
  assert.deepEqual(ana.take(), [es('private_to', { name: 'eve', text: 'psst' }), es('room_list', { rooms: 'general (1), juegos (2)' })]);
});

test('rooms - a room but general goes away with its last user; general stays empty', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  room.hub.input(ana, '/sala juegos');
  assert.deepEqual(room.hub.rooms().map((r) => [r.name, r.size]), [[GENERAL_ROOM, 0], ['juegos', 1]]);
  room.hub.input(ana, '/sala general');
  assert.deepEqual(room.hub.rooms().map((r) => r.name), [GENERAL_ROOM]);
  room.hub.input(ana, '/sala otra');
  ana.close('quit');
  room.settle();
  assert.deepEqual(room.hub.rooms().map((r) => r.name), [GENERAL_ROOM]);
});

test('rooms - room names follow the name rules, at most 32 characters; --max-rooms bounds them; same room refused', () => {
  const room = fakeRoom({ maxRooms: 3 });
  const ana = room.join('ana');
  room.drain();
  for (const bad of ['/sala con espacio', '/sala a:b', `/sala ${'x'.repeat(33)}`, '/sala -x', '/sala']) {
    room.hub.input(ana, bad);
    const [line] = ana.take();
    assert.match(line ?? '', /^Error: /, bad);
  }
  room.hub.input(ana, `/sala ${'ñ'.repeat(32)}`);
  assert.match(ana.take()[0] ?? '', /^\*\*\* /);
  room.hub.input(ana, '/sala dos');
  room.hub.input(ana, '/sala dos');
  assert.deepEqual(ana.take().at(-1), es('room_same', { room: 'dos' }));
  const bob = room.join('bob');
  room.hub.input(bob, '/sala tres');
  room.hub.input(bob, '/sala cuatro');
  assert.deepEqual(bob.take().at(-1), es('room_too_many', { max: 3 }));
});

test('history - /historial replays the last N of the room to the asker only, marked as past; private messages are not kept', () => {
  const time = fakeTime();
  const room = fakeRoom({ wallClock: time.wall });
  const ana = room.join('ana');
  const bob = room.join('bob');
  for (let i = 1; i <= 25; i++) {
    room.hub.input(ana, `mensaje ${i}`);
    time.advance(1000);
  }
  room.hub.input(ana, '/msg bob secreto');
  room.drain();
  room.hub.input(bob, '/historial 3');
  const lines = bob.take();
  assert.equal(lines[0], es('history_header', { count: 3, room: 'general' }));
  assert.deepEqual(
    lines.slice(1),
    [23, 24, 25].map((i) => es('history_line', { time: clockTime(time.wall() - (26 - i) * 1000), from: 'ana', text: `mensaje ${i}` })),
  );
  assert.deepEqual(ana.take(), [], 'to the asker only');
  room.hub.input(bob, '/history');
  assert.equal(bob.take().length, 1 + 20, 'default 20');
  assert.ok(!room.hub.room('general')?.log.last(100).some((e) => e.text.includes('secreto')));
  room.hub.input(bob, '/sala nueva');
  bob.take();
  room.hub.input(bob, '/historial');
  assert.deepEqual(bob.take(), [es('history_empty', { room: 'nueva' })]);
  room.hub.input(bob, '/historial cero');
  assert.deepEqual(bob.take(), [es('history_usage')]);
});

test('history - each room keeps its last --history messages, bounded in bytes too; 0 keeps none', () => {
  const room = fakeRoom({ history: 5, historyBytes: 40 });
  const ana = room.join('ana');
  for (let i = 0; i < 10; i++) room.hub.input(ana, `m${i}`);
  const log = room.hub.room('general')?.log;
  assert.deepEqual(log?.last(100).map((e) => e.text), ['m5', 'm6', 'm7', 'm8', 'm9']);
  room.hub.input(ana, 'x'.repeat(30));
  assert.ok((log?.bytes ?? 0) <= 40);
  const ids = log?.last(100).map((e) => e.id) ?? [];
  assert.deepEqual([...ids].sort((a, b) => a - b), ids, 'ids increase');
  const none = fakeRoom({ history: 0 });
  const bob = none.join('bob');
  none.hub.input(bob, 'hola');
  none.hub.input(bob, '/historial');
  assert.deepEqual(bob.take(), [es('history_empty', { room: 'general' })]);
});

test('history - --replay-on-join replays to whoever enters a room, on naming or moving; by default nothing', () => {
  const quiet = fakeRoom();
  const a = quiet.join('a');
  quiet.hub.input(a, 'antes');
  const b = quiet.connect();
  quiet.hub.input(b, 'b');
  assert.equal(b.take().length, 1, 'only the welcome');

  const room = fakeRoom({ replayOnJoin: 2 });
  const ana = room.join('ana');
  for (const m of ['uno', 'dos', 'tres']) room.hub.input(ana, m);
  const bob = room.connect();
  room.hub.input(bob, 'bob');
  const lines = bob.take();
  assert.equal(lines.length, 1 + 1 + 2);
  assert.match(lines[2] ?? '', /^\[\d\d:\d\d\] ana: dos$/);
  assert.match(lines[3] ?? '', /^\[\d\d:\d\d\] ana: tres$/);
  room.hub.input(bob, '/sala vacia');
  assert.equal(bob.take().length, 1, 'an empty room replays nothing');
});

test('moderation - /admin with the right key makes an operator; a wrong key is logged and answered after a delay', () => {
  const time = fakeTime();
  const room = fakeRoom({ adminPassword: 'clave', now: time.now, schedule: time.schedule });
  const ana = room.join('ana');
  room.hub.input(ana, '/admin mala');
  assert.deepEqual(ana.take(), [], 'not yet');
  assert.ok(room.logs.some((l) => l === es('log_admin_wrong', { name: 'ana', peer: ana.id })));
  room.hub.input(ana, '/admin clave'); // a guess while the last is being answered is not taken
  time.advance(ADMIN_RETRY_DELAY_MS - 1);
  assert.deepEqual(ana.take(), []);
  time.advance(1);
  assert.deepEqual(ana.take(), [es('admin_wrong')]);
  assert.equal(room.hub.session(ana)?.operator, false);
  room.hub.input(ana, '/admin clave');
  assert.deepEqual(ana.take(), [es('admin_granted')]);
  room.hub.input(ana, '/admin clave');
  assert.deepEqual(ana.take(), [es('admin_already')]);
  const none = fakeRoom();
  const bob = none.join('bob');
  none.hub.input(bob, '/admin x');
  assert.deepEqual(bob.take(), [es('admin_none')]);
});

test('moderation - operators are marked in /listar; /ayuda shows operator commands only to operators', () => {
  const room = fakeRoom({ adminPassword: 'clave' });
  const profe = room.join('profe');
  const ana = room.join('ana');
  room.hub.input(profe, '/admin clave');
  room.drain();
  room.hub.input(ana, '/listar');
  assert.deepEqual(ana.take(), [es('user_list', { users: '@profe, ana' })]);
  room.hub.input(ana, '/ayuda');
  assert.deepEqual(ana.take(), es('help').split('\n'));
  room.hub.input(profe, '/ayuda');
  assert.deepEqual(profe.take(), [...es('help').split('\n'), ...es('help_operator').split('\n')]);
});

test('moderation - /expulsar disconnects the user, says why, and every room they were in hears it; others may not', () => {
  const room = fakeRoom({ adminPassword: 'clave' });
  const profe = room.join('profe');
  const eve = room.join('eve');
  const ana = room.join('ana');
  room.hub.input(ana, '/expulsar eve');
  assert.deepEqual(ana.take(), [es('operator_only', { command: '/expulsar' })]);
  room.hub.input(profe, '/admin clave');
  room.drain();
  room.hub.input(profe, '/kick eve no respeta a nadie');
  assert.deepEqual(eve.take(), [es('kicked_you_because', { by: 'profe', because: 'no respeta a nadie' })]);
  assert.deepEqual(eve.closes, ['removed']);
  assert.deepEqual(ana.take(), [es('user_removed_because', { name: 'eve', by: 'profe', because: 'no respeta a nadie' })]);
  assert.deepEqual(profe.take(), [es('user_removed_because', { name: 'eve', by: 'profe', because: 'no respeta a nadie' }), es('kick_done', { name: 'eve' })]);
  room.settle();
  assert.deepEqual(room.hub.names(), ['profe', 'ana']);
  room.hub.input(profe, '/expulsar nadie');
  assert.deepEqual(profe.take(), [es('msg_no_such_user', { name: 'nadie' })]);
  assert.deepEqual(ana.take(), [], 'one notice, not two');
});

test('moderation - /silenciar: the user reads but reaches no one, until it is lifted or the time runs out', () => {
  const time = fakeTime();
  const room = fakeRoom({ adminPassword: 'clave', now: time.now });
  const profe = room.join('profe');
  const eve = room.join('eve');
  const ana = room.join('ana');
  room.hub.input(profe, '/admin clave');
  room.drain();
  room.hub.input(profe, '/silenciar eve 2');
  assert.deepEqual(eve.take(), [es('muted_you', { by: 'profe', minutes: 2 })]);
  assert.deepEqual(profe.take(), [es('mute_done', { name: 'eve', minutes: 2 })]);
  room.hub.input(eve, 'hola');
  room.hub.input(eve, '/msg ana hola');
  assert.deepEqual(eve.take(), [es('muted', { minutes: 2 }), es('muted', { minutes: 2 })]);
  assert.deepEqual(ana.take(), []);
  room.hub.input(ana, 'eve, ¿me lees?');
  assert.deepEqual(eve.take(), ['ana: eve, ¿me lees?'], 'a muted user still reads');
  time.advance(2 * 60_000);
  room.hub.input(eve, 'ya puedo');
  assert.deepEqual(ana.take(), ['eve: ya puedo'], 'the time ran out');
  room.hub.input(profe, '/mute eve');
  room.hub.input(profe, '/mute eve'); // again: lifted
  assert.deepEqual(eve.take(), [es('muted_you', { by: 'profe', minutes: 10 }), es('unmuted_you', { by: 'profe' })]);
  room.hub.input(eve, 'otra vez');
  assert.deepEqual(ana.take(), ['eve: otra vez']);
});

test('moderation - /anunciar reaches every room once; only operators may', () => {
  const room = fakeRoom({ adminPassword: 'clave' });
  const profe = room.join('profe');
  const ana = room.join('ana');
  const bob = room.join('bob');
  room.hub.input(bob, '/sala juegos');
  room.hub.input(ana, '/anunciar hola');
  room.hub.input(profe, '/admin clave');
  room.drain();
  room.hub.input(profe, '/anunciar examen el lunes');
  const line = es('announcement', { from: 'profe', text: 'examen el lunes' });
  for (const p of [profe, ana, bob]) assert.deepEqual(p.take(), [line], p.id);
});

test('rooms - a room name that looks like an existing room (UTS #39 skeleton) is refused: join that one', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  const bob = room.join('bob');
  room.hub.input(ana, '/sala juegos');
  room.drain();
  room.hub.input(bob, '/sala juеgos'); // Cyrillic е
  assert.deepEqual(bob.take(), [es('room_lookalike', { room: 'juеgos', existing: 'juegos' })]);
  room.hub.input(bob, '/sala GENERAl'); // the room one is in, any case
  assert.deepEqual(bob.take(), [es('room_same', { room: 'general' })]);
  room.hub.input(bob, '/sala generaI'); // capital i: looks like general, which exists
  assert.deepEqual(bob.take(), [es('room_lookalike', { room: 'generaI', existing: 'general' })]);
});

test('room - one event object to every member but the one excepted, in join order; names in join order', async () => {
  const { Room } = await import('../../../src/hub/room.js');
  const { RoomLog } = await import('../../../src/hub/room-log.js');
  const { FakePeer } = await import('../../helpers/fake-peer.js');
  const r = new Room('juegos', 'juegos', 'juegos', new RoomLog({ room: 'juegos' }));
  const peers = ['ana', 'bob', 'eve'].map((name) => {
    const peer = new FakePeer(name);
    r.members.set(peer, { name } as never);
    return peer;
  });
  assert.deepEqual(r.names(), ['ana', 'bob', 'eve']);
  const event = r.log.append('ana', 'hola');
  assert.equal(event.room, 'juegos');
  r.broadcast(event, peers[0]);
  assert.deepEqual(peers.map((p) => p.events.length), [0, 1, 1]);
  assert.equal(peers[1]?.events[0], event, 'the very object, for every receiver');
  assert.equal(peers[2]?.events[0], event);
  assert.deepEqual(peers[1]?.lines, ['ana: hola']);
});

test('history - a room made again gets back its history from the store; without one it starts empty', async () => {
  const { MemoryHistoryStore } = await import('../../../src/hub/store/memory-store.js');
  for (const store of [new MemoryHistoryStore(), undefined]) {
    const room = fakeRoom({ store });
    const ana = room.join('ana');
    room.hub.input(ana, '/sala juegos');
    room.hub.input(ana, 'antes');
    room.hub.input(ana, '/sala general'); // juegos closes with its last user
    assert.equal(room.hub.room('juegos'), undefined);
    room.hub.input(ana, '/sala Juegos');
    room.drain();
    room.hub.input(ana, '/historial');
    const lines = ana.take();
    if (store === undefined) assert.deepEqual(lines, [es('history_empty', { room: 'Juegos' })]);
    else assert.match(lines[1] ?? '', /^\[\d\d:\d\d\] ana: antes$/);
  }
});
