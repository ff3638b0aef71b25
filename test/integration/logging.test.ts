import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, renameSync, rmSync, watch } from 'node:fs';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import test, { type TestContext } from 'node:test';
import { text } from '../../src/hub/messages.js';
import { spawnCharla } from '../helpers/charla-process.js';
import { connectLine, joinAs, type LineClient } from '../helpers/line-client.js';
import { spawnPtyServer } from '../helpers/pty-server.js';
import { CLI, spawnServer } from '../helpers/spawn-server.js';
import { within } from '../helpers/within.js';

/** Logging must never stop or kill the room (hardening issue, item 1). */

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);
const GOODBYE = es('server_closing');

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'charla-logging-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One user connects, gives a name, says goodbye and is gone: three log lines. */
async function cycle(t: TestContext, port: number, name: string): Promise<void> {
  const c = await connectLine(t, port);
  c.write(`${name}\n`);
  const welcome = await c.next(3000);
  assert.match(welcome, /^\*\*\* /, `${name.slice(0, 10)}... was welcomed`);
  c.write('/quitar\n');
  await c.closedByServer(3000);
  c.socket.destroy();
}

/** `count` connect-and-leave cycles, `parallel` at a time: a bounded amount of log. */
async function cycles(t: TestContext, port: number, count: number, name: (i: number) => string, parallel = 8): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await cycle(t, port, name(next++));
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** The chat still relays: `from` says something and `to` hears it within a bound. */
async function relays(from: LineClient, to: LineClient, fromName: string, words: string, ms = 2000): Promise<void> {
  from.write(`${words}\n`);
  assert.equal(await to.waitFor(new RegExp(`^${fromName}: `), ms), `${fromName}: ${words}`);
}

/** Resolves with the file's text once `match` is in it, re-reading it on every change in its folder. */
async function fileMatching(path: string, match: RegExp, ms = 5000): Promise<string> {
  const read = (): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  const watcher = watch(dirname(path));
  try {
    const found = new Promise<string>((resolve) => {
      const check = (): void => {
        const content = read();
        if (match.test(content)) resolve(content);
      };
      watcher.on('change', check);
      check();
    });
    return await within(found, ms, `${path} to contain ${String(match)} (it has: ${JSON.stringify(read().slice(-300))})`);
  } finally {
    watcher.close();
  }
}

/** Resolves with the first line of `lines` (filled as output arrives on `stream`) that matches. */
async function lineOn(stream: NodeJS.ReadableStream, lines: string[], match: RegExp, ms = 5000): Promise<string> {
  const found = new Promise<string>((resolve) => {
    const check = (): void => {
      const line = lines.find((l) => match.test(l));
      if (line === undefined) return;
      stream.off('data', check);
      resolve(line);
    };
    stream.on('data', () => setImmediate(check)); // after the collector has split the chunk
    check();
  });
  return within(found, ms, `a line matching ${String(match)} (so far: ${JSON.stringify(lines.slice(-3))})`);
}

test('logging - stdout closed under the server (a pipe whose reader went away): the room goes on, and SIGTERM still exits 0', async (t) => {
  const srv = await spawnServer(t, ['--no-warmup']);
  srv.child.stdout?.destroy(); // `charla server | head -1`: the reader is gone
  const ana = await joinAs(t, srv.tcpPort, 'ana');
  const bob = await joinAs(t, srv.tcpPort, 'bob');
  await ana.waitFor(es('user_joined', { name: 'bob' }));
  const lost = await lineOn(srv.child.stderr!, srv.stderr, /^charla: no se puede escribir en stdout /);
  assert.match(lost, /\((EPIPE|ECONNRESET)\)/);
  await cycles(t, srv.tcpPort, 20, (i) => `u${i}`);
  await relays(ana, bob, 'ana', 'sigo aquí');
  assert.equal(srv.stderr.filter((l) => l.includes('stdout')).length, 1, 'said once');
  srv.child.kill('SIGTERM');
  assert.equal(await ana.waitFor(GOODBYE), GOODBYE);
  assert.equal(await within(srv.exited, 5000, 'the server to exit'), 0);
});

test('logging - stdout on a real pipe (FIFO) whose reader went away: the room goes on, and SIGTERM still exits 0', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'stdout');
  execFileSync('mkfifo', [path]);
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY);
  const child = spawn(process.execPath, [CLI, 'server', '--host', '127.0.0.1', '--tcp-port', '0', '--no-udp', '--no-irc', '--no-http', '--no-warmup'], {
    stdio: ['ignore', writeFd, 'pipe'],
  });
  closeSync(writeFd);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const reader = new net.Socket({ fd: readFd, readable: true, writable: false });
  reader.setEncoding('utf8');
  let seen = '';
  const banner = new Promise<number>((resolve) => {
    reader.on('data', (chunk: string) => {
      seen += chunk;
      const m = /TCP escuchando en .*:(\d+)\n/.exec(seen);
      if (m) resolve(Number(m[1]));
    });
  });
  const port = await within(banner, 10_000, 'the banner on the pipe');
  reader.destroy(); // closes the only read end
  const stderr: string[] = [];
  let rest = '';
  const errStream = child.stderr as Readable;
  errStream.setEncoding('utf8');
  errStream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    stderr.push(...parts);
  });
  const ana = await joinAs(t, port, 'ana');
  const bob = await joinAs(t, port, 'bob');
  assert.match(await lineOn(errStream, stderr, /^charla: no se puede escribir en stdout /), /\(EPIPE\)/);
  await cycles(t, port, 20, (i) => `u${i}`);
  await relays(bob, ana, 'bob', 'la tubería se cerró y seguimos');
  child.kill('SIGTERM');
  assert.equal(await ana.waitFor(GOODBYE), GOODBYE);
  assert.equal(await within(exited, 5000, 'the server to exit'), 0);
});

