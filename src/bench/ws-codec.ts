/**
 * The load generator's WebSocket client (RFC 6455), over a plain TCP socket: the opening
 * handshake, masked client frames, and an incremental reader of server frames. Pure: no sockets,
 * no clocks; the randomness (handshake key, masking keys) comes from `node:crypto` or a test.
 *
 * Three dialects, one per kind of server the browser issue is judged against:
 * - `ws` (charla's own protocol, src/protocol/ws-frames.ts): waits for `hello`, sends `join`,
 *   is registered on `welcome` and refused on `refusal`; sends `{"type":"line","text":...}`.
 * - `ws-raw` (a bare broadcast server, ../shared/bench/ws-anchors/naive-ws.mjs): registered as
 *   soon as the upgrade is answered; sends the payload as the frame's text.
 * - `sio` (the socket.io chat example, Engine.IO 4 over WebSocket): answers the open packet
 *   with a namespace connect (`40`), is registered on the server's `40`, answers pings (`2` with
 *   `3`); sends `42["chat message","..."]`.
 *
 * Markers are found in each text frame's payload (the MarkerScanner keeps a marker cut between
 * two frames of one message, or two reads): JSON and Engine.IO wrap the payload but never
 * change its ASCII bytes, so the same scanner serves every dialect.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type BenchCodec, type CodecSink, startsWith } from './client-codec.js';
import { MarkerScanner } from './payload.js';

export type WsDialect = 'ws' | 'ws-raw' | 'sio';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Most bytes of the HTTP answer to the upgrade kept before giving up on it. */
const MAX_HANDSHAKE_BYTES = 16 * 1024;
/** Largest server frame accepted whole for a control or registration message. */
const MAX_CONTROL_BYTES = 64 * 1024;

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/** `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + WS_GUID).digest('base64');
}

/** Source of masking keys: 4 random bytes each, drawn from a pool refilled in bulk. */
export type MaskSource = () => number;

export function randomMasks(poolBytes = 4096): MaskSource {
  let pool = randomBytes(poolBytes);
  let at = 0;
  return () => {
    if (at + 4 > pool.length) {
      pool = randomBytes(poolBytes);
      at = 0;
    }
    const m = pool.readUInt32BE(at);
    at += 4;
    return m;
  };
}

/**
 * Client frames for `texts`, one text frame each, masked as RFC 6455 §5.3 requires, all in one
 * buffer (one write).
 */
export function maskedTextFrames(texts: readonly string[], mask: MaskSource): Buffer {
  let total = 0;
  const lengths = new Array<number>(texts.length);
  for (let i = 0; i < texts.length; i++) {
    const n = Buffer.byteLength(texts[i] as string, 'utf8');
    lengths[i] = n;
    total += headerBytes(n) + n;
  }
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  for (let i = 0; i < texts.length; i++) p = writeFrame(out, p, OP_TEXT, texts[i] as string, lengths[i] as number, mask());
  return out;
}

/** One masked control frame (pong, close) with a binary payload. */
export function maskedControlFrame(opcode: number, payload: Buffer, mask: MaskSource): Buffer {
  const out = Buffer.allocUnsafe(headerBytes(payload.length) + payload.length);
  const p = writeHeader(out, 0, opcode, payload.length, mask());
  payload.copy(out, p);
  applyMask(out, p, p + payload.length, out.readUInt32BE(p - 4));
  return out;
}

function headerBytes(n: number): number {
  return (n < 126 ? 2 : n < 65536 ? 4 : 10) + 4;
}

function writeHeader(out: Buffer, p: number, opcode: number, n: number, key: number): number {
  out[p++] = 0x80 | opcode; // FIN: one frame per message
  if (n < 126) {
    out[p++] = 0x80 | n;
  } else if (n < 65536) {
    out[p++] = 0x80 | 126;
    out.writeUInt16BE(n, p);
    p += 2;
  } else {
    out[p++] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), p);
    out.writeUInt32BE(n >>> 0, p + 4);
    p += 8;
  }
  out.writeUInt32BE(key >>> 0, p);
  return p + 4;
}

function writeFrame(out: Buffer, p: number, opcode: number, text: string, n: number, key: number): number {
  p = writeHeader(out, p, opcode, n, key);
  out.write(text, p, n, 'utf8');
  applyMask(out, p, p + n, key);
  return p + n;
}

