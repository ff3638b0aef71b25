import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { ctcpAction, escapeTag, formatIrc, IRC_CONTENT_BYTES, parseIrc, splitUtf8, unescapeTag } from '../../../src/protocol/irc.js';
import { LineDecoder } from '../../../src/protocol/line-decoder.js';

test('parseIrc: tags, source, command, middle params and a trailing one', () => {
  const m = parseIrc('@time=2026-01-01T00:00:00Z;msgid=a\\sb;flag :ana!ana@tcp.charla privmsg #general :hola  mundo');
  assert.ok(m !== undefined);
  assert.equal(m.command, 'PRIVMSG');
  assert.equal(m.source, 'ana!ana@tcp.charla');
  assert.deepEqual(m.params, ['#general', 'hola  mundo']);
  assert.deepEqual([...(m.tags ?? [])], [['time', '2026-01-01T00:00:00Z'], ['msgid', 'a b'], ['flag', '']]);
});

test('parseIrc: runs of spaces separate once, an empty trailing is a param, no command is nothing', () => {
  assert.deepEqual(parseIrc('USER  ana   0 * :')?.params, ['ana', '0', '*', '']);
  assert.deepEqual(parseIrc('NICK ana')?.params, ['ana']);
  assert.deepEqual(parseIrc('PING :a b c')?.params, ['a b c']);
  assert.equal(parseIrc(''), undefined);
  assert.equal(parseIrc('   '), undefined);
  assert.equal(parseIrc(':server.charla'), undefined);
  assert.equal(parseIrc('@a=b'), undefined);
});

test('formatIrc: the last param is trailing when it must be', () => {
  assert.equal(formatIrc({ command: 'PRIVMSG', params: ['#a', 'hola'] }), 'PRIVMSG #a hola');
  assert.equal(formatIrc({ command: 'PRIVMSG', params: ['#a', 'hola mundo'] }), 'PRIVMSG #a :hola mundo');
  assert.equal(formatIrc({ command: 'PRIVMSG', params: ['#a', ':)'] }), 'PRIVMSG #a ::)');
  assert.equal(formatIrc({ command: 'PRIVMSG', params: ['#a', ''] }), 'PRIVMSG #a :');
  assert.equal(formatIrc({ source: 'x', command: 'QUIT', params: ['bye'] }, true), ':x QUIT :bye');
  assert.equal(formatIrc({ tags: new Map([['a', 'b;c d'], ['e', '']]), command: 'PING', params: ['x'] }), '@a=b\\:c\\sd;e PING x');
});

const middle = fc.stringMatching(/^[^\s:\r\n\0][^\s\r\n\0]{0,15}$/);
const trailingParam = fc.string({ maxLength: 40 }).filter((s) => !/[\r\n\0]/.test(s));

test('property: parseIrc(formatIrc(m)) gives m back', () => {
  fc.assert(
    fc.property(
      fc.option(fc.stringMatching(/^[a-z][a-z0-9!@.]{0,20}$/), { nil: undefined }),
      fc.stringMatching(/^[A-Z]{1,10}$|^[0-9]{3}$/),
      fc.array(middle, { maxLength: 5 }),
      fc.option(trailingParam, { nil: undefined }),
      fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), fc.string({ maxLength: 10 })),
      (source, command, mids, last, tagObj) => {
        const params = last === undefined ? mids : [...mids, last];
        const tags = new Map(Object.entries(tagObj));
        const line = formatIrc({ tags, source, command, params });
        const back = parseIrc(line);
        assert.ok(back !== undefined);
        assert.equal(back.command, command);
        assert.equal(back.source, source);
        assert.deepEqual(back.params, params);
        assert.deepEqual(new Map(back.tags ?? []), tags);
      },
    ),
  );
});

test('property: tag values survive escaping', () => {
  fc.assert(fc.property(fc.string(), (v) => assert.equal(unescapeTag(escapeTag(v)), v)));
});

