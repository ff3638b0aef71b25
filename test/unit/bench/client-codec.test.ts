import assert from 'node:assert/strict';
import test from 'node:test';
import { type CodecSink, framePayload, IrcCodec, LineCodec, nickOf, parseIrcLine } from '../../../src/bench/client-codec.js';
import { encodePayload } from '../../../src/bench/payload.js';

interface Recorded {
  markers: Array<[number, number]>;
  ready: number;
  failed: string[];
  replies: string[];
  notes: string[];
}

function recorder(): { sink: CodecSink; got: Recorded } {
  const got: Recorded = { markers: [], ready: 0, failed: [], replies: [], notes: [] };
  const sink: CodecSink = {
    marker: (m) => got.markers.push([m.sender, m.seq]),
    ready: () => got.ready++,
    fail: (l) => got.failed.push(l),
    reply: (t) => got.replies.push(typeof t === 'string' ? t : t.toString('latin1')),
    note: (l) => got.notes.push(l),
  };
  return { sink, got };
}

const feed = (codec: LineCodec | IrcCodec, text: string, split = 0): Recorded => {
  const { sink, got } = recorder();
  const data = Buffer.from(text);
  if (split <= 0) codec.push(data, sink);
  else for (let i = 0; i < data.length; i += split) codec.push(data.subarray(i, i + split), sink);
  return got;
};

const P = (sender: number, seq: number): string => encodePayload(sender, seq, 1_000_000 + seq, 64);

test('bench codec - names and frames are the reference generator\'s', () => {
  assert.equal(nickOf('u', 7), 'u00007');
  assert.equal(nickOf('u', 123456), 'u123456');
  assert.equal(framePayload('line', 'P', '#bench'), 'P\n');
  assert.equal(framePayload('irc', 'P', '#bench'), 'PRIVMSG #bench :P\r\n');
  assert.equal(new LineCodec('u00001').hello(), 'u00001\n');
  assert.equal(new IrcCodec('u00001', '#bench').hello(), 'NICK u00001\r\nUSER u00001 0 * :bench\r\n');
});

test('bench codec - line: registered on the welcome; join notices and prefixes are not deliveries', () => {
  const text = `*** Bienvenido/a a charla, u00001. Conectados: u00000, u00001. ***\n*** u00002 se ha unido al chat ***\nu00000: ${P(0, 1)}\nu00002: ${P(2, 9)}\n`;
  for (const split of [0, 1, 7, 50]) {
    const got = feed(new LineCodec('u00001'), text, split);
    assert.equal(got.ready, 1, `split ${split}`);
    assert.deepEqual(got.markers, [[0, 1], [2, 9]], `split ${split}`);
    assert.deepEqual(got.failed, []);
  }
});

test('bench codec - line: an Error: line before the welcome is a failure', () => {
  const got = feed(new LineCodec('u00001'), 'Error: el nombre «u00001» ya está en uso. Escribe otro:\n');
  assert.equal(got.ready, 0);
  assert.deepEqual(got.failed, ['Error: el nombre «u00001» ya está en uso. Escribe otro:']);
});

test('bench codec - line: an Error: line after registering is reported, not fatal', () => {
  const got = feed(new LineCodec('u00001'), `*** hola ***\nError: estás enviando demasiado rápido\nu00000: ${P(0, 2)}\n`);
  assert.equal(got.ready, 1);
  assert.deepEqual(got.notes, ['Error: estás enviando demasiado rápido']);
  assert.deepEqual(got.markers, [[0, 2]]);
});

test('bench codec - line with readyOnWrite (servers that greet no one): markers from the first byte', () => {
  const got = feed(new LineCodec('u00001', true), `u00000: ${P(0, 0)}u00000: ${P(0, 1)}`);
  assert.equal(got.ready, 0); // the worker marks it ready when the name is written
  assert.deepEqual(got.markers, [[0, 0], [0, 1]]);
});

test('bench codec - irc: parseIrcLine finds the command with or without a prefix', () => {
  const l = (s: string) => {
    const b = Buffer.from(s);
    const p = parseIrcLine(b, 0, b.length);
    return [p.command, b.toString('latin1', p.paramsAt)];
  };
  assert.deepEqual(l(':irc.example 001 u00001 :Welcome'), ['001', 'u00001 :Welcome']);
  assert.deepEqual(l('PING :irc.example'), ['PING', ':irc.example']);
  assert.deepEqual(l(':u00002!~u00002@localhost PRIVMSG #bench :hola'), ['PRIVMSG', '#bench :hola']);
  assert.deepEqual(l(''), ['', '']);
  assert.deepEqual(l(':only-a-prefix'), ['', '']);
});

test('bench codec - irc: 001 -> JOIN, 366 -> ready, PING -> PONG, PRIVMSG markers counted', () => {
  const lines = [
    ':bench.local 001 u00001 :Welcome to the Internet Relay Network u00001!~u00001@localhost',
    ':bench.local 005 u00001 CHANTYPES=# :are supported on this server',
    ':u00001!~u00001@localhost JOIN :#bench',
    ':bench.local 353 u00001 = #bench :u00001 @u00000',
    ':bench.local 366 u00001 #bench :End of NAMES list',
    'PING :bench.local',
    `:u00000!~u00000@localhost PRIVMSG #bench :${P(0, 4)}`,
    `:u00000!~u00000@localhost NOTICE #bench :${P(0, 5)}`,
  ];
  const text = `${lines.join('\r\n')}\r\n`;
  for (const split of [0, 1, 13]) {
    const codec = new IrcCodec('u00001', '#bench');
    const got = feed(codec, text, split);
    assert.deepEqual(got.replies, ['JOIN #bench\r\n', 'PONG :bench.local\r\n'], `split ${split}`);
    assert.equal(got.ready, 1);
    assert.equal(codec.state, 'ready');
    assert.deepEqual(got.markers, [[0, 4]], 'only PRIVMSG carries deliveries');
  }
});

test('bench codec - irc: a taken nick, ERROR or a full channel is a failure', () => {
  for (const line of [':srv 433 * u00001 :Nickname already in use', 'ERROR :Closing connection', ':srv 471 u00001 #bench :Cannot join channel (+l)']) {
    const got = feed(new IrcCodec('u00001', '#bench'), `${line}\r\n`);
    assert.deepEqual(got.failed, [line]);
  }
});

test('bench codec - irc: a partial line waits for its end; LF alone also ends a line', () => {
  const codec = new IrcCodec('u00001', '#bench');
  const { sink, got } = recorder();
  codec.push(Buffer.from(':srv 001 u00001 :hi\n:srv 36'), sink);
  assert.deepEqual(got.replies, ['JOIN #bench\r\n']);
  assert.equal(got.ready, 0);
  codec.push(Buffer.from('6 u00001 #bench :End\n'), sink);
  assert.equal(got.ready, 1);
});
