/**
 * `--data-dir DIR`: each room's log as an append-only file of JSON lines, one entry a line.
 *
 *     {"id":1754000000000000,"at":1754000000000,"from":"ana","text":"hola"}
 *     {"id":1754000000000001,"at":1754000000000,"from":"ana","text":"saluda","action":true}
 *
 * (`action` only on an action, IRC's `/me`.)
 *
 * Files. One per room, named from the room's key (see {@link roomFileName}): `r-<key>.jsonl`
 * when the key is only `a-z 0-9 _ -` (`r-general.jsonl`), else `u-<base32 of its UTF-8>.jsonl`
 * (lower-case base32, so names that differ only in case never collide on a case-insensitive
 * filesystem, and no name is one Windows reserves, such as `con` or `aux`). Made with mode 0600.
 *
 * Loading (synchronous, at startup or when a room is first used) reads what exists. A line that
 * is not a whole, valid entry with an id above the previous line's (the last line cut by a
 * crash, garbage in the middle) is skipped and counted, never fatal; the counts go to
 * `onWarning`, and the file is then rewritten clean (a compaction, below), so a torn last line
 * never has the next entry glued to it. Of a file larger than `maxLoadBytes` only the end is read.
 *
 * Writing. `append` does no syscall and no formatting: it queues the entry in the room's
 * buffer, and once per event-loop turn (`setImmediate`) each room with buffered entries has them
 * turned into lines and gets one `fs.write` of all of them, in the threadpool. At most one write
 * is in flight per file; what is appended meanwhile goes out in the next write, as soon as that
 * one returns. The buffer is bounded (`maxBufferedChars` per room): past it, as when a write
 * fails, the buffer is dropped and the room is marked for a rewrite, and the next write (retried
 * every `retryMs` after a failure) rewrites the file from memory. For that the store keeps each
 * room's tail: the last `maxEntries` entries whose from + text add up to at most `maxBytes`
 * UTF-16 code units, always at least what the RoomLog keeps (a code unit is at least one UTF-8
 * byte); the entry objects are the RoomLog's own, so this costs pointers, not copies of the
 * text. What comes back after a restart is thus still an unbroken run of the newest entries.
 * Each such episode is one warning, and one more when writes work again.
 *
 * Size. When a file holds more than `compactLines` lines (default max(2 × maxEntries, 1024)) or
 * more than `compactBytes` bytes (default max(4 × maxBytes + 256 × maxEntries, 1 MiB), and twice
 * what the last compaction wrote), it is compacted: the kept tail is written to `<file>.tmp`,
 * fsync'd, and renamed over the file (atomic), then the directory is fsync'd. A crash before the
 * rename leaves the old file whole (the stale .tmp is removed at the next load); after it, the
 * new one. So a file stays within about twice what is kept (about 1 MiB with the defaults).
 *
 * What a crash can lose. The process killed (kill -9, OOM, a crash of Node): the lines appended
 * in the current event-loop turn and any not yet handed to the kernel, i.e. those buffered
 * behind the write in flight and that write itself, usually well under a millisecond of
 * messages; while a compaction is running (its fsync can take tens of milliseconds on a slow
 * disk), or after writes fell behind or failed, everything since. Nothing handed to the kernel
 * is lost when only the process dies. The machine losing power: also what the OS had not yet
 * written to disk (Linux writes dirty pages back within about 30 s by default), because there
 * is no fsync per message; only compactions fsync.
 */
