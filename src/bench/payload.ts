/**
 * The load generator's payload: a fixed 32-byte marker, then 'x' padding.
 *
 *     ~SSSS.QQQQQQQQ.TTTTTTTTTTTTTTTT~xxxxxxxx...
 *
 * S is the sender's index (4 hex digits), Q its sequence number (8) and T the send time in ns on
 * the monotonic clock (16), all lowercase hex. The format is the reference generator's
 * (../shared/bench/loadgen), byte for byte, so either tool can read the other's messages.
 *
 * Receivers do not split lines: they look for markers anywhere in the byte stream, so whatever a
 * server puts around a message ("ana: ", ":nick!user@host PRIVMSG #chan :", or nothing at all
 * between two messages, as the seed does) every marker is found once. Pure code: no sockets.
 */

/** Bytes in a marker, both '~' included. */
export const MARKER_BYTES = 32;
/** Largest payload the generator sends (the reference's bound). */
export const MAX_PAYLOAD_BYTES = 3000;
/** Most senders (4 hex digits). */
export const MAX_SENDERS = 0xffff;

const TILDE = 0x7e;
const DOT = 0x2e;
const TWO_POW_32 = 4294967296;

/** One marker found in a stream. `sentNs` is exact below 2^53 ns (104 days of uptime). */
export interface Marker {
  sender: number;
  seq: number;
  sentNs: number;
}

/** `n` as `digits` lowercase hex digits (n must fit). */
function hex(n: number, digits: number): string {
  return n.toString(16).padStart(digits, '0');
}

/**
 * The payload of message `seq` of sender `sender`, sent at `sentNs`: `size` bytes (at least the
 * marker), no line terminator.
 */
export function encodePayload(sender: number, seq: number, sentNs: number, size: number): string {
  const hi = Math.floor(sentNs / TWO_POW_32);
  const lo = sentNs - hi * TWO_POW_32;
  const marker = `~${hex(sender, 4)}.${hex(seq, 8)}.${hex(hi, 8)}${hex(lo, 8)}~`;
  return size > MARKER_BYTES ? marker + padding(size - MARKER_BYTES) : marker;
}

let pad = '';
function padding(n: number): string {
  if (pad.length < n) pad = 'x'.repeat(Math.max(n, MAX_PAYLOAD_BYTES));
  return pad.slice(0, n);
}

/** Value of a lowercase hex digit, or -1. */
function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  return -1;
}

/** `digits` hex digits at `at` (at most 8, so the value fits a small integer), or -1. */
function parseHex(buf: Uint8Array, at: number, digits: number): number {
  let v = 0;
  for (let k = 0; k < digits; k++) {
    const h = hexValue(buf[at + k] as number);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

/**
 * Parses the marker that starts at `at` (a '~' with at least 32 bytes after it, counting it) into
 * `out`. Returns false when those bytes are not a marker.
 */
export function parseMarkerAt(buf: Uint8Array, at: number, out: Marker): boolean {
  if (buf[at] !== TILDE || buf[at + 5] !== DOT || buf[at + 14] !== DOT || buf[at + 31] !== TILDE) return false;
  const sender = parseHex(buf, at + 1, 4);
  const seq = parseHex(buf, at + 6, 8);
  const hi = parseHex(buf, at + 15, 8);
  const lo = parseHex(buf, at + 23, 8);
  if (sender < 0 || seq < 0 || hi < 0 || lo < 0) return false;
  out.sender = sender;
  out.seq = seq;
  out.sentNs = hi * TWO_POW_32 + lo;
  return true;
}

/**
 * Finds every marker in `buf[start, end)`, calling `found` for each (the `Marker` object is
 * reused: copy what you keep). Returns the offset from which the bytes must be kept for the next
 * chunk: a '~' with fewer than 32 bytes after it may be the start of a marker split across reads.
 */
export function scanMarkers(buf: Uint8Array, start: number, end: number, found: (m: Marker) => void, scratch: Marker = { sender: 0, seq: 0, sentNs: 0 }): number {
  let i = start;
  const b = buf as Buffer;
  while (i < end) {
    const p = b.indexOf(TILDE, i);
    if (p === -1 || p >= end) return end;
    if (end - p < MARKER_BYTES) return p;
    if (parseMarkerAt(buf, p, scratch)) {
      found(scratch);
      i = p + MARKER_BYTES;
    } else {
      i = p + 1;
    }
  }
  return end;
}

/**
 * Marker scanning over a stream of chunks for one connection: keeps the (at most 31) bytes of a
 * marker cut by a read boundary and finds it when the rest arrives. Only those few bytes are
 * copied, never a whole chunk.
 */
export class MarkerScanner {
  #carry: Buffer = Buffer.alloc(0);
  readonly #scratch: Marker = { sender: 0, seq: 0, sentNs: 0 };

  /** Bytes held from the last chunk (a possibly cut marker). */
  get carriedBytes(): number {
    return this.#carry.length;
  }

  /** Feeds one chunk; `found` is called for every complete marker, in stream order. */
  push(chunk: Buffer, found: (m: Marker) => void): void {
    this.pushRange(chunk, 0, chunk.length, found);
  }

  /** Feeds `buf[from, end)` as the next chunk (no subarray made for it: a WebSocket frame's payload in a read). */
  pushRange(buf: Buffer, from: number, end: number, found: (m: Marker) => void): void {
    let start = from;
    const carry = this.#carry;
    if (carry.length > 0) {
      // The carry starts with '~'. Join it with just enough of the chunk to finish that marker.
      const head = Buffer.concat([carry, buf.subarray(from, Math.min(end, from + MARKER_BYTES - 1))]);
      let i = 0;
      while (i < carry.length) {
        const p = head.indexOf(TILDE, i);
        if (p === -1 || p >= carry.length) break;
        if (head.length - p < MARKER_BYTES) {
          // Still cut (a tiny chunk): keep it all for the next one.
          this.#carry = Buffer.concat([carry.subarray(p), buf.subarray(from, end)]);
          return;
        }
        if (parseMarkerAt(head, p, this.#scratch)) {
          found(this.#scratch);
          i = p + MARKER_BYTES;
          start = from + i - carry.length;
        } else {
          i = p + 1;
        }
      }
      this.#carry = EMPTY;
    }
    const keep = scanMarkers(buf, start, end, found, this.#scratch);
    if (keep < end) this.#carry = Buffer.from(buf.subarray(keep, end)); // copy: the chunk is reused
  }
}

const EMPTY = Buffer.alloc(0);
