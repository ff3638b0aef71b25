import type { Socket } from 'node:net';
import type { LeaveReason } from '../hub/messages.js';
import type { Peer, TransportKind } from '../hub/peer.js';
import { LineDecoder } from '../protocol/line-decoder.js';

/**
 * A `Peer` over a byte stream (TCP or TLS socket): lines out, framed with LF.
 *
 * Output is batched: `send` appends to this peer's queue and the queues of every peer written in
 * one event-loop turn are flushed together on `setImmediate`, one `write()` per peer per turn
 * instead of one per message. Room notices (`lazy` sends: joins, leaves, renames) may wait up to
 * `LAZY_FLUSH_MS` to share a write with the next ones: when thousands of users join, each user
 * gets its notices in a few writes instead of one write per join. A lazy line never overtakes
 * nor is overtaken by another line: the queue is one FIFO, only its flush time changes. The queue and the socket's own buffer together are bounded by
 * `maxQueuedBytes`: a peer that stops reading is closed as a slow consumer instead of growing
 * the server's memory or holding up anyone else.
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
  /** Whether a flush is scheduled: none, on the lazy timer, or this turn. */
  #scheduled: 0 | 'lazy' | 'now' = 0;

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

  /** Bytes waiting in this peer's queue plus the socket's write buffer. */
  get queuedBytes(): number {
    return this.#queuedBytes + this.socket.writableLength;
  }

  send(line: string, lazy = false): void {
    if (this.#closed) return;
    const data = encodeLine(line);
    if (this.#queuedBytes + this.socket.writableLength + data.length > this.maxQueuedBytes) {
      this.close('slow');
      return;
    }
    this.#queue.push(data);
    this.#queuedBytes += data.length;
    if (this.#scheduled === 'now') return;
    if (!lazy) {
      this.#scheduled = 'now';
      dirty.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushDirty);
      }
    } else if (this.#scheduled === 0) {
      this.#scheduled = 'lazy';
      lazyDirty.push(this);
      lazyTimer ??= setTimeout(flushLazy, lazyFlushMs());
    }
  }

  /** Writes the queued lines with one `write()`. Called by the flush schedulers. */
  flush(): void {
    this.#scheduled = 0;
    const queue = this.#queue;
    if (queue.length === 0 || this.socket.destroyed) return;
    const data = queue.length === 1 ? (queue[0] as Buffer) : concatShared(queue, this.#queuedBytes);
    queue.length = 0;
    this.#queuedBytes = 0;
    this.socket.write(data);
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
  }
}

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

let lazyDirty: StreamPeer[] = [];
let lazyTimer: NodeJS.Timeout | undefined;

function flushLazy(): void {
  const peers = lazyDirty;
  lazyDirty = [];
  lazyTimer = undefined;
  // A peer flushed this turn in the meantime has an empty queue: flush() is then a no-op.
  for (const peer of peers) peer.flush();
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
