import assert from 'node:assert/strict';
import test from 'node:test';
import { clockTime, LineEncoder, lineEncoder } from '../../../src/encode/line.js';
import { type ChatEvent, refusal, reply } from '../../../src/hub/events.js';
import { LANGS, type Lang, text } from '../../../src/hub/messages.js';

// The line encoder must render every event as exactly the lines line clients have always read:
// each expectation below is built from the catalogue (or, for chat lines, the seed's format).

const at = new Date(2026, 11, 4, 12, 3, 30).getTime();

function render(event: ChatEvent, lang: Lang, maxLineBytes = 4096): string[] {
  return new LineEncoder().lines(event, lang, maxLineBytes);
}

for (const lang of LANGS) {
  const t = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text(lang, key, params);

  test(`line encoder (${lang}) - chat and private messages`, () => {
    assert.deepEqual(render({ kind: 'message', room: 'general', id: 1, at, from: 'ana', text: 'hola' }, lang), ['ana: hola']);
    assert.deepEqual(render({ kind: 'private', from: 'ana', to: 'bob', text: 'psst', echo: false }, lang), [t('private_from', { name: 'ana', text: 'psst' })]);
    assert.deepEqual(render({ kind: 'private', from: 'ana', to: 'bob', text: 'psst', echo: true }, lang), [t('private_to', { name: 'bob', text: 'psst' })]);
  });

  test(`line encoder (${lang}) - joins, leaves for every reason, moves, renames`, () => {
    assert.deepEqual(render({ kind: 'joined', room: 'general', name: 'ana', from: undefined }, lang), [t('user_joined', { name: 'ana' })]);
    assert.deepEqual(render({ kind: 'joined', room: 'juegos', name: 'ana', from: 'general' }, lang), [t('user_arrived', { name: 'ana', room: 'general' })]);
    assert.deepEqual(render({ kind: 'left', room: 'general', name: 'ana', reason: 'quit' }, lang), [t('user_left', { name: 'ana' })]);
    for (const reason of ['disconnected', 'connection_lost', 'timeout', 'slow', 'flood', 'kicked', 'server_shutdown', 'error', 'unreachable', 'echo', 'displaced'] as const) {
      assert.deepEqual(render({ kind: 'left', room: 'general', name: 'ana', reason }, lang), [t('user_left_because', { name: 'ana', reason: t(`reason_${reason}`) })], reason);
    }
    assert.deepEqual(render({ kind: 'left', room: 'general', name: 'lee', reason: 'no_ack', reasonArgs: { retries: 10 } }, lang), [
      t('user_left_because', { name: 'lee', reason: t('reason_no_ack', { retries: 10 }) }),
    ]);
    assert.match(render({ kind: 'left', room: 'general', name: 'lee', reason: 'no_ack', reasonArgs: { retries: 10 } }, lang)[0] ?? '', / 10 /);
    assert.deepEqual(render({ kind: 'left', room: 'general', name: 'eve', reason: 'removed', by: 'profe' }, lang), [t('user_removed', { name: 'eve', by: 'profe' })]);
    assert.deepEqual(render({ kind: 'left', room: 'general', name: 'eve', reason: 'removed', by: 'profe', because: 'spam' }, lang), [
      t('user_removed_because', { name: 'eve', by: 'profe', because: 'spam' }),
    ]);
    assert.deepEqual(render({ kind: 'moved', room: 'general', name: 'ana', to: 'juegos' }, lang), [t('user_moved', { name: 'ana', room: 'juegos' })]);
    for (const echo of [false, true]) {
      assert.deepEqual(render({ kind: 'renamed', old: 'ana', name: 'anita', echo }, lang), [t('user_renamed', { old: 'ana', name: 'anita' })]);
    }
  });

  test(`line encoder (${lang}) - replies and refusals, the help in several lines`, () => {
    assert.deepEqual(render(reply('goodbye', { name: 'ana' }), lang), [t('goodbye', { name: 'ana' })]);
    assert.deepEqual(render(reply('help'), lang), t('help').split('\n'));
    assert.ok(render(reply('help'), lang).length > 5);
    assert.deepEqual(render(refusal('name_taken', { name: 'ana' }), lang), [t('name_taken', { name: 'ana' })]);
    assert.match(render(refusal('unknown_command', { command: '/x' }), lang)[0] ?? '', /^Error: /);
  });

  test(`line encoder (${lang}) - the welcome and a move's confirmation: names while few and short, else the count`, () => {
    const users = ['ana', 'bob'];
    assert.deepEqual(render({ kind: 'welcome', name: 'bob', room: 'general', count: 2, users, moved: false }, lang), [t('welcome', { name: 'bob', users: 'ana, bob' })]);
    assert.deepEqual(render({ kind: 'welcome', name: 'bob', room: 'juegos', count: 2, users, moved: true }, lang), [t('room_entered', { room: 'juegos', users: 'ana, bob' })]);
    // Past 20 the hub sends only the count (a join must not cost one name per user).
    assert.deepEqual(render({ kind: 'welcome', name: 'u20', room: 'general', count: 21, users: [], moved: false }, lang), [t('welcome', { name: 'u20', users: 21 })]);
    const long = Array.from({ length: 20 }, (_, i) => `${'n'.repeat(22)}${i}`);
    assert.deepEqual(render({ kind: 'welcome', name: 'x', room: 'general', count: 20, users: long, moved: false }, lang, 200), [t('welcome', { name: 'x', users: 20 })]);
  });

  test(`line encoder (${lang}) - /listar and /salas lists, cut to the line bound, operators marked`, () => {
    assert.deepEqual(render({ kind: 'users', room: 'general', users: [{ name: 'ana', operator: false }, { name: 'bob', operator: false }] }, lang), [t('user_list', { users: 'ana, bob' })]);
    assert.deepEqual(render({ kind: 'users', room: 'general', users: [{ name: 'profe', operator: true }, { name: 'bob', operator: false }] }, lang), [t('user_list', { users: '@profe, bob' })]);
    // A reliable UDP user (--fiable) is marked after the name; the others are as the seed listed them.
    const marked = render({ kind: 'users', room: 'general', users: [{ name: 'ana', operator: false }, { name: 'lee', operator: false, reliable: true }, { name: 'profe', operator: true, reliable: true }] }, lang);
    assert.deepEqual(marked, [t('user_list', { users: `ana, ${t('user_list_reliable', { name: 'lee' })}, ${t('user_list_reliable', { name: '@profe' })}` })]);
    assert.equal(marked[0], lang === 'es' ? 'Usuarios: ana, lee (fiable), @profe (fiable)' : 'Users: ana, lee (reliable), @profe (reliable)');
    const rooms = [
      { name: 'general', users: 3 },
      { name: 'juegos', users: 1 },
    ];
    assert.deepEqual(render({ kind: 'rooms', rooms }, lang), [t('room_list', { rooms: 'general (3), juegos (1)' })]);
    const users = Array.from({ length: 300 }, (_, i) => ({ name: `usuario${i}`, operator: false }));
    const lines = render({ kind: 'users', room: 'general', users }, lang, 1200);
    assert.ok(lines.length > 1);
    for (const line of lines) assert.ok(Buffer.byteLength(line) <= 1200 && line.startsWith(t('user_list', { users: '' })));
  });

  test(`line encoder (${lang}) - history: a header, then each message marked with its time as past`, () => {
    const entries = [
      { id: 1, at, from: 'ana', text: 'hola' },
      { id: 2, at: at + 60_000, from: 'bob', text: '¿qué tal?' },
    ];
    assert.deepEqual(render({ kind: 'history', room: 'general', entries }, lang), [
      t('history_header', { count: 2, room: 'general' }),
      t('history_line', { time: '12:03', from: 'ana', text: 'hola' }),
      t('history_line', { time: '12:04', from: 'bob', text: '¿qué tal?' }),
    ]);
    assert.equal(render({ kind: 'history', room: 'general', entries }, lang)[1], '[12:03] ana: hola');
    assert.deepEqual(render({ kind: 'history', room: 'juegos', entries: [] }, lang), [t('history_empty', { room: 'juegos' })]);
  });

  test(`line encoder (${lang}) - announcements and the shutdown notice`, () => {
    assert.deepEqual(render({ kind: 'announce', from: 'profe', text: 'examen el lunes' }, lang), [t('announcement', { from: 'profe', text: 'examen el lunes' })]);
    assert.deepEqual(render({ kind: 'closing' }, lang), [t('server_closing')]);
  });
}

