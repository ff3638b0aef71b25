import assert from 'node:assert/strict';
import test from 'node:test';
import { helloFrame, JsonEncoder } from '../../../src/encode/json.js';
import { LineEncoder } from '../../../src/encode/line.js';
import { type ChatEvent, refusal, reply } from '../../../src/hub/events.js';
import { LANGS, text } from '../../../src/hub/messages.js';
import { parseClientFrame, textFrame } from '../../../src/transport/ws.js';

const at = Date.UTC(2026, 11, 4, 12, 3, 30);

/** Every kind of ChatEvent, one (or two) of each. */
const EVENTS: readonly ChatEvent[] = [
  { kind: 'message', room: 'general', id: 7, at, from: 'ana', text: 'hola <b>"x"</b>' },
  { kind: 'message', room: 'general', id: 8, at, from: 'ana', text: 'saluda', action: true },
  { kind: 'private', from: 'ana', to: 'bob', text: 'psst', echo: false },
  { kind: 'joined', room: 'general', name: 'ana', from: undefined },
  { kind: 'joined', room: 'juegos', name: 'ana', from: 'general' },
  { kind: 'left', room: 'general', name: 'ana', reason: 'slow' },
  { kind: 'moved', room: 'general', name: 'ana', to: 'juegos' },
  { kind: 'renamed', old: 'ana', name: 'ana2', echo: true },
  reply('help'),
  refusal('name_taken', { name: 'ana' }),
  { kind: 'users', room: 'general', users: [{ name: 'ana', operator: true }, { name: 'bob', operator: false }] },
  { kind: 'rooms', rooms: [{ name: 'general', users: 2 }] },
  { kind: 'welcome', name: 'ana', room: 'general', count: 2, users: ['bob', 'ana'], moved: false },
  { kind: 'history', room: 'general', entries: [{ id: 5, at, from: 'bob', text: 'antes' }, { id: 6, at, from: 'bob', text: 'mira', action: true }], gap: true },
  { kind: 'announce', from: 'op', text: 'cerramos a las 3' },
  { kind: 'closing' },
];

for (const lang of LANGS) {
  const t = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text(lang, key, params);
  const line = (event: ChatEvent): string => new LineEncoder().lines(event, lang, Number.MAX_SAFE_INTEGER).join('\n');

  test(`json encoder (${lang}) - every event kind as its frame of ws-frames.ts, with the line protocol's text`, () => {
    const enc = new JsonEncoder();
    const frames = EVENTS.map((e) => JSON.parse(enc.frame(e, lang)) as Record<string, unknown>);
    assert.deepEqual(frames[0], { type: 'message', room: 'general', id: 7, at, from: 'ana', text: 'hola <b>"x"</b>' });
    assert.deepEqual(frames[1], { type: 'message', room: 'general', id: 8, at, from: 'ana', text: 'saluda', action: true });
    assert.deepEqual(frames[2], { type: 'private', from: 'ana', to: 'bob', text: 'psst', echo: false });
    assert.deepEqual(frames[3], { type: 'joined', room: 'general', name: 'ana', text: t('user_joined', { name: 'ana' }) });
    assert.deepEqual(frames[4], { type: 'joined', room: 'juegos', name: 'ana', from: 'general', text: t('user_arrived', { name: 'ana', room: 'general' }) });
    assert.deepEqual(frames[5], { type: 'left', room: 'general', name: 'ana', reason: 'slow', text: t('user_left_because', { name: 'ana', reason: t('reason_slow') }) });
    assert.deepEqual(frames[6], { type: 'moved', room: 'general', name: 'ana', to: 'juegos', text: t('user_moved', { name: 'ana', room: 'juegos' }) });
    assert.deepEqual(frames[7], { type: 'renamed', old: 'ana', name: 'ana2', echo: true, text: t('user_renamed', { old: 'ana', name: 'ana2' }) });
    assert.deepEqual(frames[8], { type: 'reply', key: 'help', text: t('help') });
    assert.deepEqual(frames[9], { type: 'refusal', key: 'name_taken', text: t('name_taken', { name: 'ana' }) });
    assert.deepEqual(frames[10], { type: 'users', room: 'general', users: [{ name: 'ana', operator: true }, { name: 'bob', operator: false }], text: line(EVENTS[10] as ChatEvent) });
    assert.deepEqual(frames[11], { type: 'rooms', rooms: [{ name: 'general', users: 2 }], text: line(EVENTS[11] as ChatEvent) });
    assert.deepEqual(frames[12], { type: 'welcome', name: 'ana', room: 'general', count: 2, users: ['bob', 'ana'], moved: false, text: t('welcome', { name: 'ana', users: 'bob, ana' }) });
    assert.deepEqual(frames[13], {
      type: 'history',
      room: 'general',
      messages: [
        { room: 'general', id: 5, at, from: 'bob', text: 'antes' },
        { room: 'general', id: 6, at, from: 'bob', text: 'mira', action: true },
      ],
      gap: true,
    });
    assert.deepEqual(frames[14], { type: 'announce', from: 'op', text: 'cerramos a las 3' });
    assert.deepEqual(frames[15], { type: 'closing', text: t('server_closing') });
    assert.equal(frames.length, EVENTS.length);
    const welcome = JSON.parse(enc.welcome(EVENTS[12] as Extract<ChatEvent, { kind: 'welcome' }>, lang, 'tok')) as Record<string, unknown>;
    assert.equal(welcome.resume, 'tok');
  });
}

