import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { splitDatagram } from '../../../src/protocol/datagram.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

test('datagram - a datagram is one message (seed framing)', () => {
  assert.deepEqual(splitDatagram(bytes('hola a todos')), ['hola a todos']);
  assert.deepEqual(splitDatagram(bytes('ñandú 🌮')), ['ñandú 🌮']);
});

test('datagram - a trailing LF or CRLF (netcat -u) is not part of the message', () => {
  assert.deepEqual(splitDatagram(bytes('hola\n')), ['hola']);
  assert.deepEqual(splitDatagram(bytes('hola\r\n')), ['hola']);
  assert.deepEqual(splitDatagram(bytes('hola\r')), ['hola']);
});

test('datagram - several lines in one datagram (a paste) are several messages, in order', () => {
  assert.deepEqual(splitDatagram(bytes('uno\ndos\r\ntres')), ['uno', 'dos', 'tres']);
  assert.deepEqual(splitDatagram(bytes('uno\n\ndos\n')), ['uno', '', 'dos']);
});

test('datagram - invalid UTF-8 becomes U+FFFD', () => {
  assert.deepEqual(splitDatagram(Uint8Array.of(0x68, 0xff, 0x69)), ['h\uFFFDi']);
});

test('datagram - only the bytes of the view are read, not the rest of its buffer', () => {
  const backing = bytes('xxhola\nyy');
  assert.deepEqual(splitDatagram(backing.subarray(2, 7)), ['hola']);
  assert.deepEqual(splitDatagram(new Uint8Array(backing.buffer, backing.byteOffset + 2, 4)), ['hola']);
});

test('datagram - property: never throws, no message holds a LF, and a datagram without CR or LF is one message', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
      const messages = splitDatagram(data);
      for (const message of messages) assert.equal(message.includes('\n'), false);
      if (!data.includes(0x0a) && !data.includes(0x0d)) assert.deepEqual(messages, [Buffer.from(data).toString('utf8')]);
    }),
    { numRuns: 1000 },
  );
});
