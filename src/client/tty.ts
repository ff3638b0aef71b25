/**
 * Interactive mode: a person at a terminal. node:readline keeps the input line (with history and
 * editing); lines from the network are printed above it, and the prompt with whatever was half
 * typed is drawn again below, so incoming messages never break what the user is writing.
 *
 * The server does not echo a user's own messages, so after Enter the typed line is replaced by
 * the message as the room sees it ("ana (tú): hola"). /quitar, Ctrl+C and Ctrl+D all leave the
 * same way: /quitar is sent and the server's close awaited (briefly).
 *
 * A terminal that stops taking output (Ctrl+S) needs no pausing here, unlike pipe mode: Node
 * writes to a terminal synchronously, so the write blocks the whole process, the socket is not
 * read meanwhile and the server sees the backpressure.
 */
import { clearScreenDown, createInterface, cursorTo, type Interface, moveCursor } from 'node:readline';
import type { Translate } from '../hub/messages.js';
import { foldName } from '../hub/names.js';
import { parseCommand } from '../protocol/command.js';
import { sanitize } from '../protocol/sanitize.js';
import { classify } from './classify.js';
import type { ClientConnection, ConnectionEvent } from './connection.js';
import { displayWidth, type RenderOptions, renderLine, renderOwn, renderStatus } from './render.js';
import { connectFailure, EXIT, goneNote, isUnreachable, offerName, quit } from './session.js';

/** What interactive mode needs besides the connection. */
export interface TtyOptions {
  name: string | undefined;
  password: string | undefined;
  t: Translate;
  render: RenderOptions;
  answerMs: number;
  quitMs: number;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { columns?: number };
  /** Aborted (a signal, say) = leave as with /quitar. */
  stop?: AbortSignal;
}

const PROMPT = '> '; // seed

/** The terminal: the readline interface, and printing above its input line. */
class Screen {
  readonly rl: Interface;
  readonly #output: TtyOptions['output'];
  #closed = false;