test('logging - a terminal nobody reads: the room keeps relaying, lines are dropped and counted, and SIGTERM still exits', async (t) => {
  const long = 'x'.repeat(1500); // long names: each cycle logs about 3 KB
  const started = await spawnPtyServer(t, ['--no-warmup', '--max-name-length', '2000', '--max-line-bytes', '4096']);
  if (started === undefined) {
    t.skip('needs python3 (its pty module) to give the server a terminal');
    return;
  }
  const { pty, tcpPort, pid } = started;
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  await pty.line(/^bob conectado/);
  await pty.pause(); // Ctrl+S, or a window nobody looks at
  // About 400 KB of log: the terminal holds some 64 KB, the server's queue 256 KiB.
  await within(cycles(t, tcpPort, 130, (i) => `a${i}${long}`), 15_000, '130 users to come and go with the terminal frozen');
  await relays(ana, bob, 'ana', 'la terminal está congelada y seguimos');

  pty.resume();
  const notice = await pty.line(/^charla: \d+ líneas del registro descartadas/, 5000);
  assert.ok(Number(/(\d+)/.exec(notice)?.[1]) > 0);

  await pty.pause();
  await within(cycles(t, tcpPort, 40, (i) => `b${i}${long}`), 15_000, '40 more users with the terminal frozen again');
  process.kill(pid, 'SIGTERM');
  assert.equal(await ana.waitFor(GOODBYE), GOODBYE);
  assert.equal(await pty.exitCode(6000), 0, 'exits 0 though its last lines cannot be written');
});

test('logging - a terminal that was closed (EIO): the room goes on, and SIGTERM still exits 0', async (t) => {
  const started = await spawnPtyServer(t, ['--no-warmup']);
  if (started === undefined) {
    t.skip('needs python3 (its pty module) to give the server a terminal');
    return;
  }
  const { pty, tcpPort, pid } = started;
  const ana = await joinAs(t, tcpPort, 'ana');
  await pty.line(/^ana conectado/);
  await pty.close(); // the window is gone; the server was started detached (nohup, &)
  const bob = await joinAs(t, tcpPort, 'bob');
  await ana.waitFor(es('user_joined', { name: 'bob' }));
  await cycles(t, tcpPort, 20, (i) => `u${i}`);
  await relays(bob, ana, 'bob', 'sin terminal');
  process.kill(pid, 'SIGTERM');
  assert.equal(await ana.waitFor(GOODBYE), GOODBYE);
  assert.equal(await pty.exitCode(5000), 0);
});

test('logging - --log-file: the log goes to the file and the banner to stdout as well; SIGHUP after a rename starts a new file, and the users stay', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'charla.log');
  const srv = await spawnServer(t, ['--no-warmup', '--log-file', path]);
  await fileMatching(path, /^charla: TCP escuchando en 127\.0\.0\.1:\d+$/m);
  const ana = await joinAs(t, srv.tcpPort, 'ana');
  await fileMatching(path, /^ana conectado \(tcp /m);

  renameSync(path, `${path}.1`); // what logrotate does
  srv.child.kill('SIGHUP');
  await fileMatching(path, new RegExp(`^${es('log_reopened').replace(/[()]/g, '\\$&')}$`, 'm'));
  const bob = await joinAs(t, srv.tcpPort, 'bob');
  await ana.waitFor(es('user_joined', { name: 'bob' }));
  await fileMatching(path, /^bob conectado \(tcp /m);
  await relays(ana, bob, 'ana', 'el registro rotó');
  const old = readFileSync(`${path}.1`, 'utf8');
  assert.match(old, /^ana conectado/m);
  assert.doesNotMatch(old, /bob/);

  srv.child.kill('SIGTERM');
  await ana.waitFor(GOODBYE);
  assert.equal(await within(srv.exited, 5000, 'the server to exit'), 0);
  assert.match(readFileSync(path, 'utf8'), /^charla: cerrando \(2 usuarios avisados\)/m);
  assert.ok(srv.stdout.some((l) => /^charla: TCP escuchando en /.test(l)), 'the banner is on stdout');
  assert.equal(srv.stdout.some((l) => /conectado/.test(l)), false, 'the log is not');
});

test('logging - a --log-file that cannot be opened is one line on stderr and exit code 2', async (t) => {
  const dir = tempDir(t);
  const c = spawnCharla(t, ['server', '--host', '127.0.0.1', '--tcp-port', '0', '--udp-port', '0', '--no-irc', '--no-http', '--log-file', join(dir, 'no-such-dir', 'x.log')]);
  c.end();
  assert.equal(await c.exit(), 2);
  assert.match(c.stderr, /^charla server: --log-file: cannot open .*x\.log for appending \(ENOENT\)\n$/);
});
