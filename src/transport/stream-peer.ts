import type { Socket } from 'node:net';
import { isOneLine, lineEncoder, type RenderedLine } from '../encode/line.js';
import type { ChatEvent } from '../hub/events.js';
import type { Lang, LeaveReason } from '../hub/messages.js';
import type { Peer, TransportKind } from '../hub/peer.js';
import { LineDecoder } from '../protocol/line-decoder.js';
import { type JoinedNotices, lazyFlushMs as lazyFlushMsFor, NoticeWindow, PendingNotices } from './notice-window.js';

/**
 * A `Peer` over a byte stream (TCP or TLS socket): lines out, framed with LF.
 *
 * Output is batched: every line is encoded once, into a shared output arena (see `encodeLine`),
 * and `send` only extends this peer's slice of it; the peers written in one event-loop turn are
 * flushed together on `setImmediate`, one `write()` per peer per turn instead of one per message.
 * A broadcast costs one encoding and, per receiver, a few integer updates and its share of one
 * write: receivers sent the same run of lines write the very same bytes, nothing is copied.
 * Room notices (`lazy` sends: joins, leaves, renames) go to a notice window shared by every peer
 * (notice-window.ts) and are written up to `lazyFlushMs()` later: each peer only notes which of
 * the window's notices it was sent, so a join costs O(1) memory however many users hear it,
 * and when thousands of users join, each user writes slices of one buffer holding the whole
 * window instead of one write per join. A notice never overtakes nor is overtaken by another line: a chat line sent
 * while notices are pending takes them with it.
 *
 * The queue and the socket's own buffer together are bounded by `maxQueuedBytes`: a peer that
 * stops reading is closed as a slow consumer instead of growing the server's memory or holding
 * up anyone else. A peer whose socket has taken everything written so far is keeping up: for it
 * one event-loop turn's batch may grow to `BURST_FACTOR` times the bound before it is cut, so a
 * burst addressed to a fast reader (many users writing to it in the same turn) is not mistaken
 * for slowness.
 */
export class StreamPeer implements Peer {
  readonly transport: TransportKind;
  readonly address: string;
  readonly socket: Socket;
  readonly maxQueuedBytes: number;
  /** The language of this peer's lines (the server's `--lang`). */
  readonly lang: Lang;
  /** `--max-line-bytes`: the longest line read, and the bound for long replies (see Peer). */
  readonly maxLineBytes: number;
  /** This connection's input framing; holds at most `maxLineBytes + 1` undelivered bytes. */
  readonly decoder: LineDecoder;
  /** Why the connection ended, when the server ended it (reported to the hub on 'close'). */
  closeReason: LeaveReason | undefined;
  readonly #remotePort: number;
  /** The line encoder's last line in this peer's language (LineEncoder.last). */
  readonly #rendered: RenderedLine;
  /** Closed pieces of output, in order: arena slices and notice buffers (none yet: undefined). */
  #pieces: Buffer[] | undefined = undefined;
  /** The open piece: `#openArena[#openStart, #openEnd)`, extended while lines come in a row. */
  #openArena: Buffer | undefined;
  #openStart = 0;
  #openEnd = 0;
  #queuedBytes = 0;
  #closed = false;
  /** A flush is scheduled for this turn. */
  #dirty = false;
  /**
   * The notices of the window this peer was sent and has not written yet; made for a window and
   * dropped once written, so an idle user holds none.
   */
  #notices: PendingNotices | undefined = undefined;
  /**
   * The socket's `writableLength` right after this peer's last write: an upper bound on what it
   * holds now, since only this peer's writes add to it and the kernel only takes from it. While
   * it leaves room under the bound, `#overBound` need not read the socket at all (two more
   * objects touched per receiver per line, in a broadcast to thousands).
   */
  #unsentCap = 0;