  constructor(opts: TtyOptions) {
    this.#output = opts.output;
    this.rl = createInterface({ input: opts.input, output: opts.output, terminal: true, prompt: PROMPT, historySize: 200 });
    this.rl.on('close', () => {
      // Ctrl+D: readline closed itself; take the empty prompt away so what follows starts clean.
      if (!this.#closed) this.#erasePrompt();
      this.#closed = true;
    });
  }

  #erasePrompt(): void {
    moveCursor(this.#output, 0, -this.rl.getCursorPos().rows);
    cursorTo(this.#output, 0);
    clearScreenDown(this.#output);
  }

  /** Prints `text` above the input line and redraws the prompt and the half-typed input. */
  print(text: string): void {
    if (this.#closed) {
      this.#output.write(`${text}\n`);
      return;
    }
    // Back to where the prompt starts (the input may wrap over several rows), clear it, print.
    const rows = this.rl.getCursorPos().rows;
    moveCursor(this.#output, 0, -rows);
    cursorTo(this.#output, 0);
    clearScreenDown(this.#output);
    // readline redraws by first moving up `prevRows` rows (where it last left the cursor; Node 20
    // does not update it when typing wraps the line): give it those rows, so that it lands just
    // under the printed text. Without the property, the cursor's real row is the best guess.
    const prevRows = (this.rl as unknown as { prevRows?: unknown }).prevRows;
    this.#output.write(`${text}\n${'\n'.repeat(typeof prevRows === 'number' ? prevRows : rows)}`);
    this.rl.prompt(true);
  }

  /** Erases the line just entered (readline left it on screen, the cursor below it). */
  eraseEntered(line: string): void {
    const columns = this.#output.columns ?? 80;
    const rows = Math.floor(displayWidth(PROMPT + line) / columns) + 1;
    moveCursor(this.#output, 0, -rows);
    cursorTo(this.#output, 0);
    clearScreenDown(this.#output);
  }

  /** Asks a question; undefined when `signal` aborts it. */
  ask(query: string, signal: AbortSignal): Promise<string | undefined> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(undefined);
      signal.addEventListener('abort', () => resolve(undefined), { once: true });
      this.rl.question(query, { signal }, (answer) => resolve(answer));
    });
  }

  /** Ends input; later `print`s are plain lines. */
  close(): void {
    if (this.#closed) return;
    this.#erasePrompt();
    this.#closed = true;
    this.rl.close();
  }
}

/** Runs an interactive session over an open connection; resolves with the exit code. */
export async function runTty(conn: ClientConnection, opts: TtyOptions): Promise<number> {
  const screen = new Screen(opts);
  try {
    const name = await register(conn, opts, screen);
    if (typeof name === 'number') return name;
    return await chat(conn, opts, screen, name);
  } finally {
    screen.close();
    conn.close();
  }
}

/** Asks for names until one is taken; returns it, or the exit code when the session ended. */
async function register(conn: ClientConnection, opts: TtyOptions, screen: Screen): Promise<string | number> {
  const { t, render } = opts;
  // Ctrl+C / Ctrl+D at the name prompt, or the server closing meanwhile, end the question.
  const stop = new AbortController();
  let cancelled = false;
  const cancel = (): void => {
    cancelled = true;
    stop.abort();
  };
  screen.rl.on('SIGINT', cancel);
  screen.rl.on('close', cancel);
  opts.stop?.addEventListener('abort', cancel, { once: true });
  const gone = conn.waitFor((e) => e.kind === 'gone', Infinity);
  void gone.then((event) => event !== undefined && stop.abort());
  let name = opts.name;
  let password = opts.password;
  let refused = false;
  let unanswered = false;
  try {
    while (true) {
      const offered = name ?? (await screen.ask(opts.t('client_name_prompt'), stop.signal));
      name = undefined;
      if (cancelled) return EXIT.ok;
      if (offered === undefined) break; // the server closed while we asked
      const answer = await offerName(conn, offered, password, opts.answerMs);
      password = undefined; // given once; after it, each line is another try at a name
      if (cancelled) {
        if (answer.kind === 'welcome') await quit(conn, opts.quitMs);
        return EXIT.ok;
      }
      if (answer.kind === 'welcome') {
        if (answer.line !== undefined) screen.print(renderLine(answer.line, render));
        screen.print(renderStatus(t('client_connected', { target: conn.target }), render));
        // The name as the server took it (normalised), read back from its welcome.
        return (answer.line !== undefined ? classify(sanitize(answer.line)).params['name'] : undefined) ?? offered.trim();
      }
      if (answer.kind === 'refused') {
        screen.print(renderLine(answer.line, render));
        refused = true;
        continue;
      }
      if (answer.kind === 'no_answer') {
        screen.print(renderStatus(t('client_no_answer', { target: conn.target, seconds: opts.answerMs / 1000 }), { ...render, bad: true }));
        return EXIT.serverGone;
      }
      if (conn.transport === 'udp' && isUnreachable(answer.error)) throw connectFailure(t, conn.target, answer.error, false);
      unanswered = !refused;
      break;
    }
  } finally {
    screen.rl.off('SIGINT', cancel);
    screen.rl.off('close', cancel);
    opts.stop?.removeEventListener('abort', cancel);
  }
  const why = unanswered && conn.transport === 'tcp' ? 'client_closed_unanswered' : 'client_server_closed';
  screen.print(renderStatus(t(why), { ...render, bad: true }));
  // A refusal followed by the server closing (a wrong password) is still a refusal.
  return refused ? EXIT.nameRefused : EXIT.serverGone;
}

/** The chat itself, until the user leaves (0) or the server goes away (1). */
function chat(conn: ClientConnection, opts: TtyOptions, screen: Screen, joinedAs: string): Promise<number> {
  const { t, render } = opts;
  let name = joinedAs;
  return new Promise<number>((resolve) => {
    let leaving = false;
    const leave = (): void => {
      if (leaving) return;
      leaving = true;
      // The terminal may be gone (SIGHUP): failing to show the goodbye is no reason to crash.
      opts.output.on('error', () => {});
      screen.close();
      void quit(conn, opts.quitMs).then(() => resolve(EXIT.ok));
    };
    conn.listen((event: ConnectionEvent) => {
      if (event.kind === 'message') {
        const seen = classify(sanitize(event.text));
        // /nick: the room announces "old is now known as new" to everyone, us included.
        if (seen.key === 'user_renamed' && foldName(seen.params['old'] ?? '') === foldName(name)) name = seen.params['name'] ?? name;
        screen.print(renderLine(event.text, render));
        return;
      }
      if (leaving) return; // the close we asked for
      leaving = true;
      const why = goneNote(t, conn, event.error);
      screen.print(renderStatus(why, { ...render, bad: true }));
      resolve(EXIT.serverGone);
    });
    screen.rl.on('line', (line) => {
      if (leaving) return;
      if (line.trim() === '') {
        screen.rl.prompt();
        return;
      }
      const command = parseCommand(line);
      if (command.kind === 'quit') {
        leave();
        return;
      }
      conn.send(line);
      if (command.kind === 'message') {
        // The server does not echo our own words: show them as the room sees them.
        screen.eraseEntered(line);
        screen.print(renderOwn(name, command.text, render));
      } else {
        screen.rl.prompt();
      }
    });
    screen.rl.on('SIGINT', leave);
    screen.rl.on('close', leave);
    if (opts.stop?.aborted) leave();
    opts.stop?.addEventListener('abort', leave, { once: true });
    screen.rl.prompt();
  });
}
