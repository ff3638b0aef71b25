/**
 * The notice window: room notices (joins, leaves, moves, renames) encoded once and shared by
 * every peer of one wire format, written together up to `lazyFlushMs()` later.
 *
 * Each peer only notes which of the window's notices it was sent (`PendingNotices`: a range of
 * seqs minus the ones it was skipped for, usually its own join), so a notice costs O(1) memory
 * however many users hear it; when the window is written, every peer writes slices of one buffer
 * holding the whole window, instead of one write per notice. When thousands of users join, that
 * is one write per user per window instead of one per user per join: O(N) writes, not O(N^2).
 *
 * A notice is keyed by the identity of what the peer was handed (the line string for StreamPeer,
 * the frame Buffer for WsPeer): a broadcast hands the same key to every receiver (one per
 * language: the last two keys are remembered), so it is one entry per language; the same key
 * handed again to a peer that already has it is a new broadcast, and a new entry. `encode` turns a new key into its bytes (a line and its LF; a frame is its own bytes).
 *
 * The peers keep the order of their output themselves: a peer that sends anything else while it
 * has notices pending takes them first (`take`), so a notice never overtakes nor is overtaken.
 */

/** A window's notices in one buffer: notice `base + i` is `data[offsets[i], offsets[i + 1])`. */
export interface JoinedNotices {
  data: Buffer;
  offsets: number[];
  base: number;
}

/** A peer with notices in a window: written when the window is (see NoticeWindow.flush). */
export interface NoticeHolder {
  /** Writes this peer's pending notices; `joined()` is the window in one buffer, made once for all. */
  flushNotices(joined: () => JoinedNotices): void;
}

/** One peer's notices of the window: seqs `from..last` but `skips`, `bytes` in all. */
export class PendingNotices {
  from = -1;
  last = -1;
  /** Seqs in from..last this peer was not sent (it was the one the notice was about), ascending. */
  skips: number[] | undefined = undefined;
  bytes = 0;

  clear(): void {
    this.from = -1;
    this.last = -1;
    this.skips = undefined;
    this.bytes = 0;
  }
}

/**
 * How long a room notice may wait for company before it is written: 20 ms in a classroom,
 * growing with the number of users (a 5,000-user join storm batches ~250 ms of joins per
 * write) up to half a second. Nobody notices a join notice that late; the server notices
 * N writes per join.
 */
export function lazyFlushMs(users: number): number {
  return Math.min(500, Math.max(20, Math.round(users / 20)));
}

/** The shared notices of one wire format, and the one timer that writes them. */
export class NoticeWindow<K> {
  /** The window's notices; seq `#base + i` is `#notices[i]`. */
  #notices: Buffer[] = [];
  #base = 0;
  // The last two keys and their seqs: a broadcast to a room of two languages alternates two keys.
  #lastKey: K | undefined;
  #lastSeq = -1;
  #prevKey: K | undefined;
  #prevSeq = -1;
  #holders: NoticeHolder[] = [];
  #timer: NodeJS.Timeout | undefined;
  #waiters: (() => void)[] = [];
  readonly #encode: (key: K) => Buffer;
  readonly #users: () => number;
  readonly #onTimer = (): void => this.flush();

  /** `encode`: a new notice's bytes; `users`: how many peers may hear notices (sets the delay). */
  constructor(encode: (key: K) => Buffer, users: () => number) {
    this.#encode = encode;
    this.#users = users;
  }

  /**
   * The seq of notice `key` for a peer whose last notice was `peerLast` (a new entry unless it is
   * the broadcast in progress). Then `sizeOf(seq)` tells its bytes, and `note` records it.
   */
  seq(key: K, peerLast: number): number {
    // The peer does not hold that entry yet when its last notice is older (seqs only grow).
    if (key === this.#lastKey && this.#lastSeq >= this.#base && peerLast < this.#lastSeq) return this.#lastSeq;
    if (key === this.#prevKey && this.#prevSeq >= this.#base && peerLast < this.#prevSeq) return this.#prevSeq;
    this.#notices.push(this.#encode(key));
    this.#prevKey = this.#lastKey;
    this.#prevSeq = this.#lastSeq;
    this.#lastKey = key;
    this.#lastSeq = this.#base + this.#notices.length - 1;
    this.#timer ??= setTimeout(this.#onTimer, lazyFlushMs(this.#users()));
    return this.#lastSeq;
  }

  sizeOf(seq: number): number {
    return (this.#notices[seq - this.#base] as Buffer).length;
  }

  /** Records notice `seq` (of `size` bytes) as sent to `peer`, whose window state is `pending`. */
  note(pending: PendingNotices, peer: NoticeHolder, seq: number, size: number): void {
    if (pending.from < 0) {
      pending.from = seq;
      this.#holders.push(peer);
    } else if (seq > pending.last + 1) {
      const skips = (pending.skips ??= []);
      for (let s = pending.last + 1; s < seq; s++) skips.push(s);
    }
    pending.last = seq;
    pending.bytes += size;
  }

  /** Moves `pending`'s notices onto `pieces`, in order, and clears it; returns their bytes. */
  take(pending: PendingNotices, pieces: Buffer[]): number {
    const { skips, bytes } = pending;
    const notices = this.#notices;
    const base = this.#base;
    let k = 0;
    for (let s = pending.from; s <= pending.last; s++) {
      if (skips !== undefined && skips[k] === s) {
        k++;
        continue;
      }
      pieces.push(notices[s - base] as Buffer);
    }
    pending.clear();
    return bytes;
  }

  /** `pending`'s notices as runs of `joined.data` (one run, usually), and clears it. */
  runs(pending: PendingNotices, joined: JoinedNotices): Buffer[] {
    const { data, offsets, base } = joined;
    const from = pending.from - base;
    const last = pending.last - base;
    const skips = pending.skips;
    pending.clear();
    if (skips === undefined) return [data.subarray(offsets[from], offsets[last + 1])];
    const runs: Buffer[] = [];
    let start = from;
    for (const skip of skips) {
      const s = skip - base;
      if (s > start) runs.push(data.subarray(offsets[start], offsets[s]));
      start = s + 1;
    }
    if (start <= last) runs.push(data.subarray(offsets[start], offsets[last + 1]));
    return runs;
  }

  /** Resolves once the window pending now, if any, has been written (at once when none is). */
  flushed(): Promise<void> {
    if (this.#timer === undefined) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Writes the window: every peer holding notices of it writes its share (the timer calls it). */
  flush(): void {
    const holders = this.#holders;
    this.#holders = [];
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    let joined: JoinedNotices | undefined;
    const window = (): JoinedNotices => (joined ??= joinNotices(this.#notices, this.#base));
    for (const peer of holders) peer.flushNotices(window);
    // Every peer holding notices of this window was in `holders` (a peer joins the list with its
    // first notice), so the window can start afresh.
    this.#base += this.#notices.length;
    this.#notices = [];
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

function joinNotices(notices: Buffer[], base: number): JoinedNotices {
  const offsets = new Array<number>(notices.length + 1);
  let at = 0;
  for (let i = 0; i < notices.length; i++) {
    offsets[i] = at;
    at += (notices[i] as Buffer).length;
  }
  offsets[notices.length] = at;
  return { data: Buffer.concat(notices, at), offsets, base };
}