  constructor(socket: Socket, transport: TransportKind, maxQueuedBytes: number, maxLineBytes: number, lang: Lang = 'es', decoder?: LineDecoder) {
    this.socket = socket;
    this.transport = transport;
    this.lang = lang;
    this.#rendered = lineEncoder.last(lang);
    this.address = normalizeAddress(socket.remoteAddress ?? '?');
    this.#remotePort = socket.remotePort ?? 0;
    this.maxQueuedBytes = maxQueuedBytes;
    this.maxLineBytes = maxLineBytes;
    this.decoder = decoder ?? new LineDecoder(maxLineBytes);
    livePeers++;
  }

  /** "tcp 127.0.0.1:53122" (made when asked: only logs need it). */
  get id(): string {
    return `${this.transport} ${formatHostPort(this.address, this.#remotePort)}`;
  }

  /** True once `close` was called or the socket ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes waiting for this peer (queue and pending notices) plus the socket's write buffer. */
  get queuedBytes(): number {
    return this.#queuedBytes + (this.#notices?.bytes ?? 0) + this.socket.writableLength;
  }

  /** Renders `event` as lines (the line encoder renders a broadcast once for all its receivers) and queues them. */
  deliver(event: ChatEvent): void {
    const last = this.#rendered;
    if (last.event === event) {
      this.send(last.line, last.notice); // a broadcast's receivers after the first
      return;
    }
    this.#render(event);
  }

  /** `deliver` of an event not rendered yet in this peer's language: kept apart so that `deliver` stays small enough to inline into a broadcast's loop. */
  #render(event: ChatEvent): void {
    if (isOneLine(event)) {
      lineEncoder.line(event, this.lang);
      this.send(this.#rendered.line, this.#rendered.notice);
      return;
    }
    for (const line of lineEncoder.lines(event, this.lang, this.maxLineBytes)) this.send(line);
  }