test('line encoder - the seed strings are unchanged (es)', () => {
  assert.deepEqual(render({ kind: 'joined', room: 'general', name: 'ana', from: undefined }, 'es'), ['*** ana se ha unido al chat ***']);
  assert.deepEqual(render({ kind: 'left', room: 'general', name: 'ana', reason: 'quit' }, 'es'), ['*** ana ha salido del chat ***']);
  assert.deepEqual(render({ kind: 'users', room: 'general', users: [{ name: 'a', operator: false }, { name: 'b', operator: false }] }, 'es'), ['Usuarios: a, b']);
});

test('line encoder - a broadcast event is rendered once per language: every receiver gets the same string', () => {
  const event: ChatEvent = { kind: 'joined', room: 'general', name: 'ana', from: undefined };
  const es1 = lineEncoder.line(event, 'es');
  const en1 = lineEncoder.line(event, 'en');
  assert.equal(lineEncoder.line(event, 'es'), es1);
  assert.equal(lineEncoder.line(event, 'en'), en1);
  assert.notEqual(es1, en1);
  // Another event with the same content is rendered afresh, never confused with the last one.
  const other: ChatEvent = { kind: 'joined', room: 'general', name: 'bob', from: undefined };
  assert.equal(lineEncoder.line(other, 'es'), '*** bob se ha unido al chat ***');
});