test('json encoder - a broadcast is rendered once per language, and every receiver gets the very same string', () => {
  const enc = new JsonEncoder();
  const message: ChatEvent = { kind: 'message', room: 'general', id: 1, at, from: 'ana', text: 'hola' };
  const notice: ChatEvent = { kind: 'joined', room: 'general', name: 'bob', from: undefined };
  for (const event of [message, notice]) {
    const before = enc.renders;
    const es = enc.frame(event, 'es');
    const en = enc.frame(event, 'en');
    for (let receiver = 0; receiver < 100; receiver++) {
      assert.equal(enc.frame(event, receiver % 2 === 0 ? 'es' : 'en'), receiver % 2 === 0 ? es : en);
    }
    assert.equal(enc.renders - before, 2, event.kind);
  }
  // A new event object with the same content is a new broadcast: rendered again.
  const before = enc.renders;
  enc.frame({ ...message }, 'es');
  assert.equal(enc.renders - before, 1);
});

test('json encoder - the hello frame, and an unmasked text frame of each header size', () => {
  const hello = JSON.parse(helloFrame({ server: 'charla 0', lang: 'es', password: false, maxMessageBytes: 4096, maxNameLength: 24, defaultRoom: 'general' })) as Record<string, unknown>;
  assert.equal(hello.type, 'hello');
  assert.equal(hello.v, 1);
  for (const size of [0, 125, 126, 65535, 65536, 70000]) {
    const json = 'é'.repeat(Math.floor(size / 2)) + 'a'.repeat(size % 2);
    const frame = textFrame(json);
    assert.equal(frame[0], 0x81);
    const len7 = frame[1] as number;
    const [length, offset] = len7 < 126 ? [len7, 2] : len7 === 126 ? [frame.readUInt16BE(2), 4] : [Number(frame.readBigUInt64BE(2)), 10];
    assert.equal(length, Buffer.byteLength(json));
    assert.equal(frame.subarray(offset).toString('utf8'), json);
  }
});

test('ws frames - a client frame is a join or a line, checked field by field; anything else is undefined', () => {
  const parse = (s: string) => parseClientFrame(Buffer.from(s));
  assert.deepEqual(parse('{"type":"line","text":"hola"}'), { type: 'line', text: 'hola' });
  assert.deepEqual(parse('{"type":"join","v":1,"name":"ana","lang":"en","room":"juegos","since":5,"resume":"abc","password":"p"}'), {
    type: 'join',
    v: 1,
    name: 'ana',
    lang: 'en',
    room: 'juegos',
    since: 5,
    resume: 'abc',
    password: 'p',
  });
  assert.deepEqual(parse('{"type":"join","v":1,"name":"ana","lang":"fr","since":-1,"room":7}'), { type: 'join', v: 1, name: 'ana' });
  for (const bad of ['', 'null', '[]', '"line"', '{"type":"line"}', '{"type":"line","text":5}', '{"type":"join"}', '{"type":"x"}', '{']) assert.equal(parse(bad), undefined, bad);
});