  /** Queues one line (no terminator: LF is added). A `lazy` line (a room notice) goes through the notice window. */
  send(line: string, lazy = false): void {
    if (this.#closed) return;
    if (lazy) {
      this.#sendNotice(line);
      return;
    }
    encodeLine(line);
    const bytes = encodedEnd - encodedStart;
    if (this.#overBound(bytes)) {
      this.close('slow');
      return;
    }
    if (this.#notices !== undefined) this.#takeNotices(); // pending notices go first
    if (encodedArena === this.#openArena && encodedStart === this.#openEnd) {
      this.#openEnd = encodedEnd; // the next line of the same run: most sends end here
    } else {
      this.#closePiece();
      this.#openArena = encodedArena;
      this.#openStart = encodedStart;
      this.#openEnd = encodedEnd;
    }
    this.#queuedBytes += bytes;
    if (this.#dirty) return;
    this.#dirty = true;
    dirty.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushDirty);
    }
  }

  #closePiece(): void {
    if (this.#openArena === undefined) return;
    (this.#pieces ??= []).push(this.#openArena.subarray(this.#openStart, this.#openEnd));
    this.#openArena = undefined;
  }

  /** Would `bytes` more take this peer past its bound (see the class comment)? */
  #overBound(bytes: number): boolean {
    const pending = this.#queuedBytes + (this.#notices?.bytes ?? 0) + bytes;
    if (pending + this.#unsentCap <= this.maxQueuedBytes) return false; // surely within: see #unsentCap
    const unsent = this.socket.writableLength;
    if (pending + unsent <= this.maxQueuedBytes) return false;
    return unsent > 0 || pending > this.maxQueuedBytes * BURST_FACTOR;
  }

  #sendNotice(line: string): void {
    const seq = lineWindow.seq(line, this.#notices?.last ?? -1);
    const size = lineWindow.sizeOf(seq);
    if (this.#overBound(size)) {
      this.close('slow');
      return;
    }
    lineWindow.note((this.#notices ??= new PendingNotices()), this, seq, size);
  }

  /** Moves the pending notices into the queue, in order. */
  #takeNotices(): void {
    this.#closePiece();
    this.#queuedBytes += lineWindow.take(this.#notices as PendingNotices, (this.#pieces ??= []));
    this.#notices = undefined;
  }

  /**
   * Writes what is queued with one `write()` (one `writev()` when it is in several pieces).
   * Called by the flush scheduler. A socket that has not taken everything written before gets
   * a copy instead of arena slices: a slice waiting in a socket's buffer keeps its whole arena
   * alive, so a slow reader pins at most the one arena its last direct write was cut from.
   */
  flush(): void {
    this.#dirty = false;
    if (this.#notices !== undefined) this.#takeNotices();
    const { socket } = this;
    const bytes = this.#queuedBytes;
    if (bytes === 0 || socket.destroyed) return;
    const pieces = this.#pieces;
    const backedUp = socket.writableLength > 0;
    this.#queuedBytes = 0;
    if (pieces === undefined || pieces.length === 0) {
      const arena = this.#openArena as Buffer;
      this.#openArena = undefined;
      const data = arena.subarray(this.#openStart, this.#openEnd);
      socket.write(backedUp ? Buffer.from(data) : data);
      this.#unsentCap = socket.writableLength;
      return;
    }
    this.#closePiece();
    this.#pieces = undefined;
    this.#writeAll(pieces, backedUp || bytes <= COPY_BELOW_BYTES);
  }

  /**
   * The notice window is being written: `window()` is all its notices in one buffer, made once
   * for every peer. This peer writes the runs of it that it was sent (all of it, usually, or all
   * but its own join), as slices of that one buffer: a join storm of thousands of users costs each
   * user one write of shared bytes, not one buffer per notice.
   */
  flushNotices(window: () => JoinedNotices): void {
    const notices = this.#notices;
    if (notices === undefined || this.#closed || this.socket.destroyed) return;
    if (this.#queuedBytes > 0) {
      this.flush(); // chat lines are queued behind the notices: all go together, in order
      return;
    }
    const joined = window();
    this.#notices = undefined;
    this.#write(lineWindow.runs(notices, joined), joined.data);
  }

  /**
   * Writes `pieces`, slices of `shared`, with one write (a `writev()` for several). A socket that
   * is backed up gets a copy, unless it is all of `shared` (which every such peer shares anyway).
   */
  #write(pieces: Buffer[], shared: Buffer): void {
    const { socket } = this;
    if (pieces.length === 1) {
      const piece = pieces[0] as Buffer;
      socket.write(piece.length < shared.length && socket.writableLength > 0 ? Buffer.from(piece) : piece);
      this.#unsentCap = socket.writableLength;
    } else {
      this.#writeAll(pieces, socket.writableLength > 0);
    }
  }

  /** Several pieces in one write: a copy of them all (`copy`), or one `writev()` of the pieces. */
  #writeAll(pieces: Buffer[], copy: boolean): void {
    const { socket } = this;
    if (copy) socket.write(Buffer.concat(pieces));
    else {
      socket.cork();
      for (const piece of pieces) socket.write(piece);
      socket.uncork();
    }
    this.#unsentCap = socket.writableLength;
  }

  close(reason: LeaveReason): void {
    if (this.#closed) return;
    this.#closed = true;
    livePeers--;
    this.closeReason ??= reason;
    if (reason === 'slow' || reason === 'connection_lost' || reason === 'error') {
      // Nothing more can be delivered (or it is what we are protecting against): drop the queue.
      this.#dropQueue();
      const words = this.lastWords(reason);
      if (words === undefined) {
        this.socket.destroy();
        return;
      }
      // A protocol that says why (IRC's "ERROR :SendQ exceeded"): one short line after what the
      // socket already holds, then the socket goes, read or not.
      this.socket.end(words);
      this.#destroyLater();
      return;
    }
    this.flush();
    this.socket.end();
    this.socket.resume(); // a peer paused by the rate limit must still read the FIN to close
    this.#destroyLater();
  }

  /** A peer that never reads its goodbye must not hold the socket open forever. */
  #destroyLater(): void {
    const timer = setTimeout(() => this.socket.destroy(), END_GRACE_MS);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  /**
   * The bytes a protocol writes when the server drops a connection it can no longer serve
   * (`slow`, `connection_lost`, `error`), or undefined to just drop it (the line protocol: a
   * stalled reader would not read them anyway). IRC's peer says `ERROR :SendQ exceeded`.
   */
  lastWords(_reason: LeaveReason): string | undefined {
    return undefined;
  }

  /** Marks the peer closed because the socket itself ended (no more sends). */
  markClosed(): void {
    if (!this.#closed) livePeers--;
    this.#closed = true;
    this.#dropQueue();
  }

  #dropQueue(): void {
    this.#pieces = undefined;
    this.#openArena = undefined;
    this.#queuedBytes = 0;
    this.#notices = undefined;
  }
}

/** How far past its bound one turn's batch may go for a peer that is keeping up. */
const BURST_FACTOR = 8;

/** How long a closed peer may take to read its last lines before the socket is destroyed. */
const END_GRACE_MS = 5000;

// --- one flush per event-loop turn for every peer written to in that turn ---

let dirty: StreamPeer[] = [];
let flushScheduled = false;

function flushDirty(): void {
  const peers = dirty;
  dirty = [];
  flushScheduled = false;
  for (const peer of peers) peer.flush();
}

/** Open stream peers in this process: the lazy window grows with the room. */
let livePeers = 0;

/** How long a room notice may wait for company: see notice-window.ts (by default, for this process's stream peers). */
export function lazyFlushMs(users = livePeers): number {
  return lazyFlushMsFor(users);
}

/** Room notices of every stream peer: `line + "\n"`, keyed by the line string. */
const lineWindow = new NoticeWindow<string>(encodeNotice, () => livePeers);

function encodeNotice(line: string): Buffer {
  return Buffer.from(`${line}\n`, 'utf8');
}

/**
 * Resolves once the notice window pending now, if any, has been written: its timer is the one
 * timer a server keeps for a moment after the room goes quiet (tests that count timers wait).
 */
export function noticesFlushed(): Promise<void> {
  return lineWindow.flushed();
}

// --- the output arena: each line encoded once, every receiver writes slices of it ---

/** Size of one output arena. Lines bigger than a quarter of it get a buffer of their own. */
const ARENA_BYTES = 64 * 1024;

/**
 * Below this many bytes a peer's pieces are copied into one buffer rather than written with
 * `writev()`: a copy of a few hundred bytes is cheaper than corking the socket.
 */
const COPY_BELOW_BYTES = 1024;

let arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
let arenaUsed = 0;
let lastLine: string | undefined;

/** Where `encodeLine` put its line: `encodedArena[encodedStart, encodedEnd)`. */
let encodedArena = arena;
let encodedStart = 0;
let encodedEnd = 0;

/**
 * Encodes `line + "\n"` as UTF-8 at the end of the output arena and leaves where in
 * `encodedArena/Start/End` (module state rather than a returned object: this runs once per
 * delivery). A broadcast hands the same string to every receiver in a row, so the same line
 * again is the same bytes: one encoding per message, not per delivery, and consecutive lines
 * are consecutive bytes, which is what lets a receiver's run of lines be one slice. Bytes once
 * written are never overwritten: a full arena is left to the sockets still writing from it
 * and to the garbage collector, and a new one started.
 */
export function encodeLine(line: string): void {
  if (line === lastLine) return;
  lastLine = line;
  let room = ARENA_BYTES - arenaUsed;
  // A UTF-16 code unit takes at most 3 UTF-8 bytes: most lines need no exact count.
  if (line.length * 3 + 1 > room) {
    const bytes = Buffer.byteLength(line, 'utf8') + 1;
    if (bytes > ARENA_BYTES / 4) {
      encodedArena = Buffer.from(`${line}\n`, 'utf8');
      encodedStart = 0;
      encodedEnd = bytes;
      return;
    }
    if (bytes > room) {
      arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
      arenaUsed = 0;
      room = ARENA_BYTES;
    }
  }
  const start = arenaUsed;
  const end = start + arena.write(line, start, room, 'utf8');
  arena[end] = 0x0a;
  arenaUsed = end + 1;
  encodedArena = arena;
  encodedStart = start;
  encodedEnd = end + 1;
}

/** "::ffff:127.0.0.1" (an IPv4 client on a dual-stack socket) -> "127.0.0.1". */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** "127.0.0.1:5000", "[::1]:5000". */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
