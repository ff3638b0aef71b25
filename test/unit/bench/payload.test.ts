import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { encodePayload, MARKER_BYTES, type Marker, MarkerScanner, parseMarkerAt, scanMarkers } from '../../../src/bench/payload.js';

const found = (chunks: Buffer[]): Marker[] => {
  const scanner = new MarkerScanner();
  const out: Marker[] = [];
  for (const c of chunks) scanner.push(c, (m) => out.push({ ...m }));
  assert.ok(scanner.carriedBytes < MARKER_BYTES, `carried ${scanner.carriedBytes} bytes`);
  return out;
};

/** `data` cut at `cuts` (offsets, any order, duplicates allowed). */
const splitAt = (data: Buffer, cuts: number[]): Buffer[] => {
  const sorted = [...new Set(cuts)].filter((c) => c > 0 && c < data.length).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of sorted) {
    chunks.push(data.subarray(start, cut));
    start = cut;
  }
  chunks.push(data.subarray(start));
  return chunks;
};

test('payload - the reference format: ~SSSS.QQQQQQQQ.TTTTTTTTTTTTTTTT~ then x padding', () => {
  const p = encodePayload(0x1a, 0x2b, 0x123456789abcd, 64);
  assert.equal(p, `~001a.0000002b.000123456789abcd~${'x'.repeat(32)}`);
  assert.equal(encodePayload(1, 2, 3, 32).length, 32);
  assert.equal(encodePayload(1, 2, 3, 3000).length, 3000);
});

test('payload - a marker parses back to its sender, sequence number and send time', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (sender, seq, sentNs) => {
      const m: Marker = { sender: -1, seq: -1, sentNs: -1 };
      assert.ok(parseMarkerAt(Buffer.from(encodePayload(sender, seq, sentNs, 40)), 0, m));
      assert.deepEqual(m, { sender, seq, sentNs });
    }),
  );
});

test('payload - markers are found whatever prefix the server adds', () => {
  const a = encodePayload(1, 7, 1000, 64);
  const b = encodePayload(2, 8, 2000, 48);
  const stream = Buffer.from(`*** u00003 se ha unido al chat ***\nu00001: ${a}\n:u00002!~u00002@localhost PRIVMSG #bench :${b}\r\n`);
  assert.deepEqual(found([stream]), [
    { sender: 1, seq: 7, sentNs: 1000 },
    { sender: 2, seq: 8, sentNs: 2000 },
  ]);
});

test('payload - unframed messages back to back are each found (the seed adds no newline)', () => {
  const stream = Buffer.from(`u1: ${encodePayload(0, 0, 5, 32)}u1: ${encodePayload(0, 1, 6, 32)}${encodePayload(0, 2, 7, 40)}`);
  assert.deepEqual(found([stream]).map((m) => m.seq), [0, 1, 2]);
});

test('payload - a stray ~ or a broken marker is skipped, the next marker still found', () => {
  const good = encodePayload(3, 4, 5, 32);
  const broken = good.replace('.', ',');
  const stream = Buffer.from(`~~ hola ~ ${broken} ~0003.zzzzzzzz.0000000000000005~ ${good}`);
  assert.deepEqual(found([stream]), [{ sender: 3, seq: 4, sentNs: 5 }]);
});

test('payload - the same markers however the stream is split, byte by byte included', () => {
  const messages = Array.from({ length: 6 }, (_, i) => `u0000${i}: ${encodePayload(i, i * 3, 1e9 + i, 32 + i * 7)}\n`);
  const stream = Buffer.from(`~ noise ${messages.join('*** x ***\n')}~`);
  const whole = found([stream]);
  assert.equal(whole.length, 6);
  assert.deepEqual(found([...stream].map((b) => Buffer.of(b))), whole);
  for (let cut = 0; cut <= stream.length; cut++) assert.deepEqual(found(splitAt(stream, [cut])), whole, `cut at ${cut}`);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 30 }), (cuts) => {
      assert.deepEqual(found(splitAt(stream, cuts)), whole);
    }),
  );
});

test('payload - any bytes, any split: never throws, same result as unsplit', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 10 }), (bytes, cuts) => {
      const data = Buffer.from(bytes);
      assert.deepEqual(found(splitAt(data, cuts)), found([data]));
    }),
  );
});

test('payload - scanMarkers returns where a cut marker starts, so the caller keeps those bytes', () => {
  const m = encodePayload(1, 2, 3, 32);
  const buf = Buffer.from(`ab${m}cd${m.slice(0, 10)}`);
  const seen: number[] = [];
  const keep = scanMarkers(buf, 0, buf.length, (x) => seen.push(x.seq));
  assert.deepEqual(seen, [2]);
  assert.equal(keep, 2 + 32 + 2);
});

test('payload - pushRange: ranges of one buffer (frame payloads between headers) give what the same bytes pushed as chunks give', () => {
  const messages = Array.from({ length: 6 }, (_, i) => encodePayload(i, i * 3, 1e9 + i, 32 + i * 7));
  const stream = Buffer.from(messages.join(''));
  const whole = found([stream]);
  assert.equal(whole.length, 6);
  // Each range sits in a bigger buffer, with bytes that are not part of the stream around it.
  const viaRanges = (cuts: number[]): Marker[] => {
    const scanner = new MarkerScanner();
    const out: Marker[] = [];
    for (const piece of splitAt(stream, cuts)) {
      const framed = Buffer.concat([Buffer.from('~0001.'), piece, Buffer.from('~~')]); // a would-be marker on each side
      scanner.pushRange(framed, 6, 6 + piece.length, (m) => out.push({ ...m }));
    }
    return out;
  };
  for (let cut = 0; cut <= stream.length; cut++) assert.deepEqual(viaRanges([cut]), whole, `cut at ${cut}`);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 30 }), (cuts) => {
      assert.deepEqual(viaRanges(cuts), whole);
    }),
  );
});