/** XORs `buf[start, end)` with the 4-byte key (big-endian, as it is on the wire). */
export function applyMask(buf: Buffer, start: number, end: number, key: number): void {
  const k0 = (key >>> 24) & 0xff;
  const k1 = (key >>> 16) & 0xff;
  const k2 = (key >>> 8) & 0xff;
  const k3 = key & 0xff;
  let i = start;
  for (; i + 3 < end; i += 4) {
    buf[i] = (buf[i] as number) ^ k0;
    buf[i + 1] = (buf[i + 1] as number) ^ k1;
    buf[i + 2] = (buf[i + 2] as number) ^ k2;
    buf[i + 3] = (buf[i + 3] as number) ^ k3;
  }
  const keys = [k0, k1, k2, k3];
  for (let j = 0; i < end; i++, j++) buf[i] = (buf[i] as number) ^ (keys[j] as number);
}

/** What the frame reader hands on: a piece of a message's payload, or a whole control frame. */
export interface FrameHandler {
  /** Payload bytes of a data frame (text or binary; `opcode` of the message's first frame). `last`: the message ends here. */
  data(buf: Buffer, start: number, end: number, opcode: number, last: boolean): void;
  /** A control frame, whole. */
  control(opcode: number, payload: Buffer): void;
  /** The stream broke the protocol (a masked server frame, a bad opcode, an oversized control frame). */
  error(why: string): void;
}

/**
 * Incremental reader of server frames: headers may arrive cut anywhere; data payloads are handed
 * on as they arrive (no copy), control frames once whole.
 */
export class FrameReader {
  #head = Buffer.alloc(14);
  #headLen = 0;
  /** Payload bytes left in the current frame. */
  #left = 0;
  #opcode = 0;
  #fin = false;
  /** Opcode of the data message in progress (its continuations carry 0). */
  #messageOp = 0;
  #control: Buffer[] | undefined;
  #failed = false;

