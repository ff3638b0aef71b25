import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { completeUtf8Length, type DecodeEvent, LineDecoder } from '../../../src/protocol/line-decoder.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Feeds `chunks` to a fresh decoder; returns every event, and checks the byte bound after each push. */
function decode(chunks: Uint8Array[], maxLineBytes = 4096): DecodeEvent[] {
  const decoder = new LineDecoder(maxLineBytes);
  const events: DecodeEvent[] = [];
  for (const chunk of chunks) {
    events.push(...decoder.push(chunk));
    assert.ok(decoder.pendingBytes <= maxLineBytes + 1, `pendingBytes ${decoder.pendingBytes} > ${maxLineBytes + 1}`);
  }
  return events;
}

/** `data` cut at `cuts` (sorted offsets). */
function splitAt(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of cuts) {
    chunks.push(data.subarray(start, cut));
    start = cut;
  }
  chunks.push(data.subarray(start));
  return chunks;
}

const byteByByte = (data: Uint8Array): Uint8Array[] => [...data].map((b) => Uint8Array.of(b));
const line = (text: string): DecodeEvent => ({ kind: 'line', text });
const tooLong = (limit: number): DecodeEvent => ({ kind: 'too_long', limit });

test('line-decoder - lines end at LF and come out in order', () => {
  assert.deepEqual(decode([bytes('hola\nqué tal\n\nadiós\n')]), [line('hola'), line('qué tal'), line(''), line('adiós')]);
});

test('line-decoder - bytes after the last LF wait for the rest of their line', () => {
  const decoder = new LineDecoder(100);
  assert.deepEqual(decoder.push(bytes('uno\ndo')), [line('uno')]);
  assert.equal(decoder.pendingBytes, 2);
  assert.deepEqual(decoder.push(bytes('s\n')), [line('dos')]);
  assert.equal(decoder.pendingBytes, 0);
});

test('line-decoder - byte by byte gives the same lines as one chunk', () => {
  const input = bytes('hola\r\nmañana 🌮\n\nfin\n');
  const whole = decode([input]);
  assert.deepEqual(whole, [line('hola'), line('mañana 🌮'), line(''), line('fin')]);
  assert.deepEqual(decode(byteByByte(input)), whole);
});

test('line-decoder - the same lines however the input is split (every one and two cut points)', () => {
  const input = Buffer.concat([
    bytes('ana\r\nñandú 🌮 €\n'),
    Buffer.from([0x68, 0xff, 0x69, 0x0a]), // invalid byte inside a line
    bytes(`${'x'.repeat(20)}\n`), // over the limit
    bytes('\r\n'),
    bytes(`${'y'.repeat(16)}\r\n`), // exactly the limit, with CR
    bytes('fin'),
  ]);
  const whole = decode([input], 16);
  assert.deepEqual(whole, [
    line('ana'),
    line('ñandú 🌮 €'),
    line('h\uFFFDi'),
    tooLong(16),
    line(''),
    line('y'.repeat(16)),
  ]);
  for (let i = 0; i <= input.length; i++) {
    assert.deepEqual(decode(splitAt(input, [i]), 16), whole, `split at ${i}`);
    for (let j = i; j <= input.length; j++) {
      assert.deepEqual(decode(splitAt(input, [i, j]), 16), whole, `split at ${i} and ${j}`);
    }
  }
});

test('line-decoder - one CR before the LF is stripped; other CRs stay for the sanitizer', () => {
  assert.deepEqual(decode([bytes('a\r\nb\nc\r\r\nd\re\n\r\n')]), [line('a'), line('b'), line('c\r'), line('d\re'), line('')]);
});

test('line-decoder - a multibyte character split between chunks arrives intact', () => {
  const enye = bytes('ñ'); // c3 b1
  const taco = bytes('🌮'); // f0 9f 8c ae
  const events = decode([bytes('ma'), enye.subarray(0, 1), Buffer.concat([enye.subarray(1), bytes('ana '), taco.subarray(0, 2)]), taco.subarray(2, 3), Buffer.concat([taco.subarray(3), bytes('\n')])]);
  assert.deepEqual(events, [line('mañana 🌮')]);
});

test('line-decoder - invalid UTF-8 becomes U+FFFD and never throws', () => {
  const input = Buffer.from([0xff, 0xfe, 0x0a, 0xc3, 0x28, 0x0a, 0xed, 0xa0, 0x80, 0x0a, 0xf8, 0x88, 0x80, 0x80, 0x80, 0x0a]);
  const events = decode([input]);
  assert.equal(events.length, 4);
  for (const event of events) {
    assert.equal(event.kind, 'line');
    assert.ok(event.kind === 'line' && event.text.includes('\uFFFD'), JSON.stringify(event));
  }
  assert.deepEqual(events[1], line('\uFFFD('));
});

