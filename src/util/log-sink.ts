/**
 * A log that can never stop or kill the process it logs for.
 *
 * `console.log` writes to a terminal synchronously on Linux, so a terminal nobody reads (Ctrl+S,
 * a frozen window) blocks the event loop once its buffer (about 64 KB) is full, and on a pipe it
 * reports a reader that went away as an 'error' event nobody handles (EPIPE), which kills the
 * process. A LogSink instead:
 * - has at most one write in flight, off the event loop, and queues lines behind it up to a byte
 *   bound; past the bound it drops lines and counts them, and once a write goes through again it
 *   writes one line saying how many were dropped;
 * - retries later when the output is full (EAGAIN), with an unref'd timer;
 * - gives up on any other error (EPIPE, EIO, EBADF, ENOSPC...): it drops what it holds, says so
 *   once through `onGiveUp`, and takes every later line without writing it. Never a throw.
 *
 * Where the bytes go is a {@link LogWriter}; {@link stdioWriter} picks one that cannot block the
 * process for stdout or stderr, {@link fdWriter} covers files.
 */
import { close as fsClose, constants as fsConstants, fstatSync, openSync, write as fsWrite, type Stats } from 'node:fs';

/** Where a LogSink's bytes go, one write at a time. */
export interface LogWriter {
  /** Writes some or all of `data`; calls back once with how many bytes went out, or the error. */
  write(data: Buffer, done: (err: NodeJS.ErrnoException | null, written: number) => void): void;
  /**
   * True when a write may sit in the kernel for as long as the reader pleases (a descriptor in
   * blocking mode: a terminal or pipe that could not be reopened non-blocking). Node cannot exit
   * while such a write is pending in its threadpool, not even with `process.exit`.
   */
  readonly blocking: boolean;
  /** Releases what the writer owns (never fds 0-2 themselves). */
  close(): void;
}

/** Tuning of a LogSink; {@link LOG_SINK_DEFAULTS} fills in what is not given. */
export interface LogSinkOptions {
  /** Bytes of lines waiting behind the write in flight; past this, new lines are dropped. */
  maxQueuedBytes: number;
  /** Wait before trying again when the output is full (EAGAIN). */
  retryMs: number;
  /** The line that reports `count` dropped lines (a catalogue string). */
  droppedLine: (count: number) => string;
  /** Told once each time the sink gives up on its writer. */
  onGiveUp: (err: NodeJS.ErrnoException) => void;
}

export const LOG_SINK_DEFAULTS: LogSinkOptions = {
  maxQueuedBytes: 256 * 1024, // about 2 500 lines: a burst of connections while the output is slow
  retryMs: 50,
  droppedLine: (count) => `${count} log lines dropped`,
  onGiveUp: () => {},
};

/** Errors that mean "not now", not "never". */
const RETRY_CODES: ReadonlySet<string> = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);