import { createHash } from 'node:crypto';
import {
  close as fsClose,
  closeSync,
  fstatSync,
  mkdirSync,
  open as fsOpen,
  openSync,
  readSync,
  unlinkSync,
  write as fsWrite,
} from 'node:fs';
import { open as openHandle, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { HISTORY_DEFAULTS, keptFrom, type HistoryBounds, type LogEntry } from '../room-log.js';
import { roomKey, type HistoryStore } from './history-store.js';

/** Something the operator should hear about; the store goes on (the server renders these). */
export type HistoryWarning =
  /** Lines that were not valid entries (or not read: `unreadBytes` of a file over `maxLoadBytes`). */
  | { kind: 'skipped-lines'; room: string; file: string; count: number; tornTail: boolean; unreadBytes: number }
  /** The file could not be read (not "does not exist"): the room is not persisted this run, so it is not overwritten. */
  | { kind: 'load-failed'; room: string; file: string; error: NodeJS.ErrnoException }
  /** A write, open or compaction failed; retried every `retryMs`, the file rewritten from memory then. */
  | { kind: 'write-failed'; room: string; file: string; error: NodeJS.ErrnoException }
  /** More than `maxBufferedChars` waited behind a slow write; the file will be rewritten from memory. */
  | { kind: 'fell-behind'; room: string; file: string; chars: number }
  /** Writes work again after `write-failed` or `fell-behind`. */
  | { kind: 'recovered'; room: string; file: string };

export interface FileHistoryStoreOptions extends Partial<HistoryBounds> {
  /** The data dir; made (mode 0700) if it does not exist. */
  dir: string;
  onWarning?: (warning: HistoryWarning) => void;
  /** Which names are one room (default {@link roomKey}); give the hub's own rule if it has one. */
  key?: (room: string) => string;
  /**
   * Bound on what waits per room behind a write: the UTF-16 code units of from + text (at most 3
   * bytes of UTF-8 each), plus 64 an entry.
   */
  maxBufferedChars?: number;
  compactLines?: number;
  compactBytes?: number;
  /** Wait before trying again after a failed write. */
  retryMs?: number;
  /** Most bytes read of one file at load (its end). */
  maxLoadBytes?: number;
}

const MIB = 1024 * 1024;
/** What a buffered entry counts for beyond its from + text, in the buffer bound: about its line's id, time and keys. */
const ENTRY_OVERHEAD = 64;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const PLAIN_KEY = /^[a-z0-9_-]{1,64}$/;
/** Spellings remembered for the fast lookup before the cache starts over. */
const MAX_SPELLINGS = 4096;

/**
 * The file name of a room key: `r-<key>.jsonl` for a key of `a-z 0-9 _ -` (up to 64), else
 * `u-<base32 of the key's UTF-8>.jsonl`; distinct keys give distinct names, and no two differ
 * only in case. Valid room names (32 characters of at most 4 bytes) give at most 213
 * characters; a key over 150 bytes of UTF-8 would pass the 255 most filesystems allow, so it is
 * named by its SHA-256 instead (`h-<hex>.jsonl`).
 */
export function roomFileName(key: string): string {
  if (PLAIN_KEY.test(key)) return `r-${key}.jsonl`;
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.length > 150) return `h-${createHash('sha256').update(bytes).digest('hex')}.jsonl`;
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return `u-${out}.jsonl`;
}

/** Characters JSON.stringify would escape (and any surrogate: it escapes lone ones). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** '000' .. '999'. */
const THREE_DIGITS: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** A JSON string literal; the scan is about half the cost of JSON.stringify for plain text. */
function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/**
 * Writes entries as stored lines. Fields written by hand, so whatever else an entry object
 * carries stays out. Turning two 16- and 13-digit numbers into text costs more than the rest of
 * an append, so it remembers the last millisecond of each: consecutive ids share all digits but
 * the last three, and times repeat.
 */
class LineWriter {
  #idBase = -1;
  #idBaseText = '';
  #at = Number.NaN;
  #atText = '0';

  #from = '';
  #fromText = '""';

  line(entry: LogEntry): string {
    const tail = entry.action === true ? ',"action":true}\n' : '}\n';
    return `{"id":${this.#idText(entry.id)},"at":${this.#atTextOf(entry.at)},"from":${this.#fromTextOf(entry.from)},"text":${jsonString(entry.text)}${tail}`;
  }

  /** The lines of `entries[first..]`, as one string. */
  lines(entries: readonly LogEntry[], first = 0): string {
    let out = '';
    for (let i = first; i < entries.length; i++) out += this.line(entries[i]!);
    return out;
  }

  #fromTextOf(from: string): string {
    if (from !== this.#from) {
      this.#from = from;
      this.#fromText = jsonString(from);
    }
    return this.#fromText;
  }

  #idText(id: number): string {
    const offset = id - this.#idBase;
    if (offset >= 0 && offset < 1000) return this.#idBaseText + THREE_DIGITS[offset]!;
    if (id < 1000) return String(id);
    this.#idBase = id - (id % 1000);
    this.#idBaseText = String(this.#idBase / 1000); // >= 1: no leading zero
    return this.#idBaseText + THREE_DIGITS[id - this.#idBase]!;
  }

  #atTextOf(at: number): string {
    if (at !== this.#at) {
      this.#at = at;
      this.#atText = Number.isFinite(at) ? String(at) : '0'; // JSON has no NaN
    }
    return this.#atText;
  }
}


