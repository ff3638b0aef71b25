/**
 * Pipe mode, for scripts and tests: stdin is not a terminal. No prompt, no colours: each line of
 * input is a message, each message from the server is a line on stdout (sanitised), and the
 * client's own notes go to stderr.
 *
 * A slow reader of stdout slows the client down, as with `nc`: once more than
 * MAX_OUTPUT_BUFFERED_BYTES of received lines wait to be written, the connection is paused until
 * stdout drains. Over TCP the server then sees us as a slow reader; over UDP the messages that
 * arrive meanwhile are dropped, and how many is noted on stderr.
 *
 * Exit codes: 0 when the input ended (or said /quitar) and we left; 1 when the server went away
 * first or never answered; 3 when the name was refused. (2, a bad option or no server to
 * connect to, comes from the CLI.)
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Translate } from '../hub/messages.js';
import { parseCommand } from '../protocol/command.js';
import { sanitize } from '../protocol/sanitize.js';
import { CharlaError } from '../util/errors.js';
import type { ClientConnection, ConnectionEvent } from './connection.js';
import { connectFailure, EXIT, goneNote, isUnreachable, offerName, quit } from './session.js';

/** What pipe mode needs besides the connection. */
export interface PipeOptions {
  /** The name; undefined = the first line of input. */
  name: string | undefined;
  password: string | undefined;
  t: Translate;
  /** How long to wait for the answer to the name. */
  answerMs: number;
  /** How long to wait for the server to close after /quitar. */
  quitMs: number;
  input: Readable;
  output: Writable;
  errors: Writable;
  /** Aborted (a signal, say) = leave as if the input had ended. */
  stop?: AbortSignal;
}

/** Input lines held while the connection cannot take more; reading pauses past this. */
const MAX_HELD_LINES = 1000;

/**
 * Received lines that may wait for a slow stdout (bytes, or the stream's highWaterMark if that
 * is larger); past it the connection is paused until stdout drains.
 */
export const MAX_OUTPUT_BUFFERED_BYTES = 1024 * 1024;

/** Runs a pipe-mode session over an open connection; resolves with the exit code. */
export async function runPipe(conn: ClientConnection, opts: PipeOptions): Promise<number> {
  const input = new LineQueue(opts.input);
  // A signal, or a reader that went away (`| head -1`: EPIPE), ends the session like the end of input.
  const finish = (): void => input.finish();
  opts.stop?.addEventListener('abort', finish, { once: true });
  opts.output.on('error', finish);
  try {
    return await session(conn, opts, input);
  } finally {
    opts.stop?.removeEventListener('abort', finish);
    input.close();
    conn.close();
  }
}

async function session(conn: ClientConnection, opts: PipeOptions, input: LineQueue): Promise<number> {
  const output = new Relay(conn, opts);
  try {
    return await converse(conn, opts, input, (line) => output.say(line));
  } finally {
    output.close();
  }
}

/**
 * Received lines to stdout, pausing the connection while stdout is backed up. An output that
 * fails (EPIPE: the reader went away) takes no more lines and never holds the connection, so
 * that leaving (which reads the server's close) is not stuck behind it.
 */
