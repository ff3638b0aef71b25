import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import type { CodecSink } from '../../../src/bench/client-codec.js';
import { encodePayload } from '../../../src/bench/payload.js';
import { acceptKey, applyMask, type FrameHandler, FrameReader, maskedTextFrames, WsCodec } from '../../../src/bench/ws-codec.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const P = (sender: number, seq: number): string => encodePayload(sender, seq, 1_000_000 + seq, 64);

/** A server frame (unmasked), as RFC 6455 §5.2 lays it out. */
function serverFrame(opcode: number, payload: Buffer | string, fin = true): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const n = body.length;
  const head = n < 126 ? Buffer.from([0, n]) : n < 65536 ? Buffer.from([0, 126, n >> 8, n & 0xff]) : Buffer.alloc(10);
  if (n >= 65536) {
    head[1] = 127;
    head.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    head.writeUInt32BE(n >>> 0, 6);
  }
  head[0] = (fin ? 0x80 : 0) | opcode;
  return Buffer.concat([head, body]);
}

/** Reads client frames back: checks every one is masked and unmasks it. */
function clientFrames(bytes: Buffer): Array<{ opcode: number; payload: Buffer }> {
  const out: Array<{ opcode: number; payload: Buffer }> = [];
  let p = 0;
  while (p < bytes.length) {
    const b0 = bytes[p] as number;
    const b1 = bytes[p + 1] as number;
    assert.ok(b1 & 0x80, 'every client frame is masked');
    assert.ok(b0 & 0x80, 'FIN set: one frame per message');
    let n = b1 & 0x7f;
    p += 2;
    if (n === 126) {
      n = bytes.readUInt16BE(p);
      p += 2;
    } else if (n === 127) {
      n = bytes.readUInt32BE(p) * 2 ** 32 + bytes.readUInt32BE(p + 4);
      p += 8;
    }
    const key = bytes.readUInt32BE(p);
    p += 4;
    const payload = Buffer.from(bytes.subarray(p, p + n));
    applyMask(payload, 0, n, key);
    out.push({ opcode: b0 & 0x0f, payload });
    p += n;
  }
  return out;
}

interface Recorded {
  markers: Array<[number, number]>;
  ready: number;
  failed: string[];
  replies: Buffer[];
  notes: string[];
}

function recorder(): { sink: CodecSink; got: Recorded } {
  const got: Recorded = { markers: [], ready: 0, failed: [], replies: [], notes: [] };
  const sink: CodecSink = {
    marker: (m) => got.markers.push([m.sender, m.seq]),
    ready: () => got.ready++,
    fail: (l) => got.failed.push(l),
    reply: (b) => got.replies.push(typeof b === 'string' ? Buffer.from(b, 'latin1') : b),
    note: (l) => got.notes.push(l),
  };
  return { sink, got };
}

const upgraded = (accept = acceptKey(KEY)): string => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;

/** Feeds `bytes` to `codec` in pieces of `split` bytes (0: at once). */
function feed(codec: WsCodec, bytes: Buffer, split: number, sink: CodecSink): void {
  if (split <= 0) codec.push(bytes, sink);
  else for (let i = 0; i < bytes.length; i += split) codec.push(bytes.subarray(i, i + split), sink);
}

