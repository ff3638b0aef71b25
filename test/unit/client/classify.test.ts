import assert from 'node:assert/strict';
import test from 'node:test';
import { classify } from '../../../src/client/classify.js';
import { text } from '../../../src/hub/messages.js';

const names = (line: string): string[] => classify(line).nameSpans.map(([a, b]) => line.slice(a, b));

test('classify - the server\'s lines are recognised in either language', () => {
  for (const lang of ['es', 'en'] as const) {
    assert.equal(classify(text(lang, 'goodbye', { name: 'ana' })).key, 'goodbye');
    assert.equal(classify(text(lang, 'server_closing')).key, 'server_closing');
    assert.equal(classify(text(lang, 'user_joined', { name: 'bob' })).kind, 'notice');
    assert.equal(classify(text(lang, 'user_list', { users: 'ana, bob' })).kind, 'list');
    assert.equal(classify(text(lang, 'private_from', { name: 'ana', text: 'hola: qué tal' })).kind, 'private');
    assert.equal(classify(text(lang, 'private_to', { name: 'bob', text: 'hola' })).kind, 'private');
    assert.equal(classify(text(lang, 'name_taken', { name: 'ana' })).kind, 'error');
    const renamed = classify(text(lang, 'user_renamed', { old: 'ana', name: 'anita' }));
    assert.deepEqual([renamed.key, renamed.params['old'], renamed.params['name']], ['user_renamed', 'ana', 'anita']);
  }
});

test('classify - the names in a line are found, lists and welcomes included', () => {
  assert.deepEqual(names('ana: hola: adiós'), ['ana']);
  assert.deepEqual(names('(privado) ana: hola'), ['ana']);
  assert.deepEqual(names('(private to bob) hi'), ['bob']);
  assert.deepEqual(names('Usuarios: ana, bob, carol'), ['ana', 'bob', 'carol']);
  assert.deepEqual(names('*** ana ahora se llama anita ***'), ['ana', 'anita']);
  assert.deepEqual(names(text('es', 'welcome', { name: 'ana', users: 'bob, ana' })), ['ana', 'bob', 'ana']);
  assert.deepEqual(names(text('en', 'welcome', { name: 'ana', users: '42' })), ['ana']); // a count, not a name
  assert.deepEqual(names(text('es', 'user_left_because', { name: 'ana', reason: 'sin actividad' })), ['ana']);
});

test('classify - a user cannot make a chat line pass for a notice or a goodbye', () => {
  const fake = 'mallory: *** ¡Adiós, ana! ***';
  assert.equal(classify(fake).kind, 'chat');
  assert.equal(classify(fake).key, undefined);
  assert.equal(classify('mallory: (privado) ana: hola').kind, 'chat');
  assert.equal(classify('mallory: Error: x').kind, 'chat');
});

test('classify - other text is plain', () => {
  assert.equal(classify('Comandos:').kind, 'plain');
  assert.equal(classify('  /listar (/list)           muestra quién está conectado').kind, 'plain');
  assert.equal(classify('').kind, 'plain');
});

test('classify - rooms, history and moderation: a replayed message is past, operators are marked, room notices name users', () => {
  const past = classify(text('es', 'history_line', { time: '12:03', from: 'ana', text: 'hola' }));
  assert.equal(past.kind, 'past');
  assert.equal(past.params['from'], 'ana');
  assert.deepEqual(names('[12:03] ana: hola'), ['ana']);
  assert.deepEqual(names('Usuarios: @profe, ana'), ['profe', 'ana']);
  assert.deepEqual(names('Usuarios: ana, lee (fiable), @profe (fiable)'), ['ana', 'lee', 'profe'], 'the reliable mark is not part of the name');
  assert.deepEqual(names(text('es', 'user_moved', { name: 'ana', room: 'juegos' })), ['ana']);
  assert.deepEqual(names(text('en', 'user_removed_because', { name: 'eve', by: 'profe', because: 'spam' })), ['eve', 'profe']);
  assert.deepEqual(names(text('es', 'room_entered', { room: 'juegos', users: 'bob, ana' })), ['bob', 'ana']);
  assert.equal(classify(text('es', 'announcement', { from: 'profe', text: 'hola' })).kind, 'notice');
  // A user cannot make a chat line pass for a replayed one.
  assert.equal(classify('mallory: [12:03] ana: hola').kind, 'chat');
});