class Relay {
  readonly #conn: ClientConnection;
  readonly #opts: PipeOptions;
  #waiting = false;
  #broken = false;
  readonly #onDrain = (): void => this.#resume();
  readonly #onError = (): void => {
    this.#broken = true;
    this.#resume();
  };

  constructor(conn: ClientConnection, opts: PipeOptions) {
    this.#conn = conn;
    this.#opts = opts;
    opts.output.on('error', this.#onError);
  }

  say(line: string): void {
    const { output } = this.#opts;
    if (this.#broken) return;
    // write() said "full" (so 'drain' will come) and enough is waiting: stop reading until then.
    if (!output.write(`${sanitize(line)}\n`) && !this.#waiting && output.writableLength >= MAX_OUTPUT_BUFFERED_BYTES) {
      this.#waiting = true;
      output.once('drain', this.#onDrain);
      this.#conn.pause();
    }
  }

  #resume(): void {
    if (!this.#waiting) return;
    this.#waiting = false;
    this.#opts.output.off('drain', this.#onDrain);
    const dropped = this.#conn.resume();
    if (dropped > 0 && !this.#broken) this.#opts.errors.write(`${this.#opts.t('client_dropped_while_paused', { count: dropped })}\n`);
  }

  close(): void {
    this.#opts.output.off('drain', this.#onDrain);
    this.#opts.output.off('error', this.#onError);
  }
}

async function converse(conn: ClientConnection, opts: PipeOptions, input: LineQueue, say: (line: string) => void): Promise<number> {
  const { t } = opts;
  const note = (line: string): void => void opts.errors.write(`${line}\n`);

  const name = opts.name ?? (await input.next());
  if (name === undefined) throw new CharlaError('ERR_BAD_OPTION', t('client_no_name'));
  const answer = await offerName(conn, name, opts.password, opts.answerMs);
  switch (answer.kind) {
    case 'refused':
      note(sanitize(answer.line));
      return EXIT.nameRefused;
    case 'gone':
      if (conn.transport === 'udp' && isUnreachable(answer.error)) throw connectFailure(t, conn.target, answer.error, false);
      note(t(conn.transport === 'tcp' ? 'client_closed_unanswered' : 'client_server_closed'));
      return EXIT.serverGone;
    case 'no_answer':
      note(t('client_no_answer', { target: conn.target, seconds: opts.answerMs / 1000 }));
      return EXIT.serverGone;
    case 'welcome':
      if (answer.line !== undefined) say(answer.line);
  }

  let gone: Extract<ConnectionEvent, { kind: 'gone' }> | undefined;
  conn.listen((event) => {
    if (event.kind === 'message') say(event.text);
    else {
      gone = event;
      input.interrupt();
    }
  });

  while (gone === undefined) {
    const line = await input.next();
    if (gone !== undefined) break;
    if (line === undefined || parseCommand(line).kind === 'quit') {
      // stdin ended (or said /quitar): leave as a user would.
      await quit(conn, opts.quitMs);
      return EXIT.ok;
    }
    if (line.trim() === '') continue; // nothing to say (the seed's servers would relay "name: ")
    if (!conn.send(line)) {
      input.hold();
      await conn.drained();
      input.release();
    }
  }
  note(goneNote(t, conn, gone.error));
  return EXIT.serverGone;
}

/**
 * The lines of a stream, one `await next()` at a time (undefined at the end). Reading pauses
 * while many lines are held or while the connection is backed up, so a large input is not read
 * into memory faster than it can be sent.
 */
class LineQueue {
  readonly #rl: ReturnType<typeof createInterface>;
  readonly #input: Readable;
  #lines: string[] = [];
  #ended = false;
  #held = false;
  #wake: (() => void) | undefined;

  constructor(input: Readable) {
    this.#input = input;
    this.#rl = createInterface({ input, crlfDelay: Infinity, terminal: false });
    this.#rl.on('line', (line) => {
      this.#lines.push(line);
      if (this.#lines.length >= MAX_HELD_LINES) this.#rl.pause();
      this.interrupt();
    });
    this.#rl.on('close', () => {
      this.#ended = true; // the lines still held are sent first
      this.interrupt();
    });
  }

  /** No more lines: the ones held are dropped and `next()` answers undefined from now on. */
  finish(): void {
    this.#ended = true;
    this.#lines = [];
    this.interrupt();
  }

  /** The next line, or undefined when the input ended (or `interrupt` was called). */
  async next(): Promise<string | undefined> {
    if (this.#lines.length === 0 && !this.#ended) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    const line = this.#lines.shift();
    if (!this.#held && this.#lines.length < MAX_HELD_LINES / 2) this.#rl.resume();
    return line;
  }

  /** Wakes a pending `next()` (with a line if one came, else undefined). */
  interrupt(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  hold(): void {
    this.#held = true;
    this.#rl.pause();
  }

  release(): void {
    this.#held = false;
    this.#rl.resume();
  }

  close(): void {
    this.#rl.close();
    // Our stdin must not keep the process alive once the session is over.
    this.#input.destroy();
  }
}
