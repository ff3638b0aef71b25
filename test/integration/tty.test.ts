import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import test, { type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { text } from '../../src/hub/messages.js';
import { joinAs } from '../helpers/line-client.js';
import { CLI } from '../helpers/spawn-server.js';
import { startTestServer } from '../helpers/start-server.js';
import { within } from '../helpers/within.js';

/**
 * Interactive mode, in a real terminal: each test runs `charla client` in its own tmux server
 * (its own socket, killed after the test), types into it with send-keys and reads the screen
 * with capture-pane. Skipped when tmux is not installed.
 */

const skip = spawnSync('tmux', ['-V']).status === 0 ? false : 'tmux is not installed';
const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);
const ESC = '\u001b';
let panes = 0;

/** A terminal 80x24 running one command; the command's exit status is printed as EXIT=n. */
class Pane {
  readonly #socket: string;

  constructor(t: TestContext, args: string[], env: Record<string, string | undefined> = {}) {
    this.#socket = `charla-test-${process.pid}-${++panes}`;
    const assignments = Object.entries({ CHARLA_PASSWORD: undefined, ...env }).map(([k, v]) => (v === undefined ? `-u ${k}` : `${k}=${quote(v)}`));
    const command = `env ${assignments.join(' ')} ${quote(process.execPath)} ${quote(CLI)} client ${args.map(quote).join(' ')}; echo "EXIT=$?"; exec sleep 600`;
    execFileSync('tmux', ['-L', this.#socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'c', '-x', '80', '-y', '24', command]);
    t.after(() => promisify(execFile)('tmux', ['-L', this.#socket, 'kill-server']).catch(() => {}));
  }

  /** Keys by tmux name (Enter, C-c, C-d). */
  keys(...keys: string[]): void {
    execFileSync('tmux', ['-L', this.#socket, 'send-keys', '-t', 'c', ...keys]);
  }

  /** Text typed as is. */
  type(s: string): void {
    execFileSync('tmux', ['-L', this.#socket, 'send-keys', '-t', 'c', '-l', s]);
  }

  /** The screen's lines (trailing blank lines dropped); with escapes, the colours too. */
  screen(escapes = false): string[] {
    const out = execFileSync('tmux', ['-L', this.#socket, 'capture-pane', '-p', '-t', 'c', ...(escapes ? ['-e'] : [])], { encoding: 'utf8' });
    const lines = out.split('\n').map((l) => l.trimEnd());
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return lines;
  }

  /**
   * Resolves once the screen satisfies `check`. A terminal has no event to await, so the screen
   * is read again every 25 ms, within a bound.
   */
  async until(what: string, check: (lines: string[]) => boolean, ms = 10_000): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    const seen = new Promise<string[]>((resolve) => {
      const look = (): void => {
        const lines = this.screen();
        if (check(lines)) resolve(lines);
        else timer = setTimeout(look, 25);
      };
      look();
    });
    try {
      return await within(seen, ms, what);
    } catch (err) {
      (err as Error).message += ` on the screen:\n${this.screen().join('\n')}`; // as it was at the timeout
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once a line equal to (or matching) `match` is on the screen. */
  shows(match: string | RegExp, ms = 10_000): Promise<string[]> {
    const ok = (l: string): boolean => (typeof match === 'string' ? l === match : match.test(l));
    return this.until(JSON.stringify(String(match)), (lines) => lines.some(ok), ms);
  }
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const PROMPT = /^> ?$/;
const CONNECTED = /^Conectado a 127\.0\.0\.1:\d+\./;

test('tty - incoming lines appear above a half-typed line, which stays whole; own messages are shown', { skip }, async (t) => {
  const { tcpPort } = await startTestServer(t);
  const pane = new Pane(t, ['--port', String(tcpPort), '--name', 'ana', '--no-color']);
  await pane.until('the prompt', (l) => l.some((x) => CONNECTED.test(x)) && PROMPT.test(l.at(-1) ?? ''));
  pane.type('a medio');
  await pane.until('the half-typed line', (l) => l.at(-1) === '> a medio');

  const bob = await joinAs(t, tcpPort, 'bob');
  bob.write('hola ana\n');
  bob.write('¿sigues ahí?\n');
  const lines = await pane.until('both messages above the input', (l) => l.at(-2) === 'bob: ¿sigues ahí?' && l.at(-1) === '> a medio');
  assert.equal(lines.at(-3), 'bob: hola ana');
  assert.equal(lines.at(-4), es('user_joined', { name: 'bob' }));

  pane.type(' escribir');
  pane.keys('Enter');
  assert.equal(await bob.next(), 'ana: a medio escribir'); // what was typed before and after arrived whole
  const after = await pane.until('the own message', (l) => l.at(-2) === 'ana (tú): a medio escribir' && PROMPT.test(l.at(-1) ?? ''));
  assert.equal(after.includes('> a medio escribir'), false, 'the typed line is replaced by the message');
});

test('tty - a half-typed line that wraps over two rows survives incoming lines too', { skip }, async (t) => {
  const { tcpPort } = await startTestServer(t);
  const pane = new Pane(t, ['--port', String(tcpPort), '--name', 'ana', '--no-color']);
  await pane.until('the prompt', (l) => l.some((x) => CONNECTED.test(x)) && PROMPT.test(l.at(-1) ?? ''));
  const long = `${'palabra '.repeat(12)}fin`; // 99 characters: "> " + 78 on the first row, 21 on the next
  pane.type(long);
  pane.keys('Left', 'Left', 'Left'); // the cursor is not at the end
  const typed = ['> ' + long.slice(0, 78), long.slice(78)];
  await pane.until('the wrapped input', (l) => l.at(-2) === typed[0] && l.at(-1) === typed[1]);

  const bob = await joinAs(t, tcpPort, 'bob');
  bob.write('uno\n');
  bob.write('dos\n');
  const lines = await pane.until('the messages above the wrapped input', (l) => l.at(-3) === 'bob: dos' && l.at(-2) === typed[0] && l.at(-1) === typed[1]);
  assert.deepEqual(lines.slice(-5, -3), [es('user_joined', { name: 'bob' }), 'bob: uno'], 'no blank or broken row between the messages');
  pane.keys('End', 'Enter');
  assert.equal(await bob.next(), `ana: ${long}`);
});

test('tty - names are coloured; NO_COLOR and --no-color turn colours off', { skip }, async (t) => {
  const { tcpPort } = await startTestServer(t);
  const coloured = new Pane(t, ['--port', String(tcpPort), '--name', 'ana'], { NO_COLOR: undefined });
  const noColor = new Pane(t, ['--port', String(tcpPort), '--name', 'eva'], { NO_COLOR: '1' });
  const flag = new Pane(t, ['--port', String(tcpPort), '--name', 'ivan', '--no-color'], { NO_COLOR: undefined });
  for (const pane of [coloured, noColor, flag]) await pane.until('the prompt', (l) => l.some((x) => CONNECTED.test(x)) && PROMPT.test(l.at(-1) ?? ''));
  const bob = await joinAs(t, tcpPort, 'bob');
  bob.write('hola a todos\n');
  for (const pane of [coloured, noColor, flag]) await pane.shows('bob: hola a todos');

  const line = (pane: Pane): string => pane.screen(true).find((l) => l.replace(/\u001b\[[0-9;]*m/g, '') === 'bob: hola a todos') ?? '';
  assert.match(line(coloured), /\u001b\[[0-9;]*m.*bob/, 'the name is coloured');
  assert.equal(line(noColor).includes(ESC), false, 'NO_COLOR');
  assert.equal(line(flag).includes(ESC), false, '--no-color');
});

test('tty - a refused name is shown and the name asked for again', { skip }, async (t) => {
  const { tcpPort } = await startTestServer(t);
  await joinAs(t, tcpPort, 'ana');
  const pane = new Pane(t, ['--port', String(tcpPort), '--no-color']);
  await pane.until('the name prompt', (l) => l.at(-1) === es('client_name_prompt').trimEnd());
  pane.type('ana');
  pane.keys('Enter');
  await pane.until('the error, then the prompt again', (l) => l.at(-2) === es('name_taken', { name: 'ana' }) && l.at(-1) === es('client_name_prompt').trimEnd());
  pane.type('luis');
  pane.keys('Enter');
  await pane.shows(/^\*\*\* Bienvenido\/a a charla, luis\. Conectados: ana, luis\./);
});

for (const [how, keys] of [
  ['Ctrl+C', ['C-c']],
  ['Ctrl+D', ['C-d']],
  ['/quitar', ['/quitar', 'Enter']],
] as const) {
  test(`tty - ${how} leaves cleanly: /quitar is sent and the client exits 0`, { skip }, async (t) => {
    const { tcpPort } = await startTestServer(t);
    const bob = await joinAs(t, tcpPort, 'bob');
    const pane = new Pane(t, ['--port', String(tcpPort), '--name', 'ana', '--no-color']);
    await pane.until('the prompt', (l) => PROMPT.test(l.at(-1) ?? ''));
    assert.equal(await bob.next(), es('user_joined', { name: 'ana' }));
    if (how === '/quitar') pane.type(keys[0]);
    pane.keys(...(how === '/quitar' ? keys.slice(1) : keys));
    // The plain notice is /quitar's; a dropped connection would add "(conexión cerrada)".
    assert.equal(await bob.next(), es('user_left', { name: 'ana' }));
    const lines = await pane.shows(/^EXIT=/);
    assert.equal(lines.at(-1), 'EXIT=0');
    assert.equal(lines.at(-2), es('goodbye', { name: 'ana' }));
  });
}

test('tty - the server going away is said and the client exits 1', { skip }, async (t) => {
  const { server, tcpPort } = await startTestServer(t);
  const pane = new Pane(t, ['--port', String(tcpPort), '--name', 'ana', '--no-color']);
  await pane.until('the prompt', (l) => PROMPT.test(l.at(-1) ?? ''));
  pane.type('sin terminar');
  await server.close();
  const lines = await pane.shows(/^EXIT=/);
  assert.deepEqual(lines.slice(-3), [es('server_closing'), es('client_server_closed'), 'EXIT=1']);
});
