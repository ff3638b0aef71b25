import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { ARQ_HEADER_BYTES, ARQ_MAGIC, ARQ_PROTOCOLS, decodeArq, encodeArq, looksLikeArq } from '../../../../src/protocol/arq/header.js';

test('arq header - DATA and ACK round-trip, every field', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...ARQ_PROTOCOLS),
      fc.integer({ min: 1, max: 16 }).chain((bits) => fc.tuple(fc.constant(bits), fc.integer({ min: 0, max: 2 ** bits - 1 }))),
      fc.uint8Array({ maxLength: 64 }),
      (protocol, [bits, n], payload) => {
        const data = decodeArq(encodeArq('data', protocol, bits, n, payload));
        assert.deepEqual(data && { ...data, payload: [...data.payload] }, { type: 'data', protocol, seqBits: bits, flags: 0, number: n, payload: [...payload] });
        const ack = decodeArq(encodeArq('ack', protocol, bits, n));
        assert.deepEqual(ack && { ...ack, payload: ack.payload.length }, { type: 'ack', protocol, seqBits: bits, flags: 0, number: n, payload: 0 });
      },
    ),
  );
});

test('arq header - the layout is the documented one', () => {
  const bytes = encodeArq('data', 'gbn', 3, 5, Buffer.from('hi'));
  assert.deepEqual([...bytes], [0xfe, 1, 1, 2, 3, 0, 0, 5, 0x68, 0x69]);
  assert.deepEqual([...encodeArq('ack', 'sr', 16, 0x1234)], [0xfe, 1, 2, 3, 16, 0, 0x12, 0x34]);
  assert.equal(ARQ_HEADER_BYTES, 8);
});

test('arq header - plain chat text is never taken for ARQ (0xFE is never in UTF-8)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
      const bytes = Buffer.from(text, 'utf8');
      assert.equal(looksLikeArq(bytes), false);
      assert.equal(decodeArq(bytes), undefined);
    }),
  );
  assert.equal(Buffer.from('\ufffe', 'utf8')[0] !== ARQ_MAGIC, true);
});

test('arq header - garbage never throws, and what decodes re-encodes to the same bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 24 }), fc.boolean(), (raw, magic) => {
      const bytes = magic && raw.length > 0 ? Uint8Array.from([ARQ_MAGIC, 1, ...raw.subarray(2)]) : raw;
      const p = decodeArq(bytes);
      if (p !== undefined) assert.deepEqual([...encodeArq(p.type, p.protocol, p.seqBits, p.number, p.payload, p.flags)], [...bytes]);
    }),
    { numRuns: 2000 },
  );
});

test('arq header - each malformed field is refused', () => {
  const good = encodeArq('data', 'sr', 3, 7, Buffer.from('x'));
  const bad = (i: number, v: number): Uint8Array => {
    const b = Uint8Array.from(good);
    b[i] = v;
    return b;
  };
  assert.ok(decodeArq(good));
  assert.equal(decodeArq(good.subarray(0, 7)), undefined, 'shorter than the header');
  assert.equal(decodeArq(bad(0, 0xff)), undefined, 'another magic');
  assert.equal(decodeArq(bad(1, 2)), undefined, 'another version');
  assert.equal(decodeArq(bad(2, 3)), undefined, 'unknown type');
  assert.equal(decodeArq(bad(3, 0)), undefined, 'unknown protocol');
  assert.equal(decodeArq(bad(4, 0)), undefined, '0 sequence bits');
  assert.equal(decodeArq(bad(4, 17)), undefined, '17 sequence bits');
  assert.equal(decodeArq(bad(7, 8)), undefined, 'number 8 in a 3-bit space');
  assert.equal(decodeArq(Uint8Array.from([...encodeArq('ack', 'sr', 3, 1), 0])), undefined, 'an ACK with a payload');
  assert.throws(() => encodeArq('data', 'sr', 3, 8), RangeError);
  assert.throws(() => encodeArq('ack', 'sr', 3, 1, Buffer.from('x')), RangeError);
});