test('ws codec - the accept key of RFC 6455 §1.3', () => {
  assert.equal(acceptKey(KEY), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('ws codec - client frames are masked, one per message, at every length class (125, 126, 65535, 65536 bytes)', () => {
  const texts = ['', 'hola', 'ñ🙂', 'a'.repeat(125), 'b'.repeat(126), 'c'.repeat(65535), 'd'.repeat(65536)];
  let n = 0;
  const frames = clientFrames(maskedTextFrames(texts, () => (0x9e3779b9 * ++n) >>> 0));
  assert.deepEqual(
    frames.map((f) => [f.opcode, f.payload.toString('utf8')]),
    texts.map((t) => [1, t]),
  );
});

test('ws codec - the frame reader gives the same bytes however the stream is cut (property)', () => {
  const frame = fc.record({ opcode: fc.constantFrom(1, 9, 10), body: fc.string({ maxLength: 300 }) });
  fc.assert(
    fc.property(fc.array(frame, { maxLength: 8 }), fc.integer({ min: 1, max: 40 }), (frames, cut) => {
      const legal = frames.map((f) => (f.opcode === 1 ? f : { opcode: f.opcode, body: f.body.slice(0, 40) }));
      const wire = Buffer.concat(legal.map((f) => serverFrame(f.opcode, f.body)));
      const seen: Array<[number, string]> = [];
      let text: Buffer[] = [];
      const on: FrameHandler = {
        data: (buf, s, e, op, last) => {
          text.push(Buffer.from(buf.subarray(s, e)));
          if (last) {
            seen.push([op, Buffer.concat(text).toString('utf8')]);
            text = [];
          }
        },
        control: (op, payload) => seen.push([op, payload.toString('utf8')]),
        error: (why) => assert.fail(why),
      };
      const reader = new FrameReader();
      for (let i = 0; i < wire.length; i += cut) reader.push(wire.subarray(i, i + cut), on);
      // A control frame's body was cut to 40 characters, which stays within 125 bytes.
      assert.deepEqual(
        seen,
        legal.map((f) => [f.opcode, f.body]),
      );
    }),
  );
});

test('ws codec - a fragmented message with a ping in the middle, and extended lengths', () => {
  const big = 'z'.repeat(70_000);
  const wire = Buffer.concat([serverFrame(1, 'ab', false), serverFrame(9, 'hi'), serverFrame(0, 'cd', false), serverFrame(0, 'ef'), serverFrame(1, big)]);
  const seen: string[] = [];
  let parts = '';
  new FrameReader().push(wire, {
    data: (buf, s, e, op, last) => {
      parts += buf.toString('utf8', s, e);
      if (last) {
        seen.push(`${op}:${parts.length > 10 ? parts.length : parts}`);
        parts = '';
      }
    },
    control: (op, payload) => seen.push(`ctl ${op}:${payload.toString()}`),
    error: (why) => assert.fail(why),
  });
  assert.deepEqual(seen, ['ctl 9:hi', '1:abcdef', '1:70000']);
});

test('ws codec - protocol errors: a masked server frame, a reserved opcode, a control frame over 125 bytes, a stray continuation', () => {
  const errorOf = (wire: Buffer): string | undefined => {
    let err: string | undefined;
    new FrameReader().push(wire, { data: () => {}, control: () => {}, error: (why) => (err = why) });
    return err;
  };
  assert.match(errorOf(Buffer.from([0x81, 0x82, 1, 2, 3, 4, 5, 6])) ?? '', /masked/);
  assert.match(errorOf(Buffer.from([0x83, 0])) ?? '', /reserved opcode 3/);
  assert.match(errorOf(serverFrame(9, 'x'.repeat(126))) ?? '', /control frame/);
  assert.match(errorOf(serverFrame(0, 'x')) ?? '', /continuation/);
});

test("ws codec - charla's dialect: upgrade, hello -> join, welcome -> ready, markers in message frames, however cut", () => {
  for (const split of [0, 1, 5, 64]) {
    const codec = new WsCodec('u00001', 'ws', '127.0.0.1:8080', { key: KEY, mask: () => 0x01020304 });
    assert.match(codec.hello(), /^GET \/ws HTTP\/1\.1\r\nHost: 127\.0\.0\.1:8080\r\n.*Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n$/s);
    const { sink, got } = recorder();
    const hello = JSON.stringify({ type: 'hello', v: 1, server: 'charla', lang: 'es', password: false, maxMessageBytes: 4096, maxNameLength: 32, defaultRoom: 'general' });
    feed(codec, Buffer.concat([Buffer.from(upgraded()), serverFrame(1, hello)]), split, sink);
    assert.equal(got.replies.length, 1, `split ${split}`);
    assert.deepEqual(JSON.parse((clientFrames(got.replies[0] as Buffer)[0] as { payload: Buffer }).payload.toString()), { type: 'join', v: 1, name: 'u00001' });
    assert.equal(got.ready, 0);
    const welcome = JSON.stringify({ type: 'welcome', name: 'u00001', room: 'general', count: 2, users: ['u00000', 'u00001'], moved: false, text: '*** Bienvenido/a ***' });
    const joined = JSON.stringify({ type: 'joined', room: 'general', name: 'u00002', text: '*** u00002 se ha unido al chat ***' });
    const m1 = JSON.stringify({ type: 'message', room: 'general', id: 1, at: 2, from: 'u00000', text: P(0, 1) });
    const m2 = JSON.stringify({ type: 'message', room: 'general', id: 3, at: 4, from: 'u00002', text: P(2, 9) });
    feed(codec, Buffer.concat([serverFrame(1, welcome), serverFrame(1, joined), serverFrame(1, m1), serverFrame(1, m2)]), split, sink);
    assert.equal(got.ready, 1, `split ${split}`);
    assert.deepEqual(got.markers, [[0, 1], [2, 9]], `split ${split}`);
    assert.deepEqual(got.failed, []);
    const frames = clientFrames(codec.frame([P(1, 0), P(1, 1)]));
    assert.deepEqual(
      frames.map((f) => JSON.parse(f.payload.toString())),
      [{ type: 'line', text: P(1, 0) }, { type: 'line', text: P(1, 1) }],
    );
  }
});

test("ws codec - charla's dialect: the history frame after the welcome is the room's past, not deliveries, however cut", () => {
  // A server that already carried a run keeps its messages: a new user gets them as history.
  const history = JSON.stringify({
    type: 'history',
    room: 'general',
    messages: [0, 1, 2].map((seq) => ({ room: 'general', id: seq + 1, at: seq, from: 'u00000', text: P(0, seq) })),
  });
  const m = JSON.stringify({ type: 'message', room: 'general', id: 9, at: 9, from: 'u00000', text: P(0, 0) });
  const half = Math.floor(history.length / 2);
  for (const split of [0, 1, 5, 16, 17, 18, 64]) {
    const codec = new WsCodec('u00001', 'ws', 'h:1', { key: KEY });
    const { sink, got } = recorder();
    const stream = Buffer.concat([
      Buffer.from(upgraded()),
      serverFrame(1, '{"type":"welcome"}'),
      serverFrame(1, history),
      serverFrame(1, '{"t":1}'), // shorter than the history prefix: told at its end
      serverFrame(1, m),
      // A history in two frames, a ping between them.
      serverFrame(1, history.slice(0, half), false),
      serverFrame(9, 'p'),
      serverFrame(0, history.slice(half)),
      serverFrame(1, m.replace(P(0, 0), P(0, 1))),
    ]);
    feed(codec, stream, split, sink);
    assert.equal(got.ready, 1, `split ${split}`);
    assert.deepEqual(got.markers, [[0, 0], [0, 1]], `split ${split}: only the live messages`);
    assert.deepEqual(got.failed, []);
  }
});

test("ws codec - charla's dialect: a refusal before the welcome fails the user; after it, it is a note", () => {
  const codec = new WsCodec('u00001', 'ws', 'h:1', { key: KEY });
  const { sink, got } = recorder();
  const refusal = JSON.stringify({ type: 'refusal', key: 'name_taken', text: 'Error: el nombre «u00001» ya está en uso' });
  codec.push(Buffer.concat([Buffer.from(upgraded()), serverFrame(1, '{"type":"hello","v":1}'), serverFrame(1, refusal)]), sink);
  assert.equal(got.ready, 0);
  assert.equal(got.failed.length, 1);
  assert.match(got.failed[0] as string, /name_taken/);

  const later = new WsCodec('u00002', 'ws', 'h:1', { key: KEY });
  const r2 = recorder();
  later.push(Buffer.concat([Buffer.from(upgraded()), serverFrame(1, '{"type":"welcome"}'), serverFrame(1, JSON.stringify({ type: 'refusal', key: 'rate', text: 'Error: despacio' }))]), r2.sink);
  assert.equal(r2.got.ready, 1);
  assert.deepEqual(r2.got.failed, []);
  assert.equal(r2.got.notes.length, 1);
});

test('ws codec - the upgrade must be a 101 with the right accept key', () => {
  for (const [answer, why] of [
    ['HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n', /403 Forbidden/],
    [upgraded('wrong='), /Sec-WebSocket-Accept/],
  ] as const) {
    const codec = new WsCodec('u1', 'ws-raw', 'h:1', { key: KEY });
    const { sink, got } = recorder();
    codec.push(Buffer.from(answer), sink);
    assert.equal(got.ready, 0);
    assert.match(got.failed[0] ?? '', why);
  }
});

test('ws codec - raw dialect: ready on the 101; payload frames as they are; a ping gets a pong with its payload; a close fails the user', () => {
  const codec = new WsCodec('u00001', 'ws-raw', 'h:1', { key: KEY });
  const { sink, got } = recorder();
  codec.push(Buffer.concat([Buffer.from(upgraded()), serverFrame(1, P(3, 4)), serverFrame(9, 'tick')]), sink);
  assert.equal(got.ready, 1);
  assert.deepEqual(got.markers, [[3, 4]]);
  const pong = clientFrames(got.replies[0] as Buffer);
  assert.deepEqual(
    pong.map((f) => [f.opcode, f.payload.toString()]),
    [[10, 'tick']],
  );
  assert.equal(clientFrames(codec.frame([P(1, 2)]))[0]?.payload.toString(), P(1, 2));
  codec.push(serverFrame(8, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye')])), sink);
  assert.match(got.failed[0] ?? '', /closed the WebSocket \(1000 bye\)/);
});

test('ws codec - socket.io dialect: open -> 40, 40 -> ready, ping 2 -> pong 3, markers in chat message events', () => {
  const codec = new WsCodec('u00001', 'sio', 'h:1', { key: KEY });
  assert.match(codec.hello(), /^GET \/socket\.io\/\?EIO=4&transport=websocket HTTP\/1\.1\r\n/);
  const { sink, got } = recorder();
  codec.push(Buffer.concat([Buffer.from(upgraded()), serverFrame(1, '0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}')]), sink);
  assert.deepEqual(
    got.replies.flatMap((r) => clientFrames(r).map((f) => f.payload.toString())),
    ['40'],
  );
  codec.push(Buffer.concat([serverFrame(1, '40{"sid":"xyz"}'), serverFrame(1, `42["chat message","${P(5, 6)}"]`), serverFrame(1, '2')]), sink);
  assert.equal(got.ready, 1);
  assert.deepEqual(got.markers, [[5, 6]]);
  assert.deepEqual(
    got.replies.flatMap((r) => clientFrames(r).map((f) => f.payload.toString())),
    ['40', '3'],
  );
  assert.equal(clientFrames(codec.frame([P(1, 0)]))[0]?.payload.toString(), `42["chat message","${P(1, 0)}"]`);
});