test('line-decoder - a line of exactly maxLineBytes is accepted, with or without CR; one byte more is not', () => {
  assert.deepEqual(decode([bytes('12345678\n')], 8), [line('12345678')]);
  assert.deepEqual(decode([bytes('12345678\r\n')], 8), [line('12345678')]);
  assert.deepEqual(decode([bytes('123456789\n')], 8), [tooLong(8)]);
  assert.deepEqual(decode([bytes('123456789\r\n')], 8), [tooLong(8)]);
  assert.deepEqual(decode(byteByByte(bytes('12345678\r\n')), 8), [line('12345678')]);
  assert.deepEqual(decode(byteByByte(bytes('123456789\r\n')), 8), [tooLong(8)]);
});

test('line-decoder - an over-long line is reported once and discarded up to the next LF', () => {
  const decoder = new LineDecoder(8);
  const events: DecodeEvent[] = [];
  for (const b of bytes(`${'z'.repeat(1000)}\nok\n`)) {
    events.push(...decoder.push(Uint8Array.of(b)));
    assert.ok(decoder.pendingBytes <= 9, `pendingBytes ${decoder.pendingBytes}`);
  }
  assert.deepEqual(events, [tooLong(8), line('ok')]);
  // In one chunk too, and what follows the LF in the same chunk is kept.
  assert.deepEqual(decode([bytes(`${'z'.repeat(1000)}\nok\nsig`)], 8), [tooLong(8), line('ok')]);
});

test('line-decoder - a megabyte without a newline is never held', () => {
  const decoder = new LineDecoder(4096);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let reports = 0;
  for (let i = 0; i < 16; i++) {
    reports += decoder.push(chunk).length;
    assert.ok(decoder.pendingBytes <= 4097);
  }
  assert.equal(reports, 1);
  assert.deepEqual(decoder.push(bytes('\nhola\n')), [line('hola')]);
});

test('line-decoder - flush() takes the bytes so far as a line (bare clients)', () => {
  const decoder = new LineDecoder(100);
  assert.deepEqual(decoder.push(bytes('hola')), []);
  assert.deepEqual(decoder.flush(), [line('hola')]);
  assert.equal(decoder.pendingBytes, 0);
  assert.deepEqual(decoder.flush(), [], 'nothing buffered, nothing to flush');
  assert.deepEqual(decoder.push(bytes('uno\ndos')), [line('uno')]);
  assert.deepEqual(decoder.flush(), [line('dos')]);
});

test('line-decoder - flush() holds back an incomplete UTF-8 tail for the next chunk', () => {
  const decoder = new LineDecoder(100);
  const e = bytes('é'); // c3 a9
  decoder.push(Buffer.concat([bytes('caf'), e.subarray(0, 1)]));
  assert.deepEqual(decoder.flush(), [line('caf')]);
  assert.equal(decoder.pendingBytes, 1);
  assert.deepEqual(decoder.push(Buffer.concat([e.subarray(1), bytes('\n')])), [line('é')]);

  // Only an incomplete character buffered: no line yet, nothing lost.
  const euro = bytes('€'); // e2 82 ac
  decoder.push(euro.subarray(0, 2));
  assert.deepEqual(decoder.flush(), []);
  assert.equal(decoder.pendingBytes, 2);
  decoder.push(euro.subarray(2));
  assert.deepEqual(decoder.flush(), [line('€')]);
});

test('line-decoder - flush() in the middle of an over-long line ends the discard there', () => {
  const decoder = new LineDecoder(4);
  assert.deepEqual(decoder.push(bytes('abcdefgh')), [tooLong(4)]);
  assert.deepEqual(decoder.flush(), []);
  assert.deepEqual(decoder.push(bytes('ok\n')), [line('ok')]);
});

test('line-decoder - maxLineBytes must be a positive integer', () => {
  assert.throws(() => new LineDecoder(0), RangeError);
  assert.throws(() => new LineDecoder(1.5), RangeError);
  assert.throws(() => new LineDecoder(Number.NaN), RangeError);
});

test('line-decoder - the decoder copies held bytes (a reused chunk buffer cannot change a line)', () => {
  const decoder = new LineDecoder(100);
  const chunk = Buffer.from('hola');
  decoder.push(chunk);
  chunk.fill(0x78);
  assert.deepEqual(decoder.push(bytes('\n')), [line('hola')]);
});