/** A bounded, non-blocking line log over one {@link LogWriter}; see the module comment. */
export class LogSink {
  readonly #options: LogSinkOptions;
  #writer: LogWriter | undefined;
  #queue: string[] = [];
  #queuedBytes = 0;
  /** Bytes taken from the queue and not yet all written (a short write leaves the rest here). */
  #pending: Buffer | undefined;
  /** The writer a write is in flight on, if one is. */
  #writing: LogWriter | undefined;
  #retry: NodeJS.Timeout | undefined;
  #droppedSinceNotice = 0;
  #droppedTotal = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(writer: LogWriter | undefined, options: Partial<LogSinkOptions> = {}) {
    this.#writer = writer;
    this.#options = { ...LOG_SINK_DEFAULTS, ...options };
  }

  /** False once the sink has given up on its output (until {@link replace} gives it another). */
  get alive(): boolean {
    return this.#writer !== undefined;
  }

  /** Lines dropped because the queue was full, since the sink was made. */
  get dropped(): number {
    return this.#droppedTotal;
  }

  /** True while a write is pending that may never return (see {@link LogWriter.blocking}). */
  get stuckInKernel(): boolean {
    return this.#writing?.blocking === true;
  }

  /** Queues one line (without its newline). Never blocks, never throws. */
  write(line: string): void {
    if (this.#writer === undefined) return;
    const bytes = Buffer.byteLength(line) + 1;
    if (this.#queuedBytes + bytes > this.#options.maxQueuedBytes) {
      this.#droppedSinceNotice++;
      this.#droppedTotal++;
      return;
    }
    this.#queue.push(line);
    this.#queuedBytes += bytes;
    this.#pump();
  }

  /**
   * Writes to `writer` from now on (a log file reopened after rotation); revives a sink that had
   * given up. The old writer is closed once no write uses it.
   */
  replace(writer: LogWriter): void {
    const old = this.#writer;
    this.#writer = writer;
    if (old !== undefined && old !== this.#writing) old.close();
    if (this.#retry !== undefined) {
      clearTimeout(this.#retry);
      this.#retry = undefined;
    }
    this.#pump();
  }

  /** Resolves true once everything queued is written (or the sink gave up), false after `ms`. */
  flush(ms: number): Promise<boolean> {
    if (this.#idle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      // Not unref'd: the flush is bounded, and an unref'd EAGAIN retry alone would not keep the
      // process alive until the lines are out.
      const timer = setTimeout(() => {
        this.#idleWaiters = this.#idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#idleWaiters.push(done);
    });
  }

  #idle(): boolean {
    return this.#writer === undefined || (this.#writing === undefined && this.#pending === undefined && this.#queue.length === 0);
  }

  #pump(): void {
    const writer = this.#writer;
    if (writer === undefined || this.#writing !== undefined || this.#retry !== undefined) return;
    if (this.#pending === undefined) {
      if (this.#queue.length === 0) {
        for (const w of this.#idleWaiters.splice(0)) w();
        return;
      }
      this.#pending = Buffer.from(`${this.#queue.join('\n')}\n`);
      this.#queue = [];
      this.#queuedBytes = 0;
    }
    this.#writing = writer;
    writer.write(this.#pending, (err, written) => this.#written(writer, err, written));
  }

  #written(writer: LogWriter, err: NodeJS.ErrnoException | null, written: number): void {
    this.#writing = undefined;
    if (writer !== this.#writer) {
      // Replaced (or given up) while this write was in flight: what is left goes to the new one.
      writer.close();
      if (err === null) this.#advance(written);
      this.#pump();
      return;
    }
    if (err !== null && !RETRY_CODES.has(err.code ?? '')) {
      this.#giveUp(err);
      return;
    }
    if (err === null && written > 0) {
      this.#advance(written);
      if (this.#droppedSinceNotice > 0) {
        const notice = this.#options.droppedLine(this.#droppedSinceNotice);
        this.#droppedSinceNotice = 0;
        this.#queue.push(notice); // past the bound on purpose: one line, and it matters
        this.#queuedBytes += Buffer.byteLength(notice) + 1;
      }
      this.#pump();
      return;
    }
    // Full (EAGAIN), or nothing written: try again later, without keeping the process alive.
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#pump();
    }, this.#options.retryMs);
    this.#retry.unref();
  }

  #advance(written: number): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    this.#pending = written >= pending.length ? undefined : pending.subarray(written);
  }

  #giveUp(err: NodeJS.ErrnoException): void {
    const writer = this.#writer;
    this.#writer = undefined;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#pending = undefined;
    writer?.close();
    for (const w of this.#idleWaiters.splice(0)) w();
    try {
      this.#options.onGiveUp(err);
    } catch {
      // Telling someone is best effort; the sink must not throw into whoever logged.
    }
  }
}

/** A writer over a file descriptor, through libuv's threadpool (`fs.write`). */
export function fdWriter(fd: number, { owned, blocking }: { owned: boolean; blocking: boolean }): LogWriter {
  return {
    blocking,
    write(data, done) {
      fsWrite(fd, data, 0, data.length, null, (err, written) => done(err, written));
    },
    close() {
      if (owned) fsClose(fd, () => {});
    },
  };
}

/** A writer over a Node stream (stdout or stderr on a socket): errors reach each write's callback. */
export function streamWriter(stream: NodeJS.WritableStream): LogWriter {
  stream.on('error', () => {}); // the same error reaches the write's callback, where it is handled
  return {
    blocking: false,
    write(data, done) {
      stream.write(data, (err?: Error | null) => done((err as NodeJS.ErrnoException | null | undefined) ?? null, err ? 0 : data.length));
    },
    close() {},
  };
}

/** What {@link stdioWriter} found at a standard descriptor. */
export interface StdioOutput {
  /** Undefined when the descriptor is not open: nothing can be written there. */
  writer: LogWriter | undefined;
  /** Identifies the file, so stdout and stderr on the same terminal or pipe can share one sink. */
  identity: string | undefined;
}

/**
 * A writer for fd 1 or 2 that cannot block the process:
 * - a terminal or a pipe is reopened through /proc/self/fd as a separate, non-blocking open
 *   file (what libuv does for terminals), so a full buffer is EAGAIN instead of a stuck write,
 *   and nobody else's view of the descriptor changes;
 * - a socket (a parent's `spawn` pipe) goes through process.stdout / process.stderr, which Node
 *   writes to asynchronously there;
 * - anything else (a file, /dev/null) is written as it is.
 * Where /proc cannot reopen it (no /proc, a terminal owned by another user), the descriptor is
 * used as it is, in blocking mode, and a stuck write then holds one threadpool thread.
 */
export function stdioWriter(fd: 1 | 2): StdioOutput {
  let stats: Stats;
  try {
    stats = fstatSync(fd);
  } catch {
    return { writer: undefined, identity: undefined };
  }
  const identity = `${stats.dev}:${stats.ino}:${stats.rdev}`;
  if (stats.isSocket()) return { writer: streamWriter(fd === 1 ? process.stdout : process.stderr), identity };
  if (stats.isFIFO() || stats.isCharacterDevice()) {
    try {
      const own = openSync(`/proc/self/fd/${fd}`, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
      return { writer: fdWriter(own, { owned: true, blocking: false }), identity };
    } catch {
      return { writer: fdWriter(fd, { owned: false, blocking: true }), identity };
    }
  }
  return { writer: fdWriter(fd, { owned: false, blocking: false }), identity };
}