test('line encoder - clockTime is HH:MM in the server time zone', () => {
  assert.equal(clockTime(new Date(2026, 0, 1, 9, 5).getTime()), '09:05');
  assert.equal(clockTime(new Date(2026, 0, 1, 23, 59, 59).getTime()), '23:59');
});

test("line encoder - last(): a broadcast's later receivers find the line rendered last in their language, and whether it is a notice, by the event's identity", () => {
  const encoder = new LineEncoder();
  const es = encoder.last('es');
  const en = encoder.last('en');
  assert.notEqual(es, en, 'one slot per language');
  const join: ChatEvent = { kind: 'joined', room: 'general', name: 'ana', from: undefined };
  assert.equal(es.event, undefined, 'nothing rendered yet');
  const line = encoder.line(join, 'es');
  assert.equal(encoder.last('es'), es, 'the same slot for the life of the encoder');
  assert.equal(es.event, join);
  assert.equal(es.line, line);
  assert.equal(es.notice, true, 'a join is a room notice');
  assert.notEqual(en.event, join, 'not yet rendered in English');
  const message: ChatEvent = { kind: 'message', room: 'general', id: 1, at, from: 'ana', text: 'hola' };
  assert.equal(encoder.line(message, 'en'), 'ana: hola');
  assert.equal(en.event, message);
  assert.equal(en.line, 'ana: hola');
  assert.equal(en.notice, false, 'a chat line is not a notice');
  assert.equal(es.event, join, 'each language keeps its own last event');
  assert.equal(es.line, line);
  encoder.line({ ...join }, 'es');
  assert.notEqual(es.event, join, 'an equal event that is another object is rendered afresh');
  const answer = reply('help');
  encoder.lines(answer, 'es', 4096);
  assert.notEqual(es.event, answer, 'an answer to one user is never kept for sharing');
});