test('completeUtf8Length - cuts only a started, unfinished sequence at the end', () => {
  const cases: Array<[number[], number]> = [
    [[], 0],
    [[0x61], 1],
    [[0x61, 0xc3], 1],
    [[0xc3, 0xb1], 2],
    [[0xe2, 0x82], 0],
    [[0xe2, 0x82, 0xac], 3],
    [[0x61, 0xf0, 0x9f, 0x8c], 1],
    [[0xf0, 0x9f, 0x8c, 0xae], 4],
    [[0xff], 1], // invalid: complete (becomes U+FFFD)
    [[0x80, 0x80, 0x80, 0x80], 4], // stray continuation bytes: complete
  ];
  for (const [input, expected] of cases) assert.equal(completeUtf8Length(Uint8Array.from(input)), expected, JSON.stringify(input));
});

// --- properties ---

/** Bytes rich in LF, CR and UTF-8 lead/continuation bytes, so the interesting paths are hit. */
const chatBytes = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(0x0a, 0x0d, 0xc3, 0xb1, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x61),
    ),
    { maxLength: 200 },
  )
  .map((a) => Uint8Array.from(a));

const cutsFor = (length: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 0, max: length }), { maxLength: 12 }).map((cuts) => [...cuts].sort((a, b) => a - b));

test('line-decoder - property: any bytes split anywhere never throw, respect the limit, and give the same events', () => {
  fc.assert(
    fc.property(
      chatBytes.chain((data) => fc.tuple(fc.constant(data), cutsFor(data.length), fc.integer({ min: 1, max: 24 }))),
      ([data, cuts, max]) => {
        const whole = decode([data], max);
        const split = decode(splitAt(data, cuts), max);
        assert.deepEqual(split, whole);
        for (const event of whole) {
          // Each decoded UTF-16 unit comes from at least one input byte.
          if (event.kind === 'line') assert.ok(event.text.length <= max, `line of ${event.text.length} units > ${max}`);
          else assert.equal(event.limit, max);
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('line-decoder - property: step() through any split gives the events of push(), at most one per step, up to one LF', () => {
  fc.assert(
    fc.property(
      chatBytes.chain((data) => fc.tuple(fc.constant(data), cutsFor(data.length), fc.integer({ min: 1, max: 24 }))),
      ([data, cuts, max]) => {
        const decoder = new LineDecoder(max);
        const stepped: DecodeEvent[] = [];
        for (const chunk of splitAt(data, cuts)) {
          const buf = Buffer.from(chunk);
          let start = 0;
          while (start < buf.length) {
            const events: DecodeEvent[] = [];
            const next = decoder.step(buf, start, events);
            assert.ok(next > start && next <= buf.length, `step went from ${start} to ${next} of ${buf.length}`);
            assert.ok(events.length <= 1, `one step gave ${events.length} events`);
            const lf = buf.indexOf(0x0a, start);
            assert.equal(next, lf === -1 ? buf.length : lf + 1, 'a step ends just past the next LF, or at the end');
            stepped.push(...events);
            start = next;
          }
        }
        assert.deepEqual(stepped, decode([data], max));
      },
    ),
    { numRuns: 500 },
  );
});

test('line-decoder - property: valid UTF-8 text never gives a line over maxLineBytes bytes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('\n', '\r\n')), { maxLength: 20 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 7 }),
      (parts, max, step) => {
        const data = bytes(parts.join(''));
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < data.length; i += step) chunks.push(data.subarray(i, i + step));
        for (const event of decode(chunks, max)) {
          if (event.kind === 'line') assert.ok(Buffer.byteLength(event.text) <= max);
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('line-decoder - property: flush() after any split of text without LF gives back the text', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\n') && !s.endsWith('\r')),
      fc.integer({ min: 1, max: 5 }),
      (text, step) => {
        const data = bytes(text);
        const decoder = new LineDecoder(1000);
        for (let i = 0; i < data.length; i += step) assert.deepEqual(decoder.push(data.subarray(i, i + step)), []);
        assert.deepEqual(decoder.flush(), [line(text)]);
        assert.equal(decoder.pendingBytes, 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('line-decoder - end() takes the last bare line, an incomplete character becoming U+FFFD', () => {
  const d = new LineDecoder(100);
  assert.deepEqual(d.push(Buffer.from([0x68, 0x6f, 0x6c, 0x61, 0x20, 0xc3])), []);
  assert.deepEqual(d.flush(), [{ kind: 'line', text: 'hola ' }], 'flush holds the half character back');
  assert.deepEqual(d.end(), [{ kind: 'line', text: '\ufffd' }], 'end does not');
  assert.equal(d.pendingBytes, 0);
  assert.deepEqual(d.end(), []);
});
