/**
 * A room's ordered log: the ids its messages carry, and the last of them kept in memory.
 *
 * History, a browser's "what did I miss since id X" and the multi-node mode all stand on this one
 * ordered log per room, so its ids must increase within the room and never be handed out twice,
 * not even across a restart of a server without a data dir.
 *
 * Ids. An id is the wall clock in milliseconds times 1000, plus a sequence within that
 * millisecond: `id = max(previous id + 1, trunc(now) * 1000)`. So
 * - ids increase strictly within a room, whatever the clock does: when it goes backwards (NTP, a
 *   hand-set clock) or stands still, ids go on from the previous one (+1) until the clock
 *   catches up; more than 1000 messages in one millisecond borrow from the next millisecond;
 * - a restart without a store starts at `now * 1000`, above every id of the previous run as long
 *   as the clock did not go back across the restart by more than the previous run was ahead of
 *   it (a run is ahead of its clock only after its clock went backwards, or after more than 1000
 *   messages in a millisecond; starting a process takes tens of milliseconds, i.e. tens of
 *   thousands of ids of margin). Without a store nothing else remembers the old ids, so a clock
 *   set back across a restart can repeat ids; with a store, ids go on after the largest one
 *   loaded, whatever the clock says;
 * - ids stay below `Number.MAX_SAFE_INTEGER` (2^53 - 1) until the year 2255: a millisecond clock
 *   of today (about 1.7e12) times 1000 is 1.7e15, and the bound is 9.007e15. A clock reading past
 *   that, or one that is not a number, is ignored (the id is the previous one + 1);
 * - ids are not contiguous: a client must ask for "after X", never compute "X + 1".
 *
 * Bounds. The log keeps the newest entries such that there are at most `maxEntries` of them and
 * their sizes add up to at most `maxBytes`, where an entry's size is the UTF-8 length of `from`
 * plus the UTF-8 length of `text` (`Buffer.byteLength`; a lone surrogate counts as the 3 bytes of
 * U+FFFD), nothing else: ids, times and JavaScript object overhead are not counted. An entry
 * larger than `maxBytes` by itself is delivered (append returns it) but cannot be kept, and the
 * log is then empty, so that what it holds is always one unbroken run of the newest entries.
 * `maxEntries = 0` means no history at all: append still numbers and returns each entry, for
 * live delivery, and keeps nothing (and gives nothing to the store).
 *
 * Cost. `append` runs once per chat message: it allocates the entry and nothing else (no
 * closure, no array copy); the ring is a circular buffer that starts small and doubles, up to
 * `maxEntries` slots, so an idle room with a large `--history` costs little memory and a busy
 * one reaches its size after log2(maxEntries) copies in its whole life.
 */
import type { RoomMessage } from './events.js';
import type { HistoryStore } from './store/history-store.js';

/** One message of a room's log. */
export interface LogEntry {
  /** Increases strictly within the room and is never reused, across restarts too (module comment). */
  readonly id: number;
  /** Wall-clock time the server took the message, in ms since the epoch. */
  readonly at: number;
  /** The sender's name as shown. */
  readonly from: string;
  readonly text: string;
  /** An action (IRC's `/me`): replayed as `* ana saluda`. Absent on plain messages. */
  readonly action?: true;
}

/** What `--history N` and the byte bound keep of each room. */
export interface HistoryBounds {
  /** Most entries kept (`--history N`); 0 keeps none. */
  maxEntries: number;
  /** Most bytes kept: the sum over kept entries of the UTF-8 length of `from` + `text`. */
  maxBytes: number;
}

/**
 * 200 messages, and 256 KiB: 200 ordinary lines fit (1.3 KiB each on average), a flood of
 * 4 KiB lines (the default `--max-line-bytes`) keeps 64 of them.
 */
export const HISTORY_DEFAULTS: HistoryBounds = { maxEntries: 200, maxBytes: 256 * 1024 };

export interface RoomLogOptions extends Partial<HistoryBounds> {
  /** The wall clock, in ms since the epoch (`Date.now` unless a test gives another). */
  now?: () => number;
  /**
   * Where entries outlive the process. The log loads `room`'s entries from it when made, goes on
   * numbering after the largest id loaded, and hands it every entry it appends (none when
   * `maxEntries` is 0).
   */
  store?: HistoryStore;
  /** The room's name, as the store knows it (required with `store`). */
  room?: string;
  /** The room's name as shown, carried by every message event the log makes (default: `room`). */
  name?: string;
  /**
   * Ids come from elsewhere (a cluster's stream, through `add`), on another machine's clock: the
   * log does not start above its own clock, so an entry numbered by a clock a little behind is
   * still kept. `append` (a split node's local messages) numbers after the last one as always.
   */
  externalIds?: boolean;
}