/** The entry a stored line holds, or undefined when it is not a valid one. */
function parseLine(line: string): LogEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, at, from, text, action } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(id) || (id as number) <= 0) return undefined;
  if (typeof at !== 'number' || !Number.isFinite(at) || typeof from !== 'string' || typeof text !== 'string') return undefined;
  return action === true ? { id: id as number, at, from, text, action: true } : { id: id as number, at, from, text };
}

/**
 * The newest entries of a room, at most `maxEntries` of them with at most `maxUnits` UTF-16 code
 * units of from + text in all: a circular buffer.
 */
class EntryRing {
  readonly #maxEntries: number;
  readonly #maxUnits: number;
  #slots: Array<LogEntry | undefined>;
  #start = 0;
  #size = 0;
  #units = 0;

  constructor(maxEntries: number, maxUnits: number) {
    this.#maxEntries = maxEntries;
    this.#maxUnits = maxUnits;
    this.#slots = new Array<LogEntry | undefined>(Math.min(maxEntries, 16));
  }

  get size(): number {
    return this.#size;
  }

  push(entry: LogEntry): void {
    const units = entry.from.length + entry.text.length;
    while (this.#size > 0 && (this.#size >= this.#maxEntries || this.#units + units > this.#maxUnits)) this.#dropOldest();
    if (units > this.#maxUnits || this.#maxEntries === 0) return;
    if (this.#size === this.#slots.length) this.#grow();
    let index = this.#start + this.#size;
    if (index >= this.#slots.length) index -= this.#slots.length;
    this.#slots[index] = entry;
    this.#size++;
    this.#units += units;
  }

  /** Every entry, oldest first. */
  toArray(): LogEntry[] {
    const out = new Array<LogEntry>(this.#size);
    for (let i = 0; i < this.#size; i++) {
      let index = this.#start + i;
      if (index >= this.#slots.length) index -= this.#slots.length;
      out[i] = this.#slots[index]!;
    }
    return out;
  }

  #dropOldest(): void {
    const e = this.#slots[this.#start]!;
    this.#units -= e.from.length + e.text.length;
    this.#slots[this.#start] = undefined;
    this.#start = this.#start + 1 === this.#slots.length ? 0 : this.#start + 1;
    this.#size--;
  }

  #grow(): void {
    const slots = this.toArray() as Array<LogEntry | undefined>;
    slots.length = Math.min(this.#maxEntries, Math.max(1, this.#slots.length * 2));
    this.#slots = slots;
    this.#start = 0;
  }
}

interface Waiter {
  seq: number;
  resolve: () => void;
}

/** One room's file: its buffer, the write in flight, and its kept tail. */
class RoomFile {
  readonly room: string;
  readonly file: string;
  readonly path: string;
  readonly tmpPath: string;
  readonly tail: EntryRing;
  readonly lines = new LineWriter();
  readonly #store: FileHistoryStore;
  readonly #config: StoreConfig;
  loaded = false;
  /** Set when the file could not be read: nothing is written this run. */
  disabled = false;
  fd: number | undefined;
  /** Entries waiting for the next write, and what they count for in the buffer bound. */
  pending: LogEntry[] = [];
  pendingChars = 0;
  /** Entries appended / entries in the kernel (or no longer meant to be written: dropped from the tail). */
  appended = 0;
  written = 0;
  queued = false;
  busy = false;
  /** The next write must rewrite the file from the tail (after a failure, an overflow, a bad load). */
  resync = false;
  /** In a failure or fell-behind episode (one warning each way). */
  troubled = false;
  retry: NodeJS.Timeout | undefined;
  fileLines = 0;
  fileBytes = 0;
  compactedBytes = 0;
  waiters: Waiter[] = [];
  idleWaiters: Array<() => void> = [];
  #inFlight: Buffer | undefined;
  #inFlightSeq = 0;
  #inFlightLines = 0;

  constructor(store: FileHistoryStore, config: StoreConfig, room: string, key: string) {
    this.#store = store;
    this.#config = config;
    this.room = room;
    this.file = roomFileName(key);
    this.path = join(config.dir, this.file);
    this.tmpPath = `${this.path}.tmp`;
    this.tail = new EntryRing(config.bounds.maxEntries, config.bounds.maxBytes);
  }

  /** Starts the next write or compaction, if one is due and none is running. */
  pump(): void {
    if (this.busy || this.disabled || this.retry !== undefined || this.#store.finished) return;
    if (this.resync || this.#wantsCompaction()) {
      void this.#compact();
      return;
    }
    if (this.pending.length === 0) {
      this.#settle();
      return;
    }
    this.busy = true;
    if (this.fd === undefined) {
      fsOpen(this.path, 'a', 0o600, this.#onOpened);
      return;
    }
    this.#inFlight = Buffer.from(this.lines.lines(this.pending), 'utf8');
    this.#inFlightSeq = this.appended;
    this.#inFlightLines = this.pending.length;
    this.pending = [];
    this.pendingChars = 0;
    fsWrite(this.fd, this.#inFlight, 0, this.#inFlight.length, null, this.#onWritten);
  }

  /** Drops the buffer and marks the file for a rewrite from the tail. */
  dropBuffer(): void {
    this.pending = [];
    this.pendingChars = 0;
    this.resync = true;
  }

  whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  #wantsCompaction(): boolean {
    const lines = this.fileLines + this.pending.length;
    if (lines <= this.tail.size) return false; // nothing to remove
    if (lines > this.#config.compactLines) return true;
    const bytes = this.fileBytes + this.pendingChars;
    return bytes > this.#config.compactBytes && bytes > 2 * this.compactedBytes;
  }

  readonly #onOpened = (err: NodeJS.ErrnoException | null, fd: number): void => {
    this.busy = false;
    if (err !== null) {
      this.#fail(err);
      return;
    }
    this.fd = fd;
    this.#idle();
    this.pump();
  };

  readonly #onWritten = (err: NodeJS.ErrnoException | null, written: number): void => {
    const data = this.#inFlight!;
    if (err !== null) {
      this.busy = false;
      this.#inFlight = undefined;
      this.#fail(err);
      return;
    }
    this.fileBytes += written;
    if (written < data.length) {
      // A short write (a full disk, a signal): the rest goes first, before anything newer.
      this.#inFlight = data.subarray(written);
      fsWrite(this.fd!, this.#inFlight, 0, this.#inFlight.length, null, this.#onWritten);
      return;
    }
    this.busy = false;
    this.#inFlight = undefined;
    this.fileLines += this.#inFlightLines;
    this.written = this.#inFlightSeq;
    this.#idle();
    this.#settle();
    this.pump();
  };

  readonly #onRetry = (): void => {
    this.retry = undefined;
    this.pump();
  };

  async #compact(): Promise<void> {
    this.busy = true;
    this.resync = false;
    const data = Buffer.from(this.lines.lines(this.tail.toArray()), 'utf8');
    const seq = this.appended;
    const lines = this.tail.size;
    this.pending = [];
    this.pendingChars = 0;
    try {
      const tmp = await openHandle(this.tmpPath, 'w', 0o600);
      try {
        let offset = 0;
        while (offset < data.length) {
          const { bytesWritten } = await tmp.write(data, offset, data.length - offset, null);
          if (bytesWritten <= 0) throw Object.assign(new Error(`no progress writing ${this.tmpPath}`), { code: 'EIO' });
          offset += bytesWritten;
        }
        await tmp.sync();
      } finally {
        await tmp.close();
      }
      if (this.fd !== undefined) {
        const old = this.fd;
        this.fd = undefined;
        await new Promise<void>((resolve) => fsClose(old, () => resolve())); // closed before the rename: Windows needs it
      }
      await rename(this.tmpPath, this.path);
      await syncDir(this.#config.dir);
      this.fd = await new Promise<number>((resolve, reject) => fsOpen(this.path, 'a', 0o600, (e, fd) => (e === null ? resolve(fd) : reject(e))));
    } catch (err) {
      await unlink(this.tmpPath).catch(() => {});
      this.busy = false;
      this.#fail(err as NodeJS.ErrnoException);
      return;
    }
    this.busy = false;
    this.fileLines = lines;
    this.fileBytes = data.length;
    this.compactedBytes = data.length;
    if (seq > this.written) this.written = seq;
    if (this.troubled) {
      this.troubled = false;
      this.#store.warn({ kind: 'recovered', room: this.room, file: this.file });
    }
    this.#idle();
    this.#settle();
    this.pump();
  }

  #fail(error: NodeJS.ErrnoException): void {
    this.dropBuffer();
    if (!this.troubled) {
      this.troubled = true;
      this.#store.warn({ kind: 'write-failed', room: this.room, file: this.file, error });
    }
    // flush() promises "written or failed": whoever waits hears now.
    for (const w of this.waiters.splice(0)) w.resolve();
    this.#idle();
    if (!this.#store.closed) {
      this.retry = setTimeout(this.#onRetry, this.#config.retryMs);
      this.retry.unref();
    }
  }

  #settle(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.seq <= this.written && !this.resync) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  #idle(): void {
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

interface StoreConfig {
  dir: string;
  bounds: HistoryBounds;
  compactLines: number;
  compactBytes: number;
  retryMs: number;
}

/** Makes a rename durable on a power loss; best effort (not every platform can fsync a directory). */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await openHandle(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open a directory this way; the rename itself is still atomic.
  }
}

/** A {@link HistoryStore} over a directory, one append-only file per room (module comment). */
export class FileHistoryStore implements HistoryStore {
  readonly dir: string;
  readonly #config: StoreConfig;
  readonly #bounds: HistoryBounds;
  readonly #key: (room: string) => string;
  readonly #onWarning: (warning: HistoryWarning) => void;
  readonly #maxBufferedChars: number;
  readonly #maxLoadBytes: number;
  readonly #byKey = new Map<string, RoomFile>();
  /** The same files by the exact spelling the caller used: no case folding per message. */
  readonly #bySpelling = new Map<string, RoomFile>();
  #dirty: RoomFile[] = [];
  #scheduled = false;
  #closed = false;
  #finished = false;

  constructor(options: FileHistoryStoreOptions) {
    const bounds: HistoryBounds = {
      maxEntries: options.maxEntries ?? HISTORY_DEFAULTS.maxEntries,
      maxBytes: options.maxBytes ?? HISTORY_DEFAULTS.maxBytes,
    };
    this.dir = options.dir;
    this.#bounds = bounds;
    this.#key = options.key ?? roomKey;
    this.#onWarning = options.onWarning ?? (() => {});
    this.#maxBufferedChars = options.maxBufferedChars ?? MIB;
    this.#maxLoadBytes = options.maxLoadBytes ?? 64 * MIB;
    this.#config = {
      dir: options.dir,
      bounds,
      // Never below what the tail may hold, or every line would start a compaction.
      compactLines: Math.max(options.compactLines ?? Math.max(2 * bounds.maxEntries, 1024), 2 * bounds.maxEntries),
      compactBytes: options.compactBytes ?? Math.max(4 * bounds.maxBytes + 256 * bounds.maxEntries, MIB),
      retryMs: options.retryMs ?? 1000,
    };
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True once {@link close} has flushed and is closing the files: nothing more is written. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Entries appended and not yet handed to the kernel, over all rooms. */
  get unwritten(): number {
    let n = 0;
    for (const f of this.#byKey.values()) if (!f.disabled) n += f.appended - f.written;
    return n;
  }

  /** The file name a room's history lives in, inside {@link dir}. */
  fileName(room: string): string {
    return roomFileName(this.#key(room));
  }

  load(room: string): LogEntry[] {
    const f = this.#file(room);
    if (f.loaded || f.disabled) return this.#kept(f.tail.toArray());
    f.loaded = true;
    if (this.#bounds.maxEntries === 0) return [];
    return this.#kept(this.#read(f));
  }

  append(room: string, entry: LogEntry): void {
    if (this.#closed || this.#bounds.maxEntries === 0) return;
    const f = this.#bySpelling.get(room) ?? this.#lookUp(room);
    f.appended++;
    f.tail.push(entry);
    if (f.disabled) {
      f.written = f.appended;
      return;
    }
    if (!f.resync) {
      const chars = entry.from.length + entry.text.length + ENTRY_OVERHEAD;
      if (f.pendingChars + chars <= this.#maxBufferedChars) {
        f.pending.push(entry);
        f.pendingChars += chars;
      } else {
        const buffered = f.pendingChars;
        f.dropBuffer();
        if (!f.troubled) {
          f.troubled = true;
          this.warn({ kind: 'fell-behind', room: f.room, file: f.file, chars: buffered });
        }
      }
    }
    if (!f.queued) this.#schedule(f);
  }

  flush(): Promise<void> {
    const waits: Array<Promise<void>> = [];
    for (const f of this.#byKey.values()) {
      if (f.disabled || (f.written >= f.appended && !f.resync)) continue;
      const seq = f.appended;
      waits.push(new Promise((resolve) => f.waiters.push({ seq, resolve })));
      f.pump();
    }
    return waits.length === 0 ? Promise.resolve() : Promise.all(waits).then(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // A room between retries gets its last attempt now (a failure is not retried once closed).
    for (const f of this.#byKey.values()) {
      if (f.retry === undefined) continue;
      clearTimeout(f.retry);
      f.retry = undefined;
      f.pump();
    }
    await this.flush();
    await Promise.all([...this.#byKey.values()].map((f) => f.whenIdle()));
    this.#finished = true;
    await Promise.all(
      [...this.#byKey.values()].map((f) => {
        const fd = f.fd;
        f.fd = undefined;
        return fd === undefined ? Promise.resolve() : new Promise<void>((resolve) => fsClose(fd, () => resolve()));
      }),
    );
  }

  /** Tells `onWarning`; a throwing callback must not break an append. */
  warn(warning: HistoryWarning): void {
    try {
      this.#onWarning(warning);
    } catch {
      // best effort
    }
  }

  readonly #onImmediate = (): void => {
    this.#scheduled = false;
    const dirty = this.#dirty;
    this.#dirty = [];
    for (const f of dirty) {
      f.queued = false;
      f.pump();
    }
  };

  #schedule(f: RoomFile): void {
    f.queued = true;
    this.#dirty.push(f);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#onImmediate);
    }
  }

  #kept(entries: LogEntry[]): LogEntry[] {
    return entries.slice(keptFrom(entries, this.#bounds));
  }

  #file(room: string): RoomFile {
    const key = this.#key(room);
    let f = this.#byKey.get(key);
    if (f === undefined) {
      f = new RoomFile(this, this.#config, room, key);
      this.#byKey.set(key, f);
    }
    return f;
  }

  /** First append under this spelling: fold it, and load the room if nobody did. */
  #lookUp(room: string): RoomFile {
    const f = this.#file(room);
    if (!f.loaded) this.load(room);
    if (this.#bySpelling.size >= MAX_SPELLINGS) this.#bySpelling.clear();
    this.#bySpelling.set(room, f);
    return f;
  }

  /** Reads the room's file: every valid entry, oldest first; fills the tail; counts the rest. */
  #read(f: RoomFile): LogEntry[] {
    try {
      unlinkSync(f.tmpPath); // a compaction cut short: the file itself is whole
    } catch {
      // usually ENOENT
    }
    let text: string;
    let size: number;
    let unreadBytes: number;
    let cutFirst: boolean;
    try {
      const fd = openSync(f.path, 'r');
      try {
        size = fstatSync(fd).size;
        unreadBytes = Math.max(0, size - this.#maxLoadBytes);
        // Reading only the end: one byte more, to see whether it starts at a line.
        const from = unreadBytes > 0 ? unreadBytes - 1 : 0;
        const buffer = Buffer.allocUnsafe(size - from);
        let got = 0;
        while (got < buffer.length) {
          const n = readSync(fd, buffer, got, buffer.length - got, from + got);
          if (n === 0) break;
          got += n;
        }
        cutFirst = unreadBytes > 0 && got > 0 && buffer[0] !== 0x0a;
        text = buffer.toString('utf8', unreadBytes > 0 ? 1 : 0, got);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      f.disabled = true;
      this.warn({ kind: 'load-failed', room: f.room, file: f.file, error: err as NodeJS.ErrnoException });
      return [];
    }
    const lines = text.split('\n');
    const last = lines.pop()!; // '' when the file ends with a newline, as it should
    let skipped = 0;
    // Reading only the end of the file starts inside a line, most likely.
    if (cutFirst && lines.length > 0) {
      lines.shift();
      skipped++;
    }
    let tornTail = false;
    if (last !== '') lines.push(last);
    const entries: LogEntry[] = [];
    let lastId = 0;
    for (let i = 0; i < lines.length; i++) {
      const entry = parseLine(lines[i]!);
      if (entry === undefined || entry.id <= lastId) {
        skipped++;
        if (last !== '' && i === lines.length - 1) tornTail = true;
        continue;
      }
      lastId = entry.id;
      entries.push(entry);
      f.tail.push(entry);
    }
    f.fileLines = lines.length;
    f.fileBytes = size;
    if (skipped > 0 || unreadBytes > 0) {
      this.warn({ kind: 'skipped-lines', room: f.room, file: f.file, count: skipped, tornTail, unreadBytes });
    }
    // A file that is not clean (or has no newline at its end for the next line) is rewritten
    // before anything is appended to it.
    if (skipped > 0 || last !== '' || unreadBytes > 0) {
      f.resync = true;
      if (!this.#closed) this.#schedule(f);
    }
    return entries;
  }
}