test('splitUtf8: a text that fits is one piece; a long one is cut at character boundaries', () => {
  assert.deepEqual(splitUtf8('hola', 10), ['hola']);
  const text = 'ñ'.repeat(300); // 600 bytes
  const pieces = splitUtf8(text, 101);
  assert.equal(pieces.join(''), text);
  for (const p of pieces) assert.ok(Buffer.byteLength(p) <= 101 && Buffer.byteLength(p) >= 99);
  // An emoji (4 bytes, a surrogate pair) is never halved.
  const emoji = '😀'.repeat(10);
  const cut = splitUtf8(emoji, 10);
  assert.deepEqual(cut, ['😀😀', '😀😀', '😀😀', '😀😀', '😀😀']);
});

test('splitUtf8 prefers a space near the end of a piece', () => {
  const text = `${'a'.repeat(90)} ${'b'.repeat(30)}`;
  assert.deepEqual(splitUtf8(text, 100), [`${'a'.repeat(90)} `, 'b'.repeat(30)]);
});

test('property: splitUtf8 pieces are whole characters, within the bound, and join to the text', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.integer({ min: 4, max: 600 }), (text, max) => {
      const pieces = splitUtf8(text, max);
      assert.equal(pieces.join(''), text);
      for (const piece of pieces) {
        const bytes = Buffer.from(piece, 'utf8');
        assert.ok(bytes.length <= max, `${bytes.length} > ${max}`);
        assert.equal(bytes.toString('utf8'), piece, 'a piece ends inside a character');
      }
      if (Buffer.byteLength(text) > max) assert.ok(pieces.every((p) => p.length > 0));
    }),
  );
});

test('splitUtf8 fits a 4,096-byte charla message into IRC lines', () => {
  const text = 'é'.repeat(2048);
  const head = ':ana!ana@tcp.charla PRIVMSG #general :';
  const pieces = splitUtf8(text, IRC_CONTENT_BYTES - head.length);
  for (const p of pieces) assert.ok(Buffer.byteLength(head + p) + 2 <= 512);
  assert.equal(pieces.join(''), text);
});

test('ctcpAction: the text of /me, and nothing for other text', () => {
  assert.equal(ctcpAction('\x01ACTION saluda\x01'), 'saluda');
  assert.equal(ctcpAction('\x01ACTION saluda'), 'saluda');
  assert.equal(ctcpAction('\x01VERSION\x01'), undefined);
  assert.equal(ctcpAction('hola'), undefined);
});

test('LineDecoder with crEnds: CR, LF and CR LF each end a line', () => {
  const d = new LineDecoder(100, true);
  const lines = d.push(Buffer.from('NICK a\rUSER a 0 * :a\nPING x\r\nPING y\r')).map((e) => (e.kind === 'line' ? e.text : '!'));
  assert.deepEqual(lines, ['NICK a', 'USER a 0 * :a', 'PING x', 'PING y']);
  // CR LF is one line end however the input is cut; empty lines between ends stay lines.
  const input = Buffer.from('a\r\nb\r\n\r\nc\n\nd\r\re\r\n');
  const whole = new LineDecoder(100, true).push(input).map((e) => (e.kind === 'line' ? e.text : '!'));
  assert.deepEqual(whole, ['a', 'b', '', 'c', '', 'd', '', 'e']);
  for (let cut = 1; cut < input.length; cut++) {
    const split = new LineDecoder(100, true);
    const got = [...split.push(input.subarray(0, cut)), ...split.push(input.subarray(cut))].map((e) => (e.kind === 'line' ? e.text : '!'));
    assert.deepEqual(got, whole, `cut at ${cut}`);
  }
  // An over-long line ending in CR LF is one report, and the next line comes whole.
  const long = new LineDecoder(10, true);
  const events = [...long.push(Buffer.from(`${'x'.repeat(30)}\r`)), ...long.push(Buffer.from('\nok\r\n'))];
  assert.deepEqual(events.map((e) => (e.kind === 'line' ? e.text : '!')), ['!', 'ok']);
  // Without it (the line protocol), a lone CR is inside the line.
  assert.deepEqual(new LineDecoder(100).push(Buffer.from('a\rb\n')).map((e) => (e.kind === 'line' ? e.text : '!')), ['a\rb']);
});
