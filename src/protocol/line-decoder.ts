/**
 * Bytes -> lines, for TCP. A state machine fed chunks as they arrive; it never sees a socket.
 *
 * - A line ends at LF; one CR before the LF is dropped ("\r\n" clients such as telnet).
 * - UTF-8 is decoded per whole line, so a character split across two chunks arrives intact;
 *   invalid bytes become U+FFFD and never throw.
 * - A line longer than `maxLineBytes` is reported once as `too_long` and its bytes are discarded
 *   up to the next LF: the decoder never holds more than `maxLineBytes + 1` bytes, however much a
 *   client sends without a newline.
 * - `flush()` takes the bytes so far as a line without an LF: the seed's own client sends each
 *   message bare, so the transport calls it after a short idle pause. An incomplete UTF-8
 *   sequence at the end stays buffered for the next chunk.
 */

export type DecodeEvent = { kind: 'line'; text: string } | { kind: 'too_long'; limit: number };

const LF = 0x0a;
const CR = 0x0d;

export class LineDecoder {
  readonly maxLineBytes: number;
  /** The start of a line that is not complete yet, in pieces (none: undefined, as for most connections most of the time). */
  #pending: Buffer[] | undefined = undefined;
  #pendingBytes = 0;
  #discarding = false;
  /** crEnds: the last line ended at a CR that was the chunk's last byte; an LF first in the next chunk is its CR LF. */
  #afterCr = false;

  /**
   * A CR ends a line too (IRC: CR-only clients); "\r\n" is still one line end, also when a
   * chunk ends between the CR and the LF (so a CR LF client costs one line per line, not two).
   */
  readonly crEnds: boolean;

  constructor(maxLineBytes: number, crEnds = false) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new RangeError('maxLineBytes must be a positive integer');
    this.maxLineBytes = maxLineBytes;
    this.crEnds = crEnds;
  }

  /** Bytes held that are not yet a line (never more than `maxLineBytes + 1`). */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Feeds one chunk; returns the lines (and over-long reports) completed by it, in order. */
  push(chunk: Uint8Array): DecodeEvent[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const events: DecodeEvent[] = [];
    let start = 0;
    while (start < buf.length) start = this.step(buf, start, events);
    return events;
  }

  /**
   * Feeds `buf` from byte `start` through its next LF only, for a caller that decodes a chunk a
   * line at a time and may keep the rest for later: appends what that completes to `events` (a
   * line, an over-long report, or nothing) and returns the offset just past the LF. With no LF
   * left, the bytes are held as the start of a line and it returns `buf.length`. Stepping through
   * a chunk gives exactly the events of `push`.
   */
  step(buf: Buffer, start: number, events: DecodeEvent[]): number {
    if (this.#afterCr) {
      this.#afterCr = false;
      if (buf[start] === LF) return start + 1; // the LF of a CR LF cut between two chunks
    }
    const lf = this.crEnds ? lineEnd(buf, start) : buf.indexOf(LF, start);
    if (lf === -1) {
      this.#hold(buf, start, buf.length, events);
      return buf.length;
    }
    if (this.#discarding) {
      this.#discarding = false;
    } else {
      this.#finishLine(buf, start, lf, events);
    }
    if (this.crEnds && buf[lf] === CR) {
      if (lf + 1 === buf.length) this.#afterCr = true;
      else if (buf[lf + 1] === LF) return lf + 2;
    }
    return lf + 1;
  }

  /**
   * Takes the buffered bytes as one line, as if an LF had come (for clients that send bare
   * messages). Returns no event when nothing complete is buffered.
   */
  flush(): DecodeEvent[] {
    if (this.#discarding) {
      this.#discarding = false;
      return [];
    }
    if (this.#pendingBytes === 0) return [];
    const all = this.#take();
    const cut = completeUtf8Length(all);
    if (cut < all.length) {
      this.#pending = [all.subarray(cut)];
      this.#pendingBytes = all.length - cut;
    }
    if (cut === 0) return [];
    const events: DecodeEvent[] = [];
    this.#emit(all, 0, cut, events);
    return events;
  }

  /**
   * The input is over: whatever is buffered is the last line, an incomplete UTF-8 sequence at
   * its end included (it becomes U+FFFD).
   */
  end(): DecodeEvent[] {
    const discarding = this.#discarding;
    this.#discarding = false;
    if (discarding || this.#pendingBytes === 0) {
      this.#pending = undefined;
      this.#pendingBytes = 0;
      return [];
    }
    const all = this.#take();
    const events: DecodeEvent[] = [];
    this.#emit(all, 0, all.length, events);
    return events;
  }

  #hold(buf: Buffer, start: number, end: number, events: DecodeEvent[]): void {
    if (this.#discarding) return;
    const bytes = end - start;
    // +1: room for the CR of a "\r\n" line whose content is exactly maxLineBytes.
    if (this.#pendingBytes + bytes > this.maxLineBytes + 1) {
      this.#pending = undefined;
      this.#pendingBytes = 0;
      this.#discarding = true;
      events.push({ kind: 'too_long', limit: this.maxLineBytes });
      return;
    }
    // Copy: the chunk's memory may be reused by the stream once we return.
    (this.#pending ??= []).push(Buffer.from(buf.subarray(start, end)));
    this.#pendingBytes += bytes;
  }

  #finishLine(buf: Buffer, start: number, lf: number, events: DecodeEvent[]): void {
    if (this.#pendingBytes === 0) {
      this.#emit(buf, start, lf, events);
      return;
    }
    if (this.#pendingBytes + (lf - start) > this.maxLineBytes + 1) {
      this.#pending = undefined;
      this.#pendingBytes = 0;
      events.push({ kind: 'too_long', limit: this.maxLineBytes });
      return;
    }
    (this.#pending ??= []).push(buf.subarray(start, lf));
    this.#pendingBytes += lf - start;
    const line = this.#take();
    this.#emit(line, 0, line.length, events);
  }

  #emit(buf: Buffer, start: number, end: number, events: DecodeEvent[]): void {
    if (end > start && buf[end - 1] === CR) end--;
    if (end - start > this.maxLineBytes) {
      events.push({ kind: 'too_long', limit: this.maxLineBytes });
      return;
    }
    events.push({ kind: 'line', text: buf.toString('utf8', start, end) });
  }

  #take(): Buffer {
    const pending = this.#pending ?? [];
    const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, this.#pendingBytes);
    this.#pending = undefined;
    this.#pendingBytes = 0;
    return all;
  }
}

/** The first CR or LF in `buf` from `start`, or -1. */
function lineEnd(buf: Buffer, start: number): number {
  for (let i = start; i < buf.length; i++) {
    const b = buf[i];
    if (b === LF || b === CR) return i;
  }
  return -1;
}

/**
 * The length of `buf` without a trailing UTF-8 sequence that is started but not finished
 * (at most 3 bytes are held back). Invalid bytes count as complete: they decode to U+FFFD.
 */
export function completeUtf8Length(buf: Uint8Array): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = buf[n - back] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead
    const need = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}
