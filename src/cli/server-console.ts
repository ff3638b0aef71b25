/**
 * The server's console: every line `charla server` prints goes through here, into LogSinks
 * (util/log-sink.ts), so that no output can stop or kill the room: not a terminal nobody reads,
 * not a pipe whose reader went away, not a full disk. Nothing here touches `console`.
 *
 * Without --log-file the log goes to stdout and errors to stderr. With --log-file both go to the
 * file (opened for appending, reopened on SIGHUP), and the start banner goes to stdout as well,
 * so whoever started the server sees where to connect.
 */
import { constants as fsConstants, open as fsOpen, openSync } from 'node:fs';
import type { Translate } from '../hub/messages.js';
import { CharlaError } from '../util/errors.js';
import { fdWriter, LogSink, type LogSinkOptions, type LogWriter, stdioWriter } from '../util/log-sink.js';

/** How long shutdown waits for the log to be written before exiting without it. */
export const LOG_FLUSH_MS = 1000;

const APPEND = fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT;

/** The three places a server line can go, and which lines go where. */
export class ServerConsole {
  readonly #t: Translate;
  readonly #stdout: LogSink;
  readonly #stderr: LogSink;
  readonly #file: LogSink | undefined;
  readonly #logFile: string | undefined;

  /**
   * Opens the outputs. A --log-file that cannot be opened is a CharlaError (exit 2), before any
   * port is open.
   */
  constructor(t: Translate, logFile?: string, sinkOptions: Partial<LogSinkOptions> = {}) {
    this.#t = t;
    this.#logFile = logFile;
    const droppedLine = (count: number): string => t('log_lines_dropped', { count });
    const make = (writer: LogWriter | undefined, name: string): LogSink => {
      const sink: LogSink = new LogSink(writer, {
        ...sinkOptions,
        droppedLine,
        onGiveUp: (err) => this.#tellOthers(sink, t('log_output_lost', { output: name, error: err.code ?? err.message })),
      });
      return sink;
    };
    const out = stdioWriter(1);
    const err = stdioWriter(2);
    this.#stdout = make(out.writer, 'stdout');
    // stdout and stderr on one terminal or pipe: one sink, one write in flight, lines in order.
    this.#stderr = out.identity !== undefined && out.identity === err.identity ? this.#stdout : make(err.writer, 'stderr');
    if (logFile !== undefined) {
      let fd: number;
      try {
        fd = openSync(logFile, APPEND, 0o644);
      } catch (e) {
        throw new CharlaError('ERR_BAD_OPTION', `--log-file: cannot open ${logFile} for appending (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
      }
      this.#file = make(fdWriter(fd, { owned: true, blocking: false }), logFile);
    }
  }

  /** A log line: connections, departures, notices about the server itself. */
  log(line: string): void {
    (this.#file ?? this.#stdout).write(line);
  }

  /** An error line: a peer's exception, accept() failing. */
  error(line: string): void {
    (this.#file ?? this.#stderr).write(line);
  }

  /** A start banner line: stdout always (tests and scripts read the ports there), and the file. */
  banner(line: string): void {
    this.#stdout.write(line);
    this.#file?.write(line);
  }

  /**
   * SIGHUP: reopens --log-file at its path (logrotate renamed the old one away), so the next
   * lines go to a new file there. Without --log-file there is nothing to reopen; it says so.
   */
  async reopen(): Promise<void> {
    const file = this.#file;
    const path = this.#logFile;
    if (file === undefined || path === undefined) {
      this.log(this.#t('log_sighup_no_file'));
      return;
    }
    try {
      const fd = await new Promise<number>((resolve, reject) => fsOpen(path, APPEND, 0o644, (e, fd) => (e ? reject(e) : resolve(fd))));
      file.replace(fdWriter(fd, { owned: true, blocking: false }));
      file.write(this.#t('log_reopened'));
    } catch (e) {
      // Keep writing to the old file, if it still takes lines.
      this.#stderr.write(this.#t('log_reopen_failed', { path, error: (e as NodeJS.ErrnoException).code ?? String(e) }));
    }
  }

  /**
   * Writes out what is queued, for at most `ms`. Resolves true when everything went out, false
   * when an output is stuck (a terminal nobody reads).
   */
  async flush(ms: number): Promise<boolean> {
    const sinks = new Set([this.#stdout, this.#stderr, this.#file].filter((s): s is LogSink => s !== undefined));
    const done = await Promise.all([...sinks].map((s) => s.flush(ms)));
    return done.every(Boolean);
  }

  /** True while a write sits in the kernel that no exit can wait out (see LogWriter.blocking). */
  get stuckInKernel(): boolean {
    return this.#stdout.stuckInKernel || this.#stderr.stuckInKernel || this.#file?.stuckInKernel === true;
  }

  /** Says, once, on the first other output still alive, that `lost` was given up. */
  #tellOthers(lost: LogSink, line: string): void {
    const other = [this.#stderr, this.#stdout, this.#file].find((s) => s !== undefined && s !== lost && s.alive);
    other?.write(line);
  }
}
