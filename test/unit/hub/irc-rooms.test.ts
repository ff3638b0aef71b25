import assert from 'node:assert/strict';
import test from 'node:test';
import { extraOf, Hub } from '../../../src/hub/hub.js';
import { Room } from '../../../src/hub/room.js';
import { FakePeer } from '../../helpers/fake-peer.js';

/** Users in several rooms at once (IRC): Hub.registerName, joinRoom, partRoom, say. */

function setup(options = {}) {
  const hub = new Hub(options);
  const line = new FakePeer('tcp 1');
  hub.connect(line);
  hub.input(line, 'bea');
  const irc = new FakePeer('irc 1', { transport: 'irc' });
  hub.connect(irc);
  const session = hub.session(irc);
  assert.ok(session !== undefined);
  assert.equal(hub.registerName(session, 'ana'), undefined);
  return { hub, line, irc, session };
}

test('registerName names a user in no room; taken names are refused as for a name line', () => {
  const { hub, session } = setup();
  assert.equal(session.name, 'ana');
  assert.equal(session.rooms.size, 0);
  const other = new FakePeer('irc 2', { transport: 'irc' });
  hub.connect(other);
  assert.equal(hub.registerName(hub.session(other)!, 'BEA')?.key, 'name_taken');
  assert.equal(hub.registerName(hub.session(other)!, 'a b')?.key, 'name_invalid');
});

test('joinRoom: in several rooms at once; everyone in the room, the joiner too, hears the join', () => {
  const { hub, line, irc, session } = setup();
  line.take();
  const general = hub.joinRoom(session, 'general');
  const dudas = hub.joinRoom(session, 'dudas');
  assert.ok(general instanceof Room && dudas instanceof Room);
  assert.deepEqual([...session.rooms].map((r) => r.name), ['general', 'dudas']);
  assert.deepEqual(line.take(), ['*** ana se ha unido al chat ***']);
  assert.deepEqual(irc.events.filter((e) => e.kind === 'joined').map((e) => (e as { room: string }).room), ['general', 'dudas']);
  assert.equal(hub.joinRoom(session, 'GENERAL'), general, 'joining again is nothing');
  assert.deepEqual(line.take(), []);
});

test("joinRoom shares moveTo's checks: room names, look-alikes, --max-rooms", () => {
  const { hub, session } = setup({ maxRooms: 2 });
  const bad = hub.joinRoom(session, 'no válida!');
  assert.ok(!(bad instanceof Room) && bad.key === 'room_invalid');
  assert.ok(hub.joinRoom(session, 'dudas') instanceof Room);
  const full = hub.joinRoom(session, 'tercera');
  assert.ok(!(full instanceof Room) && full.key === 'room_too_many');
  const lookalike = hub.joinRoom(session, 'dudаs'); // Cyrillic а
  assert.ok(!(lookalike instanceof Room) && lookalike.key === 'room_lookalike');
});

test('say speaks in the room given; partRoom leaves one room; leaving the server is one notice per receiver', () => {
  const { hub, line, irc, session } = setup();
  const general = hub.joinRoom(session, 'general') as Room;
  const dudas = hub.joinRoom(session, 'dudas') as Room;
  line.take();
  hub.say(session, general, 'hola');
  hub.say(session, dudas, 'nadie');
  hub.say(session, general, 'saluda', true);
  assert.deepEqual(line.take(), ['ana: hola', '* ana saluda']);
  hub.partRoom(session, general, 'me voy');
  assert.deepEqual(line.take(), ['*** ana ha salido del chat ***']);
  assert.equal(session.room, dudas, 'the current room is one still joined');
  hub.rename(session, 'anita'); // broadcastAround from a user whose first room is gone
  assert.deepEqual(line.take(), [], 'bea shares no room with anita now');
  // An IRC user in two rooms with anita hears her quit once.
  const dani = new FakePeer('irc 2', { transport: 'irc' });
  hub.connect(dani);
  const ds = hub.session(dani)!;
  hub.registerName(ds, 'dani');
  hub.joinRoom(ds, 'general');
  hub.joinRoom(ds, 'dudas');
  hub.joinRoom(session, 'general');
  extraOf(session).farewell = 'adiós';
  hub.leave(irc, 'quit');
  const lefts = dani.events.filter((e) => e.kind === 'left');
  assert.equal(lefts.length, 1);
  assert.equal((lefts[0] as { message?: string }).message, 'adiós');
  assert.ok(hub.room('dudas') !== undefined, 'dani is still in dudas');
});
