import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite, test } from 'node:test';
import { PYTHON } from '../helpers/seed-process.js';
import { CLI } from '../helpers/spawn-server.js';
import { startTestServer } from '../helpers/start-server.js';

const BROKEN = fileURLToPath(new URL('../../../test/fixtures/broken/', import.meta.url));
const skip = PYTHON === undefined ? 'python3 is not installed' : false;

/** `charla check ...args`: its exit code, stdout and stderr (killed after 60 s). */
function check(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'check', ...args], { timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

suite('check cli', { concurrency: 3 }, () => {
  test('check cli - --json against charla: the results, passed, failed and skipped; exit code 0', async (t) => {
    const { tcpPort, udpPort } = await startTestServer(t);
    const { code, stdout } = await check(['--tcp', `127.0.0.1:${tcpPort}`, '--udp', `127.0.0.1:${udpPort}`, '--only', 'join_notice,no_echo,udp_listar', '--json']);
    assert.equal(code, 0, stdout);
    const json = JSON.parse(stdout) as Record<string, unknown> & { results: Array<Record<string, unknown>> };
    assert.deepEqual(Object.keys(json), ['results', 'passed', 'failed', 'skipped', 'framing']);
    assert.equal(json['passed'], 3);
    assert.equal(json['failed'], 0);
    assert.equal(json['skipped'], 19);
    for (const r of json.results) assert.deepEqual(Object.keys(r), ['id', 'group', 'status', 'evidence', 'explanation']);
    const noEcho = json.results.find((r) => r['id'] === 'no_echo');
    assert.deepEqual({ group: noEcho?.['group'], status: noEcho?.['status'] }, { group: 'seed', status: 'pass' });
    assert.match(String(noEcho?.['evidence']), /→ "eco[0-9a-f]+"/);
  });

  test('check cli - a failure: the table explains it in English, JUnit and the HTML report are written, the rubric grades; exit code 1', { skip }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'charla-check-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'rubric.json'), JSON.stringify({ seed: 10, join_notice: 5 }));
    const { code, stdout, stderr } = await check([
      '--cmd', `${PYTHON} {file} 127.0.0.1 {port}`,
      '--only', 'join_notice,no_echo',
      '--lang', 'en',
      '--rubric', join(dir, 'rubric.json'),
      '--junit', join(dir, 'junit.xml'),
      '--report', join(dir, 'report'),
      `${BROKEN}echo_to_sender.py`,
    ]);
    assert.equal(code, 1, stderr);
    assert.match(stdout, /^no_echo +seed +FAIL +no echo to the sender$/m);
    assert.match(stdout, /^join_notice +seed +PASS/m);
    assert.match(stdout, /got its own message "eco[0-9a-f]+" back\. The sender already sees what it typed/);
    // join_notice has 5 points; the seed group's 10 are shared by its 9 other scenarios, and
    // only join_notice and no_echo ran: 5 of 5 + 10/9.
    assert.match(stdout, /Grade: 5 of 6\.11 points \(81\.8%\)/);
    assert.match(stdout, /echo_to_sender\.py +✓ +· +✗ +·/); // the summary row
    const junit = await readFile(join(dir, 'junit.xml'), 'utf8');
    assert.match(junit, /<testsuites name="charla check" tests="22" failures="1" errors="0" skipped="20">/);
    assert.match(junit, /<testcase classname="seed" name="no_echo" time="[\d.]+"><failure message="[^"]*got its own message/);
    const page = await readFile(join(dir, 'report', 'index.html'), 'utf8');
    assert.match(page, /<td class="fail">FAIL<\/td>/);
    assert.doesNotMatch(page, /(?:src|href)="(?!#)/, 'self-contained: no external assets');
  });

  test('check cli - usage errors exit with code 2 and say what to fix', async () => {
    const none = await check([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /say which server to check/);
    const only = await check(['--tcp', '5000', '--only', 'nope']);
    assert.equal(only.code, 2);
    assert.match(only.stderr, /--only: unknown scenario "nope"/);
    const endpoint = await check(['--tcp', 'localhost:x']);
    assert.equal(endpoint.code, 2);
    assert.match(endpoint.stderr, /--tcp must be HOST:PORT/);
    const noFiles = await check(['--cmd', 'python3 {file} 127.0.0.1 {port}']);
    assert.equal(noFiles.code, 2);
    assert.match(noFiles.stderr, /--cmd needs the files/);
  });
});
