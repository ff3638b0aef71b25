/**
 * Checking a client (`charla check --client "python3 cliente_chat.py {host} {port}"`): for each
 * scenario a fake server in the seed's style (it sends bare messages, no newline of its own)
 * listens on a free loopback port, the client is started on a pseudo-terminal with {host} and
 * {port} filled in, the name is typed at its prompt, and then the server sends, the "user"
 * types, and the checker reads the client's screen. Each scenario starts its own client, so
 * one that dies in a scenario does not fail the next ones. Every wait is bounded.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { type Lang, type MessageKey, text } from '../hub/messages.js';
import { showBytes, showText } from './escape.js';
import { fillCommand } from './launch.js';
import { Inbox, sleep } from './probe.js';
import { findPython, PtyClient } from './pty.js';
import type { CheckReport, CheckResult } from './run.js';
import type { Finding, Status, Timing } from './scenario.js';
import { TIMING_DEFAULTS } from './scenario.js';

const HOST = '127.0.0.1';

/** The client's connection, as the fake server sees it: what the client sent, as a stream. */
class ServerSide extends Inbox {
  readonly socket: net.Socket;
  readonly #decoder = new StringDecoder('utf8');
  readonly #bytes: Buffer[] = [];

  constructor(socket: net.Socket, signal: AbortSignal) {
    super('server', signal);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      if (this.bytesIn <= 64 * 1024) this.#bytes.push(chunk);
      this.received(this.#decoder.write(chunk));
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.closedBy ??= 'server';
      this.wake();
    });
  }

  /** The bytes received so far (the first 64 KiB). */
  bytes(): Buffer {
    return Buffer.concat(this.#bytes);
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** What one client scenario works with: its fake server, the client on its pty, the evidence. */
export class ClientCtx {
  readonly signal: AbortSignal;
  readonly timing: Timing;
  readonly evidence: string[] = [];
  readonly #command: readonly string[];
  readonly #python: string;
  readonly #startMs: number;
  #server: net.Server | undefined;
  #client: PtyClient | undefined;
  #conn: ServerSide | undefined;
  /** The name typed at the client's prompt (undefined when the client sent one of its own). */
  typedName: string | undefined;

  constructor(command: readonly string[], python: string, signal: AbortSignal, timing: Timing, startMs: number) {
    this.#command = command;
    this.#python = python;
    this.signal = signal;
    this.timing = timing;
    this.#startMs = startMs;
  }

  get client(): PtyClient {
    if (this.#client === undefined) throw new Error('the client was not started');
    return this.#client;
  }

  get conn(): ServerSide {
    if (this.#conn === undefined) throw new Error('the client did not connect');
    return this.#conn;
  }

  get seconds(): number {
    return Math.round(this.timing.waitMs / 100) / 10;
  }

  name(prefix: string): string {
    return `${prefix}${randomBytes(4).readUInt32BE(0).toString(36).slice(0, 4)}`;
  }

  token(prefix = 'm'): string {
    return `${prefix}${randomBytes(4).toString('hex')}`;
  }

  /**
   * Starts the fake server and the client, waits (bounded) for the client to connect, and
   * types the name at its prompt unless it sent one by itself. A Finding when it never connects
   * or never sends a name.
   */
  async start(): Promise<Finding | undefined> {
    const server = net.createServer();
    this.#server = server;
    let accepted: ((socket: net.Socket) => void) | undefined;
    const connected = new Promise<net.Socket | undefined>((resolve) => {
      accepted = resolve;
      this.signal.addEventListener('abort', () => resolve(undefined));
    });
    server.on('connection', (socket) => {
      if (this.#conn !== undefined) return socket.destroy(); // one client per scenario
      accepted?.(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, HOST, () => resolve());
    });
    const { port } = server.address() as net.AddressInfo;
    const argv = fillCommand(this.#command, { file: '', port, udpPort: 0, host: HOST });
    this.note(`$ ${argv.join(' ')}`);
    const client = new PtyClient(this.#python, argv, this.signal);
    this.#client = client;
    const exited = client.waitClosed(this.#startMs).then(() => undefined);
    const timeout = sleep(this.#startMs, this.signal).then(() => undefined);
    const socket = await Promise.race([connected, exited, timeout]);
    if (socket === undefined) {
      return client.closed
        ? { key: 'check_found_client_exited_early', params: { code: String(client.exitCode), got: showText(client.since(0)) } }
        : { key: 'check_found_client_no_connect', params: { seconds: Math.round(this.#startMs / 100) / 10, got: showText(client.since(0)) } };
    }
    this.#conn = new ServerSide(socket, this.signal);
    // Its prompt (or a name of its own) comes first; then the name is typed, as a person would.
    await client.until(() => this.conn.bytesIn > 0 || /[:>?]\s*$/.test(client.screen.cursorRow()), this.timing.waitMs);
    await client.quiet(100, 500);
    if (this.conn.bytesIn === 0) {
      this.typedName = this.name('ana');
      this.type(`${this.typedName}\r`);
    }
    const named = await this.conn.until(() => this.conn.bytesIn > 0, this.timing.waitMs);
    if (!named) return { key: 'check_found_client_no_name', params: { seconds: this.seconds, got: showText(client.since(0)) } };
    // The rest of the greeting ("Comandos: ...", the "> " prompt).
    await Promise.all([this.conn.quiet(150, 1000), client.quiet(150, 1000)]);
    this.evidence.push(`server ← ${showBytes(this.conn.bytes())}`);
    return undefined;
  }

  /** The fake server sends `bytes` to the client in one write (one segment). */
  async send(bytes: Uint8Array | string): Promise<void> {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    this.evidence.push(`server → ${showBytes(b)}`);
    await this.conn.write(b);
  }

  /** The "user" types on the client's terminal. */
  type(keys: string): void {
    this.evidence.push(`⌨ ${showText(keys)}`);
    this.client.type(keys);
  }

  /** Waits until the screen shows what `ok` wants (re-checked on every chunk); false after `ms`. */
  screenShows(ok: (screen: string) => boolean, ms: number): Promise<boolean> {
    return this.client.until(() => ok(this.client.screen.text()), ms);
  }

  note(line: string): void {
    this.evidence.push(line);
  }

  /** Evidence: the last rows of the client's screen. */
  shot(rows = 6): string {
    const last = this.#client?.screen.lastRows(rows) ?? [];
    this.evidence.push(`${this.#client?.closed ? `client [exit ${this.#client.exitCode ?? '?'}]` : 'client'} ▷ ${last.length === 0 ? '∅' : last.map((r) => showText(r)).join(' ⏎ ')}`);
    return last.map((r) => showText(r)).join(' ⏎ ');
  }

  async close(): Promise<void> {
    this.#conn?.destroy();
    await this.#client?.stop();
    await new Promise<void>((resolve) => (this.#server === undefined ? resolve() : this.#server.close(() => resolve())));
  }
}

export interface ClientScenario {
  id: string;
  deadlineMs: number;
  run(ctx: ClientCtx): Promise<Finding | undefined>;
}

function find(key: MessageKey, params: Finding['params']): Finding {
  return { key, params };
}

/** A seed server's chat line: "name: message", no newline. */
function chat(name: string, message: string): string {
  return `${name}: ${message}`;
}

const batched: ClientScenario = {
  id: 'client_batched',
  deadlineMs: 20_000,
  async run(ctx) {
    // What the seed's server sends when two broadcasts go out back to back: glued, no newline.
    const n1 = ctx.name('bob');
    const tok = ctx.token('hola');
    const join = `*** ${n1} se ha unido al chat ***`;
    await ctx.send(`${join}${chat(n1, tok)}`);
    const seen = await ctx.screenShows((s) => s.includes(n1) && s.includes(tok), ctx.timing.waitMs);
    // And two lines in one segment, from a server that does end its messages with "\n".
    const n2 = ctx.name('eva');
    const t = ctx.token('');
    const one = chat(n2, `uno${t}`);
    const two = chat(n2, `dos${t}`);
    await ctx.send(`${one}\n${two}\n`);
    const both = await ctx.screenShows((s) => s.includes(`uno${t}`) && s.includes(`dos${t}`), ctx.timing.waitMs);
    await ctx.client.quiet(150, 1000);
    const got = ctx.shot();
    if (ctx.client.closed) return find('check_found_client_died', { code: String(ctx.client.exitCode), text: showText(`${one}\n${two}\n`) });
    if (!seen) return find('check_found_client_missing', { text: showText(`${join}${chat(n1, tok)}`), got });
    if (!both) return find('check_found_client_missing', { text: showText(`${one}\n${two}\n`), got });
    const rows = ctx.client.screen.rows();
    if (rows.some((r) => r.includes(`uno${t}`) && r.includes(`dos${t}`))) return find('check_found_client_glued', { text: showText(`${one}\n${two}`), got });
    return undefined;
  },
};

const splitUtf8: ClientScenario = {
  id: 'client_split_utf8',
  deadlineMs: 20_000,
  async run(ctx) {
    const sender = ctx.name('bob');
    const tok = ctx.token('u');
    const tail = 'é ñandú 🎉';
    const message = chat(sender, `${tok} caf${tail}`);
    const bytes = Buffer.from(message, 'utf8');
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
    await ctx.send(bytes.subarray(0, cut));
    await sleep(ctx.timing.pauseMs * 2, ctx.signal); // two segments, apart in time
    await ctx.send(bytes.subarray(cut));
    const whole = await ctx.screenShows((s) => s.includes(tok) && s.includes(tail), ctx.timing.waitMs);
    // Still alive and still reading?
    const after = ctx.token('luego');
    await sleep(ctx.timing.pauseMs, ctx.signal);
    if (!ctx.client.closed) await ctx.send(chat(sender, after));
    const next = await ctx.screenShows((s) => s.includes(after), ctx.timing.waitMs);
    await ctx.client.quiet(150, 1000);
    const got = ctx.shot();
    if (ctx.client.closed && !next) return find('check_found_client_died', { code: String(ctx.client.exitCode), text: showText(message) });
    if (!whole || ctx.client.screen.text().includes('\ufffd')) return find('check_found_client_mangled', { got, expected: showText(message) });
    if (!next) return find('check_found_client_missing', { text: showText(chat(sender, after)), got });
    return undefined;
  },
};

/** Types half a message, has a message arrive, and (unless `finish` is false) types the rest. */
async function typeAround(ctx: ClientCtx): Promise<{ half: string; rest: string; tok: string; echoed: boolean; shown: boolean; mark: number }> {
  const half = `hola ñan${ctx.token('')}`;
  const rest = 'dú, ¿qué tal? 🎉';
  const mark = ctx.conn.mark();
  ctx.type(half);
  const echoed = await ctx.client.until(() => ctx.client.screen.cursorRow().includes(half), ctx.timing.waitMs);
  await ctx.client.quiet(100, 500);
  const tok = ctx.token('hey');
  await ctx.send(chat(ctx.name('bob'), tok));
  const shown = await ctx.screenShows((s) => s.includes(tok), ctx.timing.waitMs);
  await ctx.client.quiet(150, 1000);
  return { half, rest, tok, echoed, shown, mark };
}

const typing: ClientScenario = {
  id: 'client_typing',
  deadlineMs: 20_000,
  async run(ctx) {
    const { half, tok, shown } = await typeAround(ctx);
    const cursor = ctx.client.screen.cursorRow();
    const got = ctx.shot();
    ctx.note(`client ▷ cursor: ${showText(cursor)}`);
    if (ctx.client.closed) return find('check_found_client_died', { code: String(ctx.client.exitCode), text: showText(tok) });
    if (!shown) return find('check_found_client_missing', { text: showText(tok), got });
    return cursor.includes(half) ? undefined : find('check_found_client_typing_lost', { typed: showText(half), got: showText(cursor) });
  },
};

const typedIntact: ClientScenario = {
  id: 'client_typed_intact',
  deadlineMs: 20_000,
  async run(ctx) {
    const named = ctx.conn.since(0);
    const { half, rest, mark } = await typeAround(ctx);
    ctx.type(`${rest}\r`);
    const expected = half + rest;
    await ctx.conn.until(() => ctx.conn.since(mark).includes(rest.slice(-2)), ctx.timing.waitMs); // its last character
    await ctx.conn.quiet(150, 1000);
    const sent = ctx.conn.since(mark);
    ctx.evidence.push(`server ← ${showText(sent)}`);
    ctx.shot();
    if (ctx.typedName !== undefined && named.replace(/\r?\n$/, '') !== ctx.typedName) return find('check_found_client_sent', { expected: showText(ctx.typedName), got: showText(named) });
    return sent.replace(/\r?\n$/, '') === expected ? undefined : find('check_found_client_sent', { expected: showText(expected), got: showText(sent) });
  },
};

const serverGone: ClientScenario = {
  id: 'client_server_gone',
  deadlineMs: 20_000,
  async run(ctx) {
    ctx.note('server → FIN');
    ctx.conn.socket.end();
    const wait = ctx.timing.waitMs * 2;
    const exited = await ctx.client.waitClosed(wait);
    ctx.shot();
    return exited ? undefined : find('check_found_client_stays', { seconds: Math.round(wait / 100) / 10 });
  },
};

/** The client scenarios, by stable id, in the order they run. */
export const CLIENT_SCENARIOS: readonly ClientScenario[] = [batched, splitUtf8, typing, typedIntact, serverGone];
export const CLIENT_SCENARIO_IDS: readonly string[] = CLIENT_SCENARIOS.map((s) => s.id);

export interface ClientCheckOptions {
  /** The client's command line (words), with {host} and {port}. */
  command: readonly string[];
  lang: Lang;
  only: readonly string[] | undefined;
  runDeadlineMs: number;
  timing: Timing;
  /** How long the client has to connect (ms). */
  startMs: number;
  onResult?: (result: CheckResult) => void;
}

/** Runs the client scenarios (each with its own fake server and client) into a report. */
export async function runClientCheck(options: Partial<ClientCheckOptions> & Pick<ClientCheckOptions, 'command'>): Promise<CheckReport> {
  const opts: ClientCheckOptions = { lang: 'es', only: undefined, runDeadlineMs: 180_000, timing: TIMING_DEFAULTS, startMs: 10_000, ...options };
  const t = (key: MessageKey, params?: Finding['params']): string => text(opts.lang, key, params);
  const python = findPython();
  const results: CheckResult[] = [];
  const durations: Record<string, number> = {};
  const runEnds = performance.now() + opts.runDeadlineMs;
  for (const scenario of CLIENT_SCENARIOS) {
    const started = performance.now();
    const base = { id: scenario.id, group: 'client' as const };
    const skip = (reason: string): CheckResult => ({ ...base, status: 'skip', evidence: '', explanation: reason });
    let result: CheckResult;
    const left = runEnds - performance.now();
    if (opts.only !== undefined && !opts.only.includes(scenario.id)) result = skip(t('check_skip_not_selected'));
    else if (python === undefined) result = skip(t('check_skip_no_python'));
    else if (left <= 0) result = skip(t('check_skip_run_deadline', { seconds: Math.round(opts.runDeadlineMs / 1000) }));
    else {
      const controller = new AbortController();
      setMaxListeners(1000, controller.signal);
      const budget = Math.min(scenario.deadlineMs, left);
      const timer = setTimeout(() => controller.abort(), budget);
      const ctx = new ClientCtx(opts.command, python, controller.signal, opts.timing, opts.startMs);
      let finding: Finding | undefined;
      try {
        finding = (await ctx.start()) ?? (await scenario.run(ctx));
        if (controller.signal.aborted) finding = { key: 'check_found_deadline', params: { seconds: Math.round(budget / 100) / 10 } };
      } catch (err) {
        finding = controller.signal.aborted
          ? { key: 'check_found_deadline', params: { seconds: Math.round(budget / 100) / 10 } }
          : { key: 'check_found_client_error', params: { error: err instanceof Error ? err.message : String(err) } };
      } finally {
        clearTimeout(timer);
        controller.abort(); // ends the scenario's pending waits
        await ctx.close();
      }
      const evidence = ctx.evidence.join('\n');
      result =
        finding === undefined
          ? { ...base, status: 'pass', evidence, explanation: '' }
          : { ...base, status: 'fail', evidence, explanation: `${t(finding.key, finding.params)} ${t(`check_explain_${scenario.id}` as MessageKey)}` };
    }
    durations[scenario.id] = Math.round(performance.now() - started);
    results.push(result);
    opts.onResult?.(result);
  }
  const count = (s: Status): number => results.filter((r) => r.status === s).length;
  return { results, passed: count('pass'), failed: count('fail'), skipped: count('skip'), framing: 'unknown', durations, subject: 'client' };
}