/** The largest id handed out: 2^53 - 1. */
export const MAX_ID = Number.MAX_SAFE_INTEGER;
export const IDS_PER_MS = 1000;
const INITIAL_SLOTS = 16;

/** An entry's size in the byte bound: UTF-8 bytes of `from` plus UTF-8 bytes of `text`. */
export function entryBytes(from: string, text: string): number {
  return Buffer.byteLength(from) + Buffer.byteLength(text);
}

/** At least {@link entryBytes}, without reading the strings: a UTF-16 unit is at most 3 UTF-8 bytes. */
export function bytesAtMost(from: string, text: string): number {
  return 3 * (from.length + text.length);
}

/**
 * Where the kept part of `entries` (oldest first) starts: the longest run of newest entries with
 * at most `maxEntries` of them and at most `maxBytes` in all (see {@link entryBytes}).
 */
export function keptFrom(entries: readonly LogEntry[], { maxEntries, maxBytes }: HistoryBounds): number {
  let start = entries.length;
  let bytes = 0;
  const floor = Math.max(0, entries.length - maxEntries);
  while (start > floor) {
    const e = entries[start - 1]!;
    const b = entryBytes(e.from, e.text);
    if (bytes + b > maxBytes) break;
    bytes += b;
    start--;
  }
  return start;
}

/** The first id a log would hand out at wall-clock time `now` (0 when the clock is unusable). */
function clockId(now: number): number {
  const id = Math.trunc(now) * IDS_PER_MS;
  return id > 0 && id <= MAX_ID ? id : 0;
}

/**
 * A room message as the log makes it. A class and not an object literal on purpose: V8 tracks
 * the survival of objects made by a literal (allocation sites) and, seeing most of these outlive
 * a scavenge (the log keeps the newest few hundred), starts allocating them straight in the old
 * generation, where each dead one then costs a full mark-compact: on the hot-path benchmark that
 * was a fifth of the CPU (`node --trace-gc`: two mark-compacts per 3,000 turns, none with the
 * class). Objects made by `new` are never pretenured that way.
 */
class MessageEntry implements RoomMessage {
  readonly kind = 'message' as const;
  constructor(
    readonly room: string,
    readonly id: number,
    readonly at: number,
    readonly from: string,
    readonly text: string,
  ) {}
}

/** An action (IRC's /me): marked only when it is one, so plain messages keep one shape. */
class ActionEntry extends MessageEntry {
  readonly action = true as const;
}

/**
 * A room message numbered elsewhere (a cluster's stream: src/cluster/), made as `append` makes
 * its own, so both have one shape.
 */
export function roomMessage(room: string, id: number, at: number, from: string, text: string, action: boolean): RoomMessage {
  return action ? new ActionEntry(room, id, at, from, text) : new MessageEntry(room, id, at, from, text);
}

/**
 * `n` empty history slots, filled with undefined rather than left as holes of small integers:
 * the array then has the elements kind it keeps once it holds entries, so every log's array has
 * one hidden class and the code V8 compiled for the warm-up's logs stays valid for the real
 * rooms' (a fresh array's first entry was a "wrong map" deopt of `append` in the first run).
 */
function emptySlots(n: number): Array<LogEntry | undefined> {
  return new Array<LogEntry | undefined>(n).fill(undefined);
}

/** A room's ordered log: numbers entries and keeps the newest within bounds (module comment). */
export class RoomLog {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly #now: () => number;
  readonly #store: HistoryStore | undefined;
  readonly #room: string;
  readonly #name: string;
  /**
   * Circular buffer: `#size` entries from `#start`, with their sizes in `#sizes` at the same
   * index. A size is counted lazily: while the bytes bound is not near, the newest `#estimated`
   * sizes are upper bounds (3 bytes per UTF-16 unit, {@link bytesAtMost}). Counting UTF-8 (two
   * `Buffer.byteLength` calls) cost about 30 ns a message, and with short messages the bound is
   * never near: 200 entries of 64 characters are at most 38 KiB of 256.
   */
  #slots: Array<LogEntry | undefined>;
  #sizes: number[];
  #start = 0;
  #size = 0;
  /** Sum of the sizes held, some of them upper bounds: at least the exact sum. */
  #bytes = 0;
  /** How many of the sizes held, the newest ones, are upper bounds. */
  #estimated = 0;
  #lastId: number;
  /**
   * Entries with this id or a smaller one may exist that the log does not hold (dropped by the
   * bounds, or from before this process and not loaded); every entry above it is held.
   */
  #unknownThrough: number;

