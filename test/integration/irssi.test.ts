import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { joinAs } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/start-server.js';
import { within } from '../helpers/within.js';

/**
 * irssi (Debian's package) against the IRC port, in a real terminal: tmux runs it, send-keys
 * types, capture-pane reads the screen. Skipped when irssi or tmux is missing
 * (scripts/install-test-deps.sh installs both).
 */

const skip =
  spawnSync('tmux', ['-V']).status !== 0 ? 'tmux is not installed' : spawnSync('irssi', ['--version']).status !== 0 ? 'irssi is not installed' : false;

class IrssiPane {
  readonly #socket = `charla-irssi-${process.pid}`;

  constructor(t: TestContext, port: number, nick: string) {
    const home = mkdtempSync(join(tmpdir(), 'charla-irssi-'));
    // irssi's own flood protection queues commands 2.2 s apart: not what is under test here.
    writeFileSync(join(home, 'config'), 'settings = { "irc/core" = { cmd_queue_speed = "0msec"; cmds_max_at_once = "100"; }; };\n');
    const command = `irssi --home=${home} -n ${nick} -c 127.0.0.1 -p ${port}; exec sleep 600`;
    execFileSync('tmux', ['-L', this.#socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'c', '-x', '120', '-y', '40', command]);
    t.after(async () => {
      await promisify(execFile)('tmux', ['-L', this.#socket, 'kill-server']).catch(() => {});
      rmSync(home, { recursive: true, force: true });
    });
  }

  type(line: string): void {
    execFileSync('tmux', ['-L', this.#socket, 'send-keys', '-t', 'c', '-l', line]);
    execFileSync('tmux', ['-L', this.#socket, 'send-keys', '-t', 'c', 'Enter']);
  }

  screen(): string {
    return execFileSync('tmux', ['-L', this.#socket, 'capture-pane', '-p', '-t', 'c'], { encoding: 'utf8' });
  }

  /** Resolves once the screen matches; a terminal has no event to await, so it is read every 25 ms, bounded. */
  async shows(match: RegExp, ms = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const seen = new Promise<void>((resolve) => {
      const look = (): void => {
        if (match.test(this.screen())) resolve();
        else timer = setTimeout(look, 25);
      };
      look();
    });
    try {
      await within(seen, ms, `${String(match)} on irssi's screen`);
    } catch (err) {
      (err as Error).message += `:\n${this.screen()}`;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

test('irssi: connects, /join #general, talks with a line user, /nick, /quit', { skip }, async (t) => {
  const { server, tcpPort } = await startTestServer(t, { irc: true, ircPort: 0 });
  const port = server.irc?.address.port ?? 0;
  const bea = await joinAs(t, tcpPort, 'bea');
  const irssi = new IrssiPane(t, port, 'ana');
  await irssi.shows(/Bienvenido\/a a charla, ana/);
  irssi.type('/join #general');
  await bea.waitFor('*** ana se ha unido al chat ***', 10_000);
  await irssi.shows(/bea/);
  bea.write('hola ana\n');
  await irssi.shows(/bea> hola ana/);
  irssi.type('hola bea, desde irssi');
  await bea.waitFor('ana: hola bea, desde irssi', 10_000);
  irssi.type('/me saluda');
  await bea.waitFor('* ana saluda', 10_000);
  irssi.type('/nick anita');
  await bea.waitFor('*** ana ahora se llama anita ***', 10_000);
  await irssi.shows(/You're now known as anita|ahora/);
  irssi.type('/quit hasta luego');
  await bea.waitFor('*** anita ha salido del chat ***', 10_000);
  assert.equal(server.hub.findByName('anita'), undefined);
});
