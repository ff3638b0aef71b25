import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite, test } from 'node:test';
import { type ClientCheckOptions, runClientCheck } from '../../src/check/client.js';
import type { CheckReport } from '../../src/check/run.js';
import { PYTHON, SEED_DIR } from '../helpers/seed-process.js';
import { CLI } from '../helpers/spawn-server.js';

const BROKEN = fileURLToPath(new URL('../../../test/fixtures/broken-clients/', import.meta.url));
const skip = PYTHON === undefined ? 'python3 is not installed' : false;
const CHARLA_BARE = [process.execPath, CLI, 'client', '--bare', '--host', '{host}', '--port', '{port}'];

function check(options: Partial<ClientCheckOptions> & Pick<ClientCheckOptions, 'command'>): Promise<CheckReport> {
  return runClientCheck({ lang: 'en', runDeadlineMs: 60_000, ...options });
}

function statuses(report: CheckReport): Record<string, string> {
  return Object.fromEntries(report.results.map((r) => [r.id, r.status]));
}

/** `charla check ...args`: its exit code, stdout and stderr (killed after 60 s). */
function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'check', ...args], { timeout: 60_000, env: { ...env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

suite('check client', { concurrency: 2 }, () => {
  test('check client - the terminal client (charla client --bare, name typed at its prompt) passes every client scenario', { skip }, async () => {
    const report = await check({ command: CHARLA_BARE });
    assert.deepEqual(statuses(report), {
      client_batched: 'pass',
      client_split_utf8: 'pass',
      client_typing: 'pass',
      client_typed_intact: 'pass',
      client_server_gone: 'pass',
    }, report.results.map((r) => `${r.id}: ${r.explanation}\n${r.evidence}`).join('\n\n'));
    const typed = report.results.find((r) => r.id === 'client_typed_intact');
    assert.match(String(typed?.evidence), /^⌨ "ana[0-9a-z]+\\r"$/m); // the name was typed, not given
    assert.match(String(typed?.evidence), /^server ← "hola ñan[0-9a-f]+dú, ¿qué tal\? 🎉"$/m);
  });

  test('check client - the seed\'s client passes what it does right and fails exactly the split character and the half-typed line, each explained', { skip }, async () => {
    const report = await check({ command: [PYTHON as string, `${SEED_DIR}cliente_chat.py`, '{host}', '{port}'] });
    assert.deepEqual(statuses(report), {
      client_batched: 'pass',
      client_split_utf8: 'fail',
      client_typing: 'fail',
      client_typed_intact: 'pass',
      client_server_gone: 'pass',
    }, report.results.map((r) => `${r.id}: ${r.explanation}\n${r.evidence}`).join('\n\n'));
    assert.equal(report.failed, 2);
    const split = report.results.find((r) => r.id === 'client_split_utf8');
    // recv(1024).decode('utf-8') raises on half an "é"; its bare except ends the program.
    assert.match(String(split?.explanation), /^The client exited \(code 0\) on receiving "bob[0-9a-z]+: u[0-9a-f]+ café ñandú 🎉"\. In UTF-8 "é" takes 2 bytes/);
    assert.match(String(split?.explanation), /getincrementaldecoder/);
    assert.match(String(split?.evidence), /^server → "bob[0-9a-z]+: u[0-9a-f]+ caf\\xc3"$/m);
    assert.match(String(split?.evidence), /^client \[exit 0\] ▷ /m);
    const typing = report.results.find((r) => r.id === 'client_typing');
    // print("\r" + data + "\n> ") writes over the line being typed and draws an empty prompt.
    assert.match(String(typing?.explanation), /^"hola ñan[0-9a-f]+" was being typed when a message arrived, and afterwards the cursor's line showed ">": what was typed vanished from view\. The screen is shared/);
    assert.match(String(typing?.evidence), /^client ▷ cursor: ">"$/m);
  });

  for (const [mode, id, found] of [
    ['first_line', 'client_batched', /^The client did not show "eva[0-9a-z]+: uno[0-9a-f]+\\neva[0-9a-z]+: dos[0-9a-f]+\\n"; its screen: /],
    ['latin1', 'client_typed_intact', /^"hola ñan[0-9a-f]+dú, ¿qué tal\? 🎉" was typed and the server received "hola \\ufffdan[0-9a-f]+d\\ufffd, \\ufffdqu\\ufffd tal\? \?"\. /],
    ['ignores_close', 'client_server_gone', /^The server closed the connection and the client was still running 4 s later\. When the server closes, recv\(\) returns 0 bytes/],
  ] as const) {
    test(`check client - a client that gets ${id} wrong (${mode}) fails it, with its explanation`, { skip }, async () => {
      // With one scenario that this client gets right, to see that only its own fails.
      const other = id === 'client_server_gone' ? 'client_split_utf8' : 'client_server_gone';
      const report = await check({ command: [PYTHON as string, `${BROKEN}cliente_roto.py`, mode, '{host}', '{port}'], only: [id, other] });
      const failed = report.results.filter((r) => r.status === 'fail');
      assert.deepEqual(failed.map((r) => r.id), [id], report.results.map((r) => `${r.id}: ${r.explanation}\n${r.evidence}`).join('\n\n'));
      assert.match(String(failed[0]?.explanation), found);
    });
  }

  test('check client - cli: --client --json and --junit: the client group, no framing; exit code 1 on a failure', { skip }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'charla-check-client-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const { code, stdout, stderr } = await cli(['--client', `${PYTHON} ${SEED_DIR}cliente_chat.py {host} {port}`, '--only', 'client_typing,client_server_gone', '--json', '--junit', join(dir, 'junit.xml')]);
    assert.equal(code, 1, stderr);
    const json = JSON.parse(stdout) as Record<string, unknown> & { results: Array<Record<string, unknown>> };
    assert.deepEqual(Object.keys(json), ['results', 'passed', 'failed', 'skipped']);
    assert.deepEqual([json['passed'], json['failed'], json['skipped']], [1, 1, 3]);
    assert.deepEqual(json.results.map((r) => [r['id'], r['group'], r['status']]), [
      ['client_batched', 'client', 'skip'],
      ['client_split_utf8', 'client', 'skip'],
      ['client_typing', 'client', 'fail'],
      ['client_typed_intact', 'client', 'skip'],
      ['client_server_gone', 'client', 'pass'],
    ]);
    const junit = await readFile(join(dir, 'junit.xml'), 'utf8');
    assert.match(junit, /<testcase classname="client" name="client_typing" time="[\d.]+"><failure message="Se estaba escribiendo/);
  });

  test('check client - cli: without python3 every client scenario is SKIP, saying why', async () => {
    // No python3 on the PATH (the client itself is given by its absolute path).
    const { code, stdout } = await cli(['--client', `${process.execPath} ${CLI} client --bare --host {host} --port {port}`, '--lang', 'en'], { ...process.env, PATH: '/nonexistent' });
    assert.equal(code, 0, stdout);
    assert.equal(stdout.match(/ SKIP +client: .*\(python3 \(with its pty module\) is needed to drive the client from a terminal\)$/gm)?.length, 5, stdout);
  });

  test('check client - cli: usage errors exit 2', async () => {
    const noPort = await cli(['--client', 'python3 cliente_chat.py {host}']);
    assert.equal(noPort.code, 2);
    assert.match(noPort.stderr, /--client must say where the client connects: \{port\}/);
    const both = await cli(['--client', 'python3 c.py {host} {port}', '--tcp', '127.0.0.1:5000']);
    assert.equal(both.code, 2);
    const unknown = await cli(['--client', 'python3 c.py {host} {port}', '--only', 'broadcast']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown scenario "broadcast"; the ids are client_batched, client_split_utf8, client_typing, client_typed_intact, client_server_gone/);
  });
});
