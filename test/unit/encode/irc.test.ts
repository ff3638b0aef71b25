import assert from 'node:assert/strict';
import test from 'node:test';
import { IrcEncoder, ircHost, namesReply } from '../../../src/encode/irc.js';
import type { ChatEvent } from '../../../src/hub/events.js';
import { ircNick } from '../../../src/hub/names.js';
import { translator } from '../../../src/hub/messages.js';

const HOSTS: Record<string, string> = { ana: 'tcp.charla', bob: 'irc.charla', José: 'udp.charla' };

function encoder(): { enc: IrcEncoder; lookups: string[] } {
  const lookups: string[] = [];
  const enc = new IrcEncoder((name) => {
    lookups.push(name);
    return HOSTS[name] ?? 'irc.charla';
  });
  return { enc, lookups };
}

const message = (text: string, from = 'ana'): ChatEvent => ({ kind: 'message', room: 'general', id: 1, at: 0, from, text });

test('IRC encoder: a room message, rendered once for every receiver', () => {
  const { enc, lookups } = encoder();
  const event = message('hola');
  const first = enc.shared(event, 'es');
  assert.equal(first, ':ana!ana@tcp.charla PRIVMSG #general :hola\r');
  for (let i = 0; i < 100; i++) assert.equal(enc.shared(event, 'es'), first);
  assert.deepEqual(lookups, ['ana'], 'one host lookup for 101 receivers');
  // A mapped name, and /me.
  const action: ChatEvent = { kind: 'message', room: 'general', id: 2, at: 0, from: 'José', text: 'saluda', action: true };
  assert.equal(enc.shared(action, 'es'), `:${ircNick('José')}!${ircNick('José')}@udp.charla PRIVMSG #general :\x01ACTION saluda\x01\r`);
});

test('IRC encoder: a long message is several PRIVMSG lines of at most 512 bytes', () => {
  const { enc } = encoder();
  const text = 'añ'.repeat(1000);
  const block = enc.shared(message(text), 'es');
  const lines = block.slice(0, -1).split('\r\n');
  assert.ok(lines.length >= 6);
  const head = ':ana!ana@tcp.charla PRIVMSG #general :';
  for (const line of lines) {
    assert.ok(line.startsWith(head));
    assert.ok(Buffer.byteLength(line) + 2 <= 512);
  }
  assert.equal(lines.map((l) => l.slice(head.length)).join(''), text);
});

test('IRC encoder: joins, parts, moves, quits, renames', () => {
  const { enc } = encoder();
  const t = (e: ChatEvent): string => enc.shared(e, 'en');
  assert.equal(t({ kind: 'joined', room: 'dudas', name: 'ana', from: undefined }), ':ana!ana@tcp.charla JOIN #dudas\r');
  assert.equal(t({ kind: 'left', room: 'dudas', name: 'bob', reason: 'quit', parted: true, message: 'bye now' }), ':bob!bob@irc.charla PART #dudas :bye now\r');
  assert.equal(t({ kind: 'left', room: 'dudas', name: 'bob', reason: 'quit', parted: true }), ':bob!bob@irc.charla PART #dudas\r');
  assert.equal(t({ kind: 'moved', room: 'general', name: 'ana', to: 'dudas' }), ':ana!ana@tcp.charla PART #general :has gone to #dudas\r');
  assert.equal(t({ kind: 'left', room: 'general', name: 'ana', reason: 'quit' }), ':ana!ana@tcp.charla QUIT :said goodbye\r');
  assert.equal(t({ kind: 'left', room: 'general', name: 'bob', reason: 'quit', message: 'ciao' }), ':bob!bob@irc.charla QUIT :Quit: ciao\r');
  assert.equal(t({ kind: 'left', room: 'general', name: 'ana', reason: 'slow' }), ':ana!ana@tcp.charla QUIT :SendQ exceeded\r');
  assert.equal(t({ kind: 'left', room: 'general', name: 'ana', reason: 'connection_lost' }), ':ana!ana@tcp.charla QUIT :connection lost\r');
  assert.equal(t({ kind: 'renamed', old: 'José', name: 'ana', echo: false }), `:${ircNick('José')}!${ircNick('José')}@tcp.charla NICK ana\r`);
  assert.equal(t({ kind: 'private', from: 'ana', to: 'José', text: 'hi', echo: false }), `:ana!ana@tcp.charla PRIVMSG ${ircNick('José')} :hi\r`);
  assert.equal(t({ kind: 'private', from: 'ana', to: 'bob', text: 'hi', echo: true }), '', 'no echo-message');
});

test('IRC encoder: answers are numerics and notices to their receiver', () => {
  const { enc } = encoder();
  assert.deepEqual(enc.answer({ kind: 'refusal', key: 'line_too_long', args: { max: 4096 } }, 'en', 'ana'), [':server.charla 417 ana :Input line was too long']);
  assert.match(enc.answer({ kind: 'refusal', key: 'registration_timeout', args: { seconds: 60 } }, 'en', '*')[0] ?? '', /^ERROR :Closing Link: /);
  assert.match(enc.answer({ kind: 'refusal', key: 'muted', args: { minutes: 3 } }, 'en', 'ana')[0] ?? '', /^:server\.charla NOTICE ana :Error: /);
  const list = enc.answer({ kind: 'rooms', rooms: [{ name: 'general', users: 3 }, { name: 'dudas', users: 1 }] }, 'en', 'ana');
  assert.deepEqual(list.slice(1, 3), [':server.charla 322 ana #general 3 :', ':server.charla 322 ana #dudas 1 :']);
  assert.equal(ircHost('tls'), 'tcp.charla');
});

test('namesReply packs 353 lines within 512 bytes and ends with 366', () => {
  const nicks = Array.from({ length: 300 }, (_, i) => `user${i}`);
  const lines = namesReply('ana', 'general', nicks, translator('en'));
  assert.ok(lines.length > 3);
  for (const l of lines) assert.ok(Buffer.byteLength(l) + 2 <= 512);
  assert.equal(lines.at(-1), ':server.charla 366 ana #general :End of /NAMES list');
  assert.deepEqual(lines.slice(0, -1).flatMap((l) => (l.split(' :')[1] ?? '').split(' ')), nicks);
});

test("IRC encoder: a sender's remembered message head follows their host and channel", () => {
  const hosts = new Map<string, string>([['ana', 'tcp.charla']]);
  const enc = new IrcEncoder((name) => hosts.get(name) ?? 'irc.charla');
  const say = (room: string, id: number): string => enc.shared({ kind: 'message', room, id, at: 0, from: 'ana', text: 'hola' }, 'es');
  assert.equal(say('general', 1), ':ana!ana@tcp.charla PRIVMSG #general :hola\r');
  assert.equal(say('dudas', 2), ':ana!ana@tcp.charla PRIVMSG #dudas :hola\r');
  hosts.set('ana', 'udp.charla'); // ana left, and the name came back over UDP
  assert.equal(say('dudas', 3), ':ana!ana@udp.charla PRIVMSG #dudas :hola\r');
  // Past one IRC line it is cut, as before; an action is never the plain head.
  const long = enc.shared({ kind: 'message', room: 'dudas', id: 4, at: 0, from: 'ana', text: 'x'.repeat(600) }, 'es');
  assert.equal(long.split('\r\n').length, 2);
  assert.equal(enc.shared({ kind: 'message', room: 'dudas', id: 5, at: 0, from: 'ana', text: 'saluda', action: true }, 'es'), ':ana!ana@udp.charla PRIVMSG #dudas :\x01ACTION saluda\x01\r');
});
