import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeLine, encodePayload, MIN_PAYLOAD_BYTES, newRunId } from '../../../src/lab/payload.js';

test('lab/payload - a message is exactly the asked size and decodes back, bare or as relayed', () => {
  const payload = encodePayload('udp', 'ab12', 17, 1234.5678, 100);
  assert.equal(Buffer.byteLength(payload), 100);
  assert.match(payload, /^cmp udp ab12 17 1234\.568 x+$/);
  const expected = { proto: 'udp', runId: 'ab12', seq: 17, sentMs: 1234.568 };
  assert.deepEqual(decodeLine(payload), expected);
  assert.deepEqual(decodeLine(`udp-s-ab12: ${payload}`), expected);
});

test('lab/payload - notices, chat and other runs are not lab messages', () => {
  assert.equal(decodeLine('*** ana joined ***'), undefined);
  assert.equal(decodeLine('ana: hola'), undefined);
  assert.equal(decodeLine('ana: cmp is a word'), undefined);
  assert.equal(decodeLine(`x: ${encodePayload('tcp', 'zzzz', 1, 5, 64)}`, 'ab12'), undefined);
  assert.notEqual(decodeLine(`x: ${encodePayload('tcp', 'ab12', 1, 5, 64)}`, 'ab12'), undefined);
});

test('lab/payload - any number, time and size at or above the minimum round-trip', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('tcp' as const, 'udp' as const),
      fc.integer({ min: 1, max: 9_999_999 }),
      fc.double({ min: 0, max: 1e9, noNaN: true }),
      fc.integer({ min: MIN_PAYLOAD_BYTES, max: 5000 }),
      (proto, seq, sentMs, size) => {
        const runId = newRunId();
        const payload = encodePayload(proto, runId, seq, sentMs, size);
        assert.equal(Buffer.byteLength(payload), size);
        const m = decodeLine(`${proto}-s-${runId}: ${payload}`, runId);
        assert.equal(m?.seq, seq);
        assert.equal(m?.proto, proto);
        assert.ok(Math.abs((m?.sentMs ?? -1) - sentMs) < 0.001);
      },
    ),
  );
});