  push(chunk: Buffer, on: FrameHandler): void {
    let p = 0;
    while (p < chunk.length && !this.#failed) {
      if (this.#left === 0 && this.#control === undefined) {
        p = this.#readHeader(chunk, p, on);
        continue;
      }
      const take = Math.min(this.#left, chunk.length - p);
      this.#left -= take;
      if (this.#control !== undefined) {
        this.#control.push(chunk.subarray(p, p + take));
        if (this.#left === 0) {
          const payload = Buffer.concat(this.#control);
          this.#control = undefined;
          on.control(this.#opcode, payload);
        }
      } else {
        on.data(chunk, p, p + take, this.#messageOp, this.#fin && this.#left === 0);
      }
      p += take;
    }
  }

  /** Reads (part of) a header at `p`; returns where it stopped. */
  #readHeader(chunk: Buffer, p: number, on: FrameHandler): number {
    if (this.#headLen === 0 && p + 1 < chunk.length) {
      // The common case: a short, final, unmasked text frame whose header is whole in this read.
      const b0 = chunk[p] as number;
      const b1 = chunk[p + 1] as number;
      if (b0 === (0x80 | OP_TEXT) && b1 < 126) {
        // As the general path below does for such a frame.
        this.#messageOp = OP_TEXT;
        this.#fin = true;
        this.#left = b1;
        if (b1 === 0) {
          on.data(chunk, p + 2, p + 2, OP_TEXT, true);
          this.#messageOp = 0;
        }
        return p + 2;
      }
    }
    const head = this.#head;
    while (this.#headLen < 2 && p < chunk.length) head[this.#headLen++] = chunk[p++] as number;
    if (this.#headLen < 2) return p;
    const len7 = (head[1] as number) & 0x7f;
    if ((head[1] as number) & 0x80) return this.#fail(on, 'the server masked a frame'), chunk.length;
    const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0);
    while (this.#headLen < need && p < chunk.length) head[this.#headLen++] = chunk[p++] as number;
    if (this.#headLen < need) return p;
    let n = len7;
    if (len7 === 126) n = head.readUInt16BE(2);
    else if (len7 === 127) n = head.readUInt32BE(2) * 2 ** 32 + head.readUInt32BE(6);
    this.#headLen = 0;
    const b0 = head[0] as number;
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    if (opcode >= 0x8) {
      if (!fin || n > 125) return this.#fail(on, `a control frame that is fragmented or ${n} bytes long`), chunk.length;
      this.#opcode = opcode;
      this.#control = [];
      this.#left = n;
      if (n === 0) {
        this.#control = undefined;
        on.control(opcode, Buffer.alloc(0));
      }
      return p;
    }
    if (opcode === OP_CONTINUATION) {
      if (this.#messageOp === 0) return this.#fail(on, 'a continuation frame with no message to continue'), chunk.length;
    } else if (opcode === OP_TEXT || opcode === OP_BINARY) {
      this.#messageOp = opcode;
    } else {
      return this.#fail(on, `reserved opcode ${opcode}`), chunk.length;
    }
    this.#fin = fin;
    this.#left = n;
    if (n === 0) on.data(chunk, p, p, this.#messageOp, fin);
    if (fin && n === 0) this.#messageOp = 0;
    return p;
  }

  #fail(on: FrameHandler, why: string): void {
    this.#failed = true;
    on.error(why);
  }
}

/**
 * One generated WebSocket user (see the module comment). `hello()` is the HTTP upgrade request;
 * `frame(payloads)` the bytes that send them as chat messages.
 */
export class WsCodec implements BenchCodec {
  readonly name: string;
  readonly dialect: WsDialect;
  readonly #host: string;
  readonly #path: string;
  readonly #key: string;
  readonly #mask: MaskSource;
  /** upgrading -> (101) open -> (dialect's registration) ready. */
  #state: 'upgrading' | 'open' | 'ready' | 'failed' = 'upgrading';
  #handshake = '';
  readonly #reader = new FrameReader();
  readonly #scanner = new MarkerScanner();
  /** A text message being collected whole while registering (charla's hello/welcome, Engine.IO packets). */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** The first bytes of the message being read while chatting, until they tell a history frame or not. */
  readonly #head = Buffer.alloc(HISTORY.length);
  #headLen = 0;
  /** The message being read is a history frame: its markers are not deliveries. */
  #past = false;
  #sink: CodecSink | undefined;
  readonly #handler: FrameHandler;

  constructor(name: string, dialect: WsDialect, host: string, options: { path?: string; key?: string; mask?: MaskSource } = {}) {
    this.name = name;
    this.dialect = dialect;
    this.#host = host;
    this.#path = options.path ?? (dialect === 'sio' ? '/socket.io/?EIO=4&transport=websocket' : dialect === 'ws' ? '/ws' : '/');
    this.#key = options.key ?? randomBytes(16).toString('base64');
    this.#mask = options.mask ?? randomMasks();
    this.#handler = {
      data: (buf, start, end, opcode, last) => this.#data(buf, start, end, opcode, last),
      control: (opcode, payload) => this.#controlFrame(opcode, payload),
      error: (why) => this.#failWith(`WebSocket: ${why}`),
    };
  }

  get state(): 'upgrading' | 'open' | 'ready' | 'failed' {
    return this.#state;
  }

  hello(): string {
    return (
      `GET ${this.#path} HTTP/1.1\r\nHost: ${this.#host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${this.#key}\r\nSec-WebSocket-Version: 13\r\n\r\n`
    );
  }

  /** The wire form of chat messages carrying `payloads`, one frame each, in one buffer. */
  frame(payloads: readonly string[]): Buffer {
    const texts = payloads.map((p) => this.#wrap(p));
    return maskedTextFrames(texts, this.#mask);
  }

  #wrap(payload: string): string {
    switch (this.dialect) {
      case 'ws':
        return `{"type":"line","text":${JSON.stringify(payload)}}`;
      case 'sio':
        return `42["chat message",${JSON.stringify(payload)}]`;
      default:
        return payload;
    }
  }

  push(chunk: Buffer, sink: CodecSink): void {
    this.#sink = sink;
    if (this.#state === 'failed') return;
    if (this.#state === 'upgrading') {
      const rest = this.#upgrade(chunk);
      if (rest === undefined) return;
      chunk = rest;
    }
    this.#reader.push(chunk, this.#handler);
  }

  /** Reads the HTTP answer; returns what follows it in `chunk` once it is complete. */
  #upgrade(chunk: Buffer): Buffer | undefined {
    const before = this.#handshake.length;
    this.#handshake += chunk.toString('latin1');
    const end = this.#handshake.indexOf('\r\n\r\n');
    if (end === -1) {
      if (this.#handshake.length > MAX_HANDSHAKE_BYTES) this.#failWith('the answer to the WebSocket upgrade has no end');
      return undefined;
    }
    const head = this.#handshake.slice(0, end);
    this.#handshake = '';
    const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
    if (status !== '101') {
      this.#failWith(`the WebSocket upgrade was answered ${head.split('\r\n', 1)[0] ?? ''}`);
      return undefined;
    }
    const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
    if (accept !== acceptKey(this.#key)) {
      this.#failWith('the WebSocket upgrade was answered with a wrong Sec-WebSocket-Accept');
      return undefined;
    }
    this.#state = 'open';
    if (this.dialect === 'ws-raw') this.#becomeReady();
    return chunk.subarray(end + 4 - before);
  }

  #data(buf: Buffer, start: number, end: number, opcode: number, last: boolean): void {
    if (opcode !== OP_TEXT) return;
    if (this.#state === 'ready') {
      const sink = this.#sink as CodecSink;
      let from = start;
      if (this.#headLen < HISTORY.length && this.dialect === 'ws') {
        // charla's history frame (the room's past, sent on join): an earlier run's messages.
        from = this.#messageHead(buf, start, end, last);
        if (from < 0) return;
      }
      if (!this.#past) this.#scanner.pushRange(buf, from, end, sink.marker); // the hot path: no subarray per frame
      if (!last) return;
      this.#headLen = 0;
      this.#past = false;
      // A refusal is '{"type":"refusal"...' ('r' at 9; a message has 'm' there).
      if (buf[start + REFUSAL_AT] === REFUSAL_BYTE && this.dialect !== 'ws-raw' && startsWith(buf, start, end, REFUSAL)) sink.note(buf.toString('utf8', start, Math.min(end, start + 190)));
      else if (end - start === 1 && buf[start] === 0x32 && this.dialect === 'sio') this.#reply('3'); // Engine.IO ping
      return;
    }
    this.#pendingBytes += end - start;
    if (this.#pendingBytes > MAX_CONTROL_BYTES) {
      this.#failWith('a registration message too long to be one');
      return;
    }
    this.#pending.push(Buffer.from(buf.subarray(start, end)));
    if (!last) return;
    const text = Buffer.concat(this.#pending).toString('utf8');
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#registering(text);
  }

  /**
   * Holds the first bytes of a message (`HISTORY.length` of them, or all of a shorter one) to
   * tell a history frame; once told, scans what was held unless it is one, and returns where the
   * rest of this piece starts (-1: this piece was all held).
   */
  #messageHead(buf: Buffer, start: number, end: number, last: boolean): number {
    if (this.#headLen === 0 && end - start >= HISTORY.length) {
      // The common case, told in place: 'h' at 9, where a message has 'm'.
      this.#past = buf[start + HISTORY_AT] === HISTORY_BYTE && buf.compare(HISTORY, 0, HISTORY.length, start, start + HISTORY.length) === 0;
      this.#headLen = HISTORY.length;
      return start;
    }
    const take = Math.min(end - start, HISTORY.length - this.#headLen);
    buf.copy(this.#head, this.#headLen, start, start + take);
    this.#headLen += take;
    start += take;
    if (this.#headLen < HISTORY.length && !last) return -1;
    this.#past = this.#headLen === HISTORY.length && this.#head.equals(HISTORY);
    if (!this.#past) this.#scanner.pushRange(this.#head, 0, this.#headLen, (this.#sink as CodecSink).marker);
    if (this.#headLen < HISTORY.length) this.#headLen = HISTORY.length; // a short message: told
    return start;
  }

  #registering(text: string): void {
    if (this.dialect === 'ws') {
      let type: unknown;
      try {
        type = (JSON.parse(text) as { type?: unknown }).type;
      } catch {
        this.#failWith(`not JSON: ${text.slice(0, 80)}`);
        return;
      }
      if (type === 'hello') this.#reply(JSON.stringify({ type: 'join', v: 1, name: this.name }));
      else if (type === 'welcome') this.#becomeReady();
      else if (type === 'refusal') this.#failWith(text);
      return;
    }
    // Engine.IO: "0{...}" open, "40{...}" connected to the namespace, "2" ping, "44..." refused.
    if (text.startsWith('0')) this.#reply('40');
    else if (text.startsWith('40')) this.#becomeReady();
    else if (text === '2') this.#reply('3');
    else if (text.startsWith('44')) this.#failWith(text);
  }

  #controlFrame(opcode: number, payload: Buffer): void {
    if (opcode === OP_PING) (this.#sink as CodecSink).reply(maskedControlFrame(OP_PONG, payload, this.#mask));
    else if (opcode === OP_CLOSE) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.#failWith(`the server closed the WebSocket (${code}${payload.length > 2 ? ` ${payload.toString('utf8', 2)}` : ''})`);
    }
  }

  #reply(text: string): void {
    (this.#sink as CodecSink).reply(maskedTextFrames([text], this.#mask));
  }

  #becomeReady(): void {
    this.#state = 'ready';
    this.#sink?.ready();
  }

  #failWith(line: string): void {
    if (this.#state === 'failed') return;
    this.#state = 'failed';
    this.#sink?.fail(line);
  }
}

const HISTORY = Buffer.from('{"type":"history"', 'latin1');
const HISTORY_AT = 9;
const HISTORY_BYTE = HISTORY[HISTORY_AT] as number;
const REFUSAL = '{"type":"refusal"';
const REFUSAL_AT = REFUSAL.indexOf('refusal');
const REFUSAL_BYTE = REFUSAL.charCodeAt(REFUSAL_AT);
