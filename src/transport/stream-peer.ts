import type { Socket } from 'node:net';
import type { LeaveReason } from '../hub/messages.js';
import type { Peer, TransportKind } from '../hub/peer.js';
import { LineDecoder } from '../protocol/line-decoder.js';

/**
 * A `Peer` over a byte stream (TCP or TLS socket): lines out, framed with LF.
 *
 * Output is batched: `send` appends to this peer's queue and the queues of every peer written in
 * one event-loop turn are flushed together on `setImmediate`, one `write()` per peer per turn
 * instead of one per message. Room notices (`lazy` sends: joins, leaves, renames) go to a notice
 * window shared by every peer and are written up to `lazyFlushMs()` later: each peer only notes
 * which of the window's notices it was sent, so a join costs O(1) memory however many users
 * hear it, and when thousands of users join, each user gets its notices in a few writes (most
 * of them one shared buffer) instead of one write per join. A notice never overtakes nor is
 * overtaken by another line: a chat line sent while notices are pending takes them with it.
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
  /** This connection's input framing; holds at most `maxLineBytes + 1` undelivered bytes. */
  readonly decoder: LineDecoder;
  /** Why the connection ended, when the server ended it (reported to the hub on 'close'). */
  closeReason: LeaveReason | undefined;
  readonly #remotePort: number;
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #closed = false;
  /** A flush is scheduled for this turn. */
  #dirty = false;
  /** The notices of the window this peer was sent: seqs #lazyFrom..#lazyLast but #lazySkips. */
  #lazyFrom = -1;
  #lazyLast = -1;
  /** Seqs in #lazyFrom..#lazyLast this peer was not sent (it was the one the notice was about). */
  #lazySkips: number[] | undefined;
  #lazyBytes = 0;

  constructor(socket: Socket, transport: TransportKind, maxQueuedBytes: number, maxLineBytes: number) {
    this.socket = socket;
    this.transport = transport;
    this.address = normalizeAddress(socket.remoteAddress ?? '?');
    this.#remotePort = socket.remotePort ?? 0;
    this.maxQueuedBytes = maxQueuedBytes;
    this.decoder = new LineDecoder(maxLineBytes);
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
    return this.#queuedBytes + this.#lazyBytes + this.socket.writableLength;
  }

  send(line: string, lazy = false): void {
    if (this.#closed) return;
    if (lazy) {
      this.#sendNotice(line);
      return;
    }
    const data = encodeLine(line);
    if (this.#overBound(data.length)) {
      this.close('slow');
      return;
    }
    if (this.#lazyFrom >= 0) this.#takeNotices(); // pending notices go first
    this.#queue.push(data);
    this.#queuedBytes += data.length;
    if (this.#dirty) return;
    this.#dirty = true;
    dirty.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushDirty);
    }
  }

  /** Would `bytes` more take this peer past its bound (see the class comment)? */
  #overBound(bytes: number): boolean {
    const pending = this.#queuedBytes + this.#lazyBytes + bytes;
    const unsent = this.socket.writableLength;
    if (pending + unsent <= this.maxQueuedBytes) return false;
    return unsent > 0 || pending > this.maxQueuedBytes * BURST_FACTOR;
  }

  #sendNotice(line: string): void {
    const seq = noticeSeq(line, this.#lazyLast);
    const size = noticeAt(seq).length;
    if (this.#overBound(size)) {
      this.close('slow');
      return;
    }
    if (this.#lazyFrom < 0) {
      this.#lazyFrom = seq;
      lazyDirty.push(this);
    } else if (seq > this.#lazyLast + 1) {
      const skips = (this.#lazySkips ??= []);
      for (let s = this.#lazyLast + 1; s < seq; s++) skips.push(s);
    }
    this.#lazyLast = seq;
    this.#lazyBytes += size;
  }

  /** Moves the pending notices into the queue, in order. */
  #takeNotices(): void {
    const skips = this.#lazySkips;
    let k = 0;
    for (let s = this.#lazyFrom; s <= this.#lazyLast; s++) {
      if (skips !== undefined && skips[k] === s) {
        k++;
        continue;
      }
      this.#queue.push(noticeAt(s));
    }
    this.#queuedBytes += this.#lazyBytes;
    this.#clearNotices();
  }

  #clearNotices(): void {
    this.#lazyFrom = -1;
    this.#lazyLast = -1;
    this.#lazySkips = undefined;
    this.#lazyBytes = 0;
  }

  /** Writes the queued lines with one `write()`. Called by the flush scheduler. */
  flush(): void {
    this.#dirty = false;
    if (this.#lazyFrom >= 0) this.#takeNotices();
    const queue = this.#queue;
    if (queue.length === 0 || this.socket.destroyed) return;
    const data = queue.length === 1 ? (queue[0] as Buffer) : concatShared(queue, this.#queuedBytes);
    queue.length = 0;
    this.#queuedBytes = 0;
    this.socket.write(data);
  }

  /**
   * The notice window is being written. A peer that was sent every notice of it and has nothing
   * else queued gets `all`, one buffer shared by all such peers; others get their own selection.
   */
  flushNotices(all: () => Buffer): void {
    if (this.#lazyFrom < 0 || this.#closed || this.socket.destroyed) return;
    if (this.#lazyFrom === windowBase && this.#lazyLast === windowBase + windowNotices.length - 1 && this.#lazySkips === undefined && this.#queue.length === 0) {
      this.#clearNotices();
      this.socket.write(all());
      return;
    }
    this.flush();
  }

  close(reason: LeaveReason): void {
    if (this.#closed) return;
    this.#closed = true;
    livePeers--;
    this.closeReason ??= reason;
    if (reason === 'slow' || reason === 'connection_lost' || reason === 'error') {
      // Nothing more can be delivered (or it is what we are protecting against): drop the queue.
      this.#queue = [];
      this.#queuedBytes = 0;
      this.#clearNotices();
      this.socket.destroy();
      return;
    }
    this.flush();
    this.socket.end();
    this.socket.resume(); // a peer paused by the rate limit must still read the FIN to close
    // A peer that never reads its goodbye must not hold the socket open forever.
    const timer = setTimeout(() => this.socket.destroy(), END_GRACE_MS);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  /** Marks the peer closed because the socket itself ended (no more sends). */
  markClosed(): void {
    if (!this.#closed) livePeers--;
    this.#closed = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#clearNotices();
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

/**
 * How long a room notice may wait for company before it is written: 20 ms in a classroom,
 * growing with the number of users (a 5,000-user join storm batches ~250 ms of joins per
 * write) up to half a second. Nobody notices a join notice that late; the server notices
 * N writes per join.
 */
export function lazyFlushMs(users = livePeers): number {
  return Math.min(500, Math.max(20, Math.round(users / 20)));
}

// --- the notice window: room notices shared by every peer, written together ---

/** The window's notices, encoded once; seq `windowBase + i` is `windowNotices[i]`. */
let windowNotices: Buffer[] = [];
let windowBase = 0;
let lastNoticeLine: string | undefined;
let lastNoticeSeq = -1;
let lazyDirty: StreamPeer[] = [];
let lazyTimer: NodeJS.Timeout | undefined;

/**
 * The seq of the notice `line` for a peer whose last notice was `peerLast`. A broadcast hands
 * the same string to every receiver in a row, so it is one entry; the same text sent again to a
 * peer that already has it is a new broadcast, and a new entry.
 */
function noticeSeq(line: string, peerLast: number): number {
  if (line === lastNoticeLine && lastNoticeSeq >= windowBase && peerLast !== lastNoticeSeq) return lastNoticeSeq;
  windowNotices.push(Buffer.from(`${line}\n`, 'utf8'));
  lastNoticeLine = line;
  lastNoticeSeq = windowBase + windowNotices.length - 1;
  lazyTimer ??= setTimeout(flushLazy, lazyFlushMs());
  return lastNoticeSeq;
}

function noticeAt(seq: number): Buffer {
  return windowNotices[seq - windowBase] as Buffer;
}

function flushLazy(): void {
  const peers = lazyDirty;
  lazyDirty = [];
  lazyTimer = undefined;
  let all: Buffer | undefined;
  const allNotices = (): Buffer => (all ??= Buffer.concat(windowNotices));
  for (const peer of peers) peer.flushNotices(allNotices);
  // Every peer holding notices of this window was in `peers` (a peer joins the list with its
  // first notice), so the window can start afresh.
  windowBase += windowNotices.length;
  windowNotices = [];
}

// --- one concatenation for all the peers that are sent the same lines ---

let sharedParts: Buffer[] = [];
let sharedData: Buffer | undefined;

/**
 * `Buffer.concat(parts)`, reusing the last result when `parts` are the very same buffers: in one
 * flush most peers were sent exactly the same broadcasts (all but their own), so most share one
 * copy instead of each making its own. Compares references only, O(parts).
 */
function concatShared(parts: Buffer[], bytes: number): Buffer {
  if (sharedData !== undefined && sharedData.length === bytes && sharedParts.length === parts.length) {
    let same = true;
    for (let i = 0; i < parts.length; i++) {
      if (parts[i] !== sharedParts[i]) {
        same = false;
        break;
      }
    }
    if (same) return sharedData;
  }
  sharedData = Buffer.concat(parts, bytes);
  sharedParts = parts.slice();
  return sharedData;
}

// --- encode each broadcast line once, not once per receiver ---

let lastLine = '';
let lastData = Buffer.from('\n');

/**
 * `line + "\n"` as UTF-8. A broadcast hands the same string to every receiver in a row, so the
 * last result is kept: one encoding per message instead of one per delivery.
 */
export function encodeLine(line: string): Buffer {
  if (line !== lastLine) {
    lastLine = line;
    lastData = Buffer.from(`${line}\n`, 'utf8');
  }
  return lastData;
}

/** "::ffff:127.0.0.1" (an IPv4 client on a dual-stack socket) -> "127.0.0.1". */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** "127.0.0.1:5000", "[::1]:5000". */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
