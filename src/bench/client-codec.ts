/**
 * What one generated user says and hears, per protocol: a state machine fed the bytes of its
 * connection, reporting through a sink. Pure: no sockets, no clocks (the worker owns both).
 *
 * - `line` (charla, the seed, any "name first, then lines" server): sends `name\n`; registered on
 *   the first line that starts with "***" (charla's welcome), refused on a line that starts with
 *   "Error:". Later lines are not split at all: payload markers are found in the byte stream, so
 *   join notices, prefixes and unframed servers cost nothing and confuse nothing.
 * - `irc` (ngIRCd, InspIRCd, ...): NICK/USER, JOIN on 001, registered on 366 (end of NAMES);
 *   PING answered with PONG; markers found in PRIVMSG lines; ERROR and the numerics that refuse a
 *   nick or a channel are failures.
 */
import { type Marker, MarkerScanner, scanMarkers } from './payload.js';

/** Where a codec reports what it found. Plain functions: they are called without `this`. */
export interface CodecSink {
  /** A payload marker (the object is reused: copy what you keep). */
  marker(m: Marker): void;
  /** The user is registered (and, on IRC, in the channel). Called once. */
  ready(): void;
  /** The server refused the user (the line that said so). */
  fail(line: string): void;
  /** Bytes to write back to the server at once (PONG, JOIN; a WebSocket's frames). */
  reply(bytes: string | Buffer): void;
  /** A server line worth reporting that is not fatal ("Error: ..." after registration). */
  note(line: string): void;
}

export interface BenchCodec {
  /** What to write as soon as the connection is up. */
  hello(): string;
  /** Feeds received bytes. */
  push(chunk: Buffer, sink: CodecSink): void;
}

/** Longest partial line kept between reads (longer lines lose their start, as the reference). */
const CARRY_MAX_BYTES = 8192;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const COLON = 0x3a;
const ERROR_PREFIX = Buffer.from('Error:');

/** The user name of user `index`: prefix + 5 digits, as the reference generator. */
export function nickOf(prefix: string, index: number): string {
  return `${prefix}${String(index).padStart(5, '0')}`;
}

/** The wire form of one payload. */
export function framePayload(proto: 'line' | 'irc', payload: string, channel: string): string {
  return proto === 'irc' ? `PRIVMSG ${channel} :${payload}\r\n` : `${payload}\n`;
}

/** Splits complete lines off a stream, keeping the partial one (bounded). */
class LineSplitter {
  #carry: Buffer | undefined;

  /**
   * Calls `line(buf, start, end, next)` for each complete line (LF and one CR stripped); `next`
   * is where the following line starts in `chunk`. The callback returns false to stop there
   * (the rest of the chunk is then the caller's).
   */
  push(chunk: Buffer, line: (buf: Buffer, start: number, end: number, next: number) => boolean | void): void {
    let start = 0;
    if (this.#carry !== undefined) {
      const lf = chunk.indexOf(LF);
      if (lf === -1) {
        this.#carry = keepTail(Buffer.concat([this.#carry, chunk]));
        return;
      }
      const first = Buffer.concat([this.#carry, chunk.subarray(0, lf)]);
      this.#carry = undefined;
      if (line(first, 0, trimCr(first, 0, first.length), lf + 1) === false) return;
      start = lf + 1;
    }
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      if (lf === -1) {
        this.#carry = keepTail(Buffer.from(chunk.subarray(start)));
        return;
      }
      if (line(chunk, start, trimCr(chunk, start, lf), lf + 1) === false) return;
      start = lf + 1;
    }
  }
}

function keepTail(buf: Buffer): Buffer {
  return buf.length > CARRY_MAX_BYTES ? buf.subarray(buf.length - CARRY_MAX_BYTES) : buf;
}

function trimCr(buf: Buffer, start: number, end: number): number {
  return end > start && buf[end - 1] === CR ? end - 1 : end;
}

/** The line protocol (charla, the seed): see the module comment. */
export class LineCodec implements BenchCodec {
  readonly name: string;
  #ready: boolean;
  readonly #lines = new LineSplitter();
  readonly #scanner = new MarkerScanner();

  /** `readyOnWrite`: registered as soon as the name is written (servers with no welcome). */
  constructor(name: string, readyOnWrite = false) {
    this.name = name;
    this.#ready = readyOnWrite;
  }

  hello(): string {
    return `${this.name}\n`; // seed: the first line is the name
  }

