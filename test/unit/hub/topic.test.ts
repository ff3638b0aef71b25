import assert from 'node:assert/strict';
import test from 'node:test';
import { IrcEncoder, topicReply } from '../../../src/encode/irc.js';
import { lineEncoder } from '../../../src/encode/line.js';
import type { ChatEvent } from '../../../src/hub/events.js';
import { TOPIC_MAX_BYTES } from '../../../src/hub/hub.js';
import { text, translator } from '../../../src/hub/messages.js';
import { fakeRoom } from '../../helpers/fake-peer.js';

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);
const WALL = Date.UTC(2026, 0, 5, 10, 30);

test('topic - an operator sets it with /tema: the room hears it, the setter too; other rooms do not', () => {
  const room = fakeRoom({ adminPassword: 'clave', wallClock: () => WALL });
  const profe = room.join('profe');
  const ana = room.join('ana');
  const eve = room.join('eve');
  room.hub.input(eve, '/sala juegos');
  room.hub.input(profe, '/admin clave');
  room.drain();
  room.hub.input(profe, '/tema  Examen el lunes, traed calculadora  ');
  const changed = es('topic_changed', { by: 'profe', room: 'general', text: 'Examen el lunes, traed calculadora' });
  assert.deepEqual(profe.take(), [changed]);
  assert.deepEqual(ana.take(), [changed]);
  assert.deepEqual(eve.take(), []);
  assert.deepEqual(room.hub.room('general')?.topic, { text: 'Examen el lunes, traed calculadora', by: 'profe', at: WALL });
  const event = ana.events.at(-1);
  assert.deepEqual(event, { kind: 'topic', room: 'general', text: 'Examen el lunes, traed calculadora', by: 'profe', at: WALL });
});

test('topic - /tema alone shows it to anyone; setting it is for operators only', () => {
  const room = fakeRoom({ adminPassword: 'clave' });
  const profe = room.join('profe');
  const ana = room.join('ana');
  room.drain();
  room.hub.input(ana, '/tema');
  assert.deepEqual(ana.take(), [es('room_no_topic', { room: 'general' })]);
  room.hub.input(ana, '/topic me lo invento');
  assert.deepEqual(ana.take(), [es('operator_only', { command: '/tema' })]);
  assert.deepEqual(profe.take(), [], 'nobody else hears a refused topic');
  assert.equal(room.hub.room('general')?.topic, undefined);
  room.hub.input(profe, '/admin clave');
  room.hub.input(profe, '/tema dudas aquí');
  room.drain();
  room.hub.input(ana, '/TEMA');
  assert.deepEqual(ana.take(), [es('room_topic', { room: 'general', text: 'dudas aquí' })]);
});

test('topic - a line user entering a room reads it right after the welcome; /salas lists it', () => {
  const room = fakeRoom({ adminPassword: 'clave' });
  const profe = room.join('profe');
  room.hub.input(profe, '/admin clave');
  room.hub.input(profe, '/tema bienvenidos');
  room.hub.input(profe, '/sala juegos');
  room.hub.input(profe, '/tema solo juegos');
  room.drain();
  // Registering lands in general: welcome, then its topic.
  const ana = room.connect();
  room.hub.input(ana, 'ana');
  assert.deepEqual(ana.take(), [es('welcome', { name: 'ana', users: 'ana' }), es('room_topic', { room: 'general', text: 'bienvenidos' })]);
  room.hub.input(ana, '/sala juegos');
  assert.deepEqual(ana.take(), [es('room_entered', { room: 'juegos', users: 'profe, ana' }), es('room_topic', { room: 'juegos', text: 'solo juegos' })]);
  room.hub.input(ana, '/salas');
  assert.deepEqual(ana.take(), [
    es('room_list', { rooms: `${es('room_entry_topic', { room: 'general', count: 0, topic: 'bienvenidos' })}, ${es('room_entry_topic', { room: 'juegos', count: 2, topic: 'solo juegos' })}` }),
  ]);
  // A room without a topic: no topic line on entering, the plain entry in /salas.
  room.hub.input(ana, '/sala otra');
  assert.deepEqual(ana.take(), [es('room_entered', { room: 'otra', users: 'ana' })]);
});

test('topic - a blank topic from IRC clears it; a long one is cut at a character boundary to TOPIC_MAX_BYTES', () => {
  const room = fakeRoom({ adminPassword: 'clave' });
  const profe = room.join('profe');
  room.hub.input(profe, '/admin clave');
  const general = room.hub.room('general');
  assert.ok(general !== undefined);
  const session = room.hub.session(profe);
  assert.ok(session !== undefined);
  room.drain();
  room.hub.setTopic(session, general, 'ñ'.repeat(TOPIC_MAX_BYTES)); // twice the bytes allowed
  const kept = general.topic?.text ?? '';
  assert.equal(kept, 'ñ'.repeat(TOPIC_MAX_BYTES / 2));
  room.hub.setTopic(session, general, '   ');
  assert.equal(general.topic, undefined);
  assert.deepEqual(profe.take().slice(-1), [es('topic_cleared', { by: 'profe', room: 'general' })]);
});

test('topic - the IRC encoder renders the event as TOPIC from the setter, and 332/333 or 331', () => {
  const enc = new IrcEncoder((name) => (name === 'profe' ? 'tcp.charla' : 'irc.charla'));
  const event: ChatEvent = { kind: 'topic', room: 'general', text: 'examen el lunes', by: 'profe', at: WALL };
  assert.equal(enc.shared(event, 'es'), ':profe!profe@tcp.charla TOPIC #general :examen el lunes\r');
  assert.equal(lineEncoder.line(event, 'en'), '*** profe changed the topic of the room general: examen el lunes ***');
  const t = translator('en');
  assert.deepEqual(topicReply('ana', 'general', { text: 'examen el lunes', by: 'profe', at: WALL }, t), [
    ':server.charla 332 ana #general :examen el lunes',
    `:server.charla 333 ana #general profe :${WALL / 1000}`,
  ]);
  assert.deepEqual(topicReply('ana', 'general', undefined, t), [':server.charla 331 ana #general :No topic is set']);
  const list = enc.answer({ kind: 'rooms', rooms: [{ name: 'general', users: 2, topic: 'examen el lunes' }, { name: 'otra', users: 1 }] }, 'en', 'ana');
  assert.deepEqual(list.slice(1, 3), [':server.charla 322 ana #general 2 :examen el lunes', ':server.charla 322 ana #otra 1 :']);
});