  constructor(options: RoomLogOptions = {}) {
    const maxEntries = options.maxEntries ?? HISTORY_DEFAULTS.maxEntries;
    const maxBytes = options.maxBytes ?? HISTORY_DEFAULTS.maxBytes;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 0) throw new RangeError(`maxEntries must be a whole number >= 0, not ${maxEntries}`);
    if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be >= 0, not ${maxBytes}`);
    if (options.store !== undefined && options.room === undefined) throw new TypeError('a RoomLog with a store needs the room name');
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.#now = options.now ?? Date.now;
    this.#store = maxEntries > 0 ? options.store : undefined;
    this.#room = options.room ?? '';
    this.#name = options.name ?? this.#room;
    this.#slots = emptySlots(Math.min(maxEntries, INITIAL_SLOTS));
    this.#sizes = new Array<number>(this.#slots.length).fill(0);
    // Before anything is loaded, whatever a previous run said is unknown: ids below the first
    // one this log would hand out now.
    // Ids start above it too, so that even a clock set back right after this holds.
    this.#unknownThrough = options.externalIds === true ? 0 : Math.max(0, clockId(this.#now()) - 1);
    this.#lastId = this.#unknownThrough;
    if (options.store !== undefined) this.#restore(options.store.load(this.#room));
  }

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /** Sum of {@link entryBytes} over the entries held; never above `maxBytes`. */
  get bytes(): number {
    this.#countAll();
    return this.#bytes;
  }

  /**
   * The id of the newest entry appended or loaded; before any, one below the first id this log
   * will hand out. Either way a cursor: every entry to come has a greater id.
   */
  get lastId(): number {
    return this.#lastId;
  }

  /**
   * Numbers a new entry, stamps it with the wall clock, keeps it within the bounds, returns it.
   * The entry is the room message event itself, so the hub hands receivers the very object the
   * log keeps: one allocation per chat line.
   */
  append(from: string, text: string, action = false): RoomMessage {
    const at = this.#now();
    let id = Math.trunc(at) * IDS_PER_MS;
    // `!(id > last)` also catches NaN; past MAX_ID a bad clock reading is ignored.
    if (!(id > this.#lastId) || id > MAX_ID) id = this.#lastId + 1;
    if (id > MAX_ID) throw new RangeError('room log ids exhausted (past 2^53 - 1)');
    this.#lastId = id;
    const entry: RoomMessage = action ? new ActionEntry(this.#name, id, at, from, text) : new MessageEntry(this.#name, id, at, from, text);
    if (this.maxEntries === 0) {
      this.#unknownThrough = id;
      return entry;
    }
    this.#keep(entry);
    this.#store?.append(this.#room, entry);
    return entry;
  }

  /**
   * Keeps an entry numbered elsewhere (a cluster's stream, whose ids are the same on every
   * node), within the bounds, and goes on numbering after it. An entry whose id is not above
   * `lastId` cannot be kept in order: it is not kept (false), though it may still be delivered.
   * Not handed to the store: whoever numbered it keeps it.
   */
  add(entry: RoomMessage): boolean {
    if (!(entry.id > this.#lastId) || entry.id > MAX_ID) return false;
    this.#lastId = entry.id;
    if (this.maxEntries === 0) {
      this.#unknownThrough = entry.id;
      return true;
    }
    this.#keep(entry);
    return true;
  }

  /** The newest `n` entries held (fewer if it holds fewer), oldest first. A new array. */
  last(n: number): LogEntry[] {
    const count = Math.max(0, Math.min(Math.trunc(n) || 0, this.#size));
    return this.#copy(this.#size - count, count);
  }

  /**
   * The entries held with an id greater than `id`, oldest first (a new array). When `id` is older
   * than what is kept, that is everything held, and entries in between may be gone: ask
   * {@link hasAllSince} to know whether the answer is complete.
   */
  since(id: number): LogEntry[] {
    // Ids increase along the ring: binary search for the first one above `id`.
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#at(mid).id > id) hi = mid;
      else lo = mid + 1;
    }
    return this.#copy(lo, this.#size - lo);
  }

  /**
   * True when {@link since}(id) is every entry there is after `id`: none after it was dropped by
   * the bounds, nor predates what this log knows (a previous run's entries that were not loaded,
   * or were compacted away). False means "you may have missed more than this".
   */
  hasAllSince(id: number): boolean {
    return id >= this.#unknownThrough;
  }

  #restore(loaded: readonly LogEntry[]): void {
    // The store gives entries oldest first; keep only a strictly increasing run, defensively.
    const ordered: LogEntry[] = [];
    for (const e of loaded) {
      if (Number.isSafeInteger(e.id) && e.id > 0 && (ordered.length === 0 || e.id > ordered[ordered.length - 1]!.id)) ordered.push(e);
    }
    if (ordered.length === 0) return;
    this.#lastId = Math.max(this.#lastId, ordered[ordered.length - 1]!.id);
    const start = keptFrom(ordered, this);
    // The first loaded entry may have had predecessors (compacted, or dropped now).
    this.#unknownThrough = start > 0 ? ordered[start - 1]!.id : ordered[0]!.id - 1;
    for (let i = start; i < ordered.length; i++) this.#keep(ordered[i]!);
  }

  /** Keeps `entry` as the newest, dropping the oldest as the bounds require (or not keeping it, when it alone is past `maxBytes`). */
  #keep(entry: LogEntry): void {
    let size = bytesAtMost(entry.from, entry.text);
    const estimate = this.#bytes + size <= this.maxBytes;
    if (!estimate) {
      // It may not fit: count exactly (what the bounds mean).
      this.#countAll();
      size = entryBytes(entry.from, entry.text);
      while (this.#size > 0 && this.#bytes + size > this.maxBytes) this.#dropOldest();
      if (size > this.maxBytes) {
        this.#unknownThrough = entry.id;
        return;
      }
    }
    if (this.#size === this.#slots.length) {
      if (this.#slots.length < this.maxEntries) this.#grow();
      else this.#dropOldest();
    }
    let index = this.#start + this.#size;
    if (index >= this.#slots.length) index -= this.#slots.length;
    this.#slots[index] = entry;
    this.#sizes[index] = size;
    this.#size++;
    this.#bytes += size;
    if (estimate) this.#estimated++;
  }

  /**
   * Replaces every upper bound held with the exact size. The bounds are always the newest
   * `#estimated` entries (an exact size is only kept right after this), so each entry is
   * counted at most once.
   */
  #countAll(): void {
    for (let i = this.#size - this.#estimated; i < this.#size; i++) {
      let index = this.#start + i;
      if (index >= this.#slots.length) index -= this.#slots.length;
      const e = this.#slots[index]!;
      const bytes = entryBytes(e.from, e.text);
      this.#bytes += bytes - this.#sizes[index]!;
      this.#sizes[index] = bytes;
    }
    this.#estimated = 0;
  }