  push(chunk: Buffer, sink: CodecSink): void {
    if (!this.#ready) {
      let rest = chunk.length;
      this.#lines.push(chunk, (buf, start, end, next) => {
        if (startsWith(buf, start, end, '***')) {
          this.#ready = true;
          sink.ready();
          rest = next; // the stream goes on after the welcome
          return false;
        }
        if (startsWith(buf, start, end, 'Error:')) sink.fail(buf.toString('utf8', start, end));
        return true;
      });
      if (!this.#ready) return;
      // Whatever followed the welcome in this chunk is scanned like any later chunk.
      if (rest < chunk.length) this.#scan(chunk.subarray(rest), sink);
      return;
    }
    this.#scan(chunk, sink);
  }

  #scan(chunk: Buffer, sink: CodecSink): void {
    this.#scanner.push(chunk, sink.marker);
    const e = chunk.indexOf(ERROR_PREFIX);
    if (e !== -1 && (e === 0 || chunk[e - 1] === LF)) {
      const lf = chunk.indexOf(LF, e);
      sink.note(chunk.toString('utf8', e, lf === -1 ? chunk.length : trimCr(chunk, e, lf)));
    }
  }
}

/** True when `buf[start, end)` starts with the ASCII `prefix`. */
export function startsWith(buf: Buffer, start: number, end: number, prefix: string): boolean {
  if (end - start < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (buf[start + k] !== prefix.charCodeAt(k)) return false;
  return true;
}

/** The parts of an IRC line the generator cares about: its command and where its params start. */
export interface IrcLineParts {
  command: string;
  /** Offset of the first parameter (after the command and its spaces). */
  paramsAt: number;
}

/**
 * Splits `[:prefix] COMMAND params` in `buf[start, end)`. Only the command is decoded; the
 * caller looks at the params in place.
 */
export function parseIrcLine(buf: Buffer, start: number, end: number): IrcLineParts {
  let p = start;
  if (p < end && buf[p] === COLON) {
    while (p < end && buf[p] !== SPACE) p++;
    while (p < end && buf[p] === SPACE) p++;
  }
  const cmdStart = p;
  while (p < end && buf[p] !== SPACE) p++;
  const command = buf.toString('latin1', cmdStart, p);
  while (p < end && buf[p] === SPACE) p++;
  return { command, paramsAt: p };
}

const PRIVMSG_SPACE = Buffer.from('PRIVMSG ');

function isPrivmsg(buf: Buffer, at: number): boolean {
  for (let k = 0; k < 8; k++) if (buf[at + k] !== PRIVMSG_SPACE[k]) return false;
  return true;
}

/** Numerics that refuse the user: bad or taken nick, banned, channel full, too many channels. */
const IRC_REFUSALS = new Set(['ERROR', '432', '433', '465', '471', '405']);

/** The IRC client side: see the module comment. */
export class IrcCodec implements BenchCodec {
  readonly nick: string;
  readonly channel: string;
  /** open -> (001) joining -> (366) ready. */
  #state: 'open' | 'joining' | 'ready' = 'open';
  readonly #lines = new LineSplitter();

  constructor(nick: string, channel: string) {
    this.nick = nick;
    this.channel = channel;
  }

  get state(): 'open' | 'joining' | 'ready' {
    return this.#state;
  }

  hello(): string {
    return `NICK ${this.nick}\r\nUSER ${this.nick} 0 * :bench\r\n`;
  }

  push(chunk: Buffer, sink: CodecSink): void {
    this.#lines.push(chunk, (buf, start, end) => this.#line(buf, start, end, sink));
  }

  #line(buf: Buffer, start: number, end: number, sink: CodecSink): void {
    // The common line, `:prefix PRIVMSG ...`, without decoding its command (no string per line).
    let p = start;
    if (p < end && buf[p] === COLON) {
      p = buf.indexOf(SPACE, p);
      if (p === -1 || p >= end) p = end;
      while (p < end && buf[p] === SPACE) p++;
    }
    if (end - p > 8 && isPrivmsg(buf, p)) {
      scanMarkers(buf, p + 8, end, sink.marker);
      return;
    }
    const { command, paramsAt } = parseIrcLine(buf, start, end);
    switch (command) {
      case 'PRIVMSG':
        scanMarkers(buf, paramsAt, end, sink.marker);
        return;
      case 'PING':
        sink.reply(`PONG ${buf.toString('latin1', paramsAt, Math.min(end, paramsAt + 500))}\r\n`);
        return;
      case '001':
        if (this.#state === 'open') {
          this.#state = 'joining';
          sink.reply(`JOIN ${this.channel}\r\n`);
        }
        return;
      case '366':
        if (this.#state === 'joining') {
          this.#state = 'ready';
          sink.ready();
        }
        return;
      default:
        if (IRC_REFUSALS.has(command)) sink.fail(buf.toString('utf8', start, Math.min(end, start + 200)));
    }
  }
}
