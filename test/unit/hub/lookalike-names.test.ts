import { refusal } from '../../../src/hub/events.js';
import assert from 'node:assert/strict';
import test from 'node:test';
import { text } from '../../../src/hub/messages.js';
import { fakeRoom } from '../../helpers/fake-peer.js';

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);

const CYRILLIC_ANA = '\u0410na'; // А (U+0410 CYRILLIC CAPITAL LETTER A) + "na"

test('hub - a look-alike of a present name (Cyrillic Аna next to Ana) is taken, and free once Ana leaves', () => {
  const room = fakeRoom();
  const ana = room.join('Ana');
  room.drain();
  const mallory = room.connect();
  for (const name of [CYRILLIC_ANA, '\u0410NA', '\u13AANA', 'ΑΝΑ', '𝐀𝐧𝐚']) {
    room.hub.input(mallory, name);
    assert.deepEqual(mallory.take(), [es('name_taken', { name })], name);
  }
  assert.equal(room.hub.session(mallory)?.name, undefined);
  assert.deepEqual(room.hub.nameError(CYRILLIC_ANA), refusal('name_taken', { name: CYRILLIC_ANA }), 'a newcomer (a UDP stranger) is told the same');
  assert.deepEqual(ana.take(), [], 'nobody joined');
  assert.deepEqual(room.hub.names(), ['Ana']);

  room.hub.leave(ana, 'quit');
  room.hub.input(mallory, CYRILLIC_ANA);
  assert.match(mallory.take()[0] ?? '', /^\*\*\* /, 'welcomed once the name is free');
  assert.deepEqual(room.hub.names(), [CYRILLIC_ANA]);
  const latin = room.connect();
  room.hub.input(latin, 'Ana');
  assert.deepEqual(latin.take(), [es('name_taken', { name: 'Ana' })], 'and now the Latin one is the look-alike');
});

test('hub - pauI cannot join next to paul, nor paul next to pauI', () => {
  const room = fakeRoom();
  room.join('paul');
  const other = room.connect();
  room.hub.input(other, 'pauI');
  assert.deepEqual(other.take(), [es('name_taken', { name: 'pauI' })]);
  room.hub.input(other, 'paui');
  assert.match(other.take()[0] ?? '', /^\*\*\* /, 'a lowercase i is another name');

  const reverse = fakeRoom();
  reverse.join('pauI');
  const paul = reverse.connect();
  reverse.hub.input(paul, 'paul');
  assert.deepEqual(paul.take(), [es('name_taken', { name: 'paul' })]);
});

test('hub - /nick to a look-alike of another user is refused; to a look-alike of your own name it is a rename', () => {
  const room = fakeRoom();
  const ana = room.join('Ana');
  const eve = room.join('eve');
  room.drain();
  room.hub.input(eve, `/nick ${CYRILLIC_ANA}`);
  assert.deepEqual(eve.take(), [es('name_taken', { name: CYRILLIC_ANA })]);
  assert.deepEqual(ana.take(), []);
  assert.equal(room.hub.session(eve)?.name, 'eve');

  room.hub.input(ana, `/nick ${CYRILLIC_ANA}`);
  const renamed = es('user_renamed', { old: 'Ana', name: CYRILLIC_ANA });
  assert.deepEqual(ana.take(), [renamed]);
  assert.deepEqual(eve.take(), [renamed]);
});

test("hub - after /nick the old name's look-alikes are free and the new name's are taken", () => {
  const room = fakeRoom();
  const ana = room.join('Ana');
  room.hub.input(ana, '/nick paul');
  room.drain();
  const other = room.connect();
  room.hub.input(other, 'pauI');
  assert.deepEqual(other.take(), [es('name_taken', { name: 'pauI' })]);
  room.hub.input(other, CYRILLIC_ANA);
  assert.match(other.take()[0] ?? '', /^\*\*\* /);
  assert.deepEqual(room.hub.names(), ['paul', CYRILLIC_ANA]);
});