  #dropOldest(): void {
    const index = this.#start;
    this.#unknownThrough = this.#slots[index]!.id;
    this.#bytes -= this.#sizes[index]!;
    if (this.#estimated === this.#size) this.#estimated--; // every size held was a bound
    this.#slots[index] = undefined; // let the text go
    this.#start = index + 1 === this.#slots.length ? 0 : index + 1;
    this.#size--;
  }

  #grow(): void {
    const capacity = Math.min(this.maxEntries, this.#slots.length * 2);
    const slots = emptySlots(capacity);
    const sizes = new Array<number>(capacity).fill(0);
    for (let i = 0; i < this.#size; i++) {
      let from = this.#start + i;
      if (from >= this.#slots.length) from -= this.#slots.length;
      slots[i] = this.#slots[from];
      sizes[i] = this.#sizes[from]!;
    }
    this.#slots = slots;
    this.#sizes = sizes;
    this.#start = 0;
  }

  /** The entry `i` places after the oldest held. */
  #at(i: number): LogEntry {
    let index = this.#start + i;
    if (index >= this.#slots.length) index -= this.#slots.length;
    return this.#slots[index]!;
  }

  #copy(first: number, count: number): LogEntry[] {
    const out = new Array<LogEntry>(count);
    for (let i = 0; i < count; i++) out[i] = this.#at(first + i);
    return out;
  }
}
