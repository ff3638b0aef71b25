import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type TestContext, test } from 'node:test';
import type { CompareResult, ProtocolResult } from '../../src/lab/result.js';
import { startTestServer } from '../helpers/start-server.js';
import { within } from '../helpers/within.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs `charla compare ARGS` to the end (bounded); the child is killed by pid after the test. */
async function compare(t: TestContext, args: string[], ms = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, 'compare', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await within(once(child, 'exit'), ms, `charla compare ${args.join(' ')} to finish`)) as [number | null];
  return { code, stdout, stderr };
}

/** The invariants every protocol result keeps, whatever the network did. */
function assertConsistent(p: ProtocolResult, messages: number, receivers: number): void {
  assert.equal(p.sent, messages);
  assert.equal(p.expected, messages * receivers);
  assert.equal(p.delivered + p.lost, p.expected, 'delivered + lost = expected');
  assert.ok(p.outOfOrder <= p.delivered);
  for (const k of ['p50', 'p95', 'p99', 'max'] as const) assert.equal(typeof p.latencyMs[k], 'number');
  assert.ok((p.latencyMs.p50 as number) <= (p.latencyMs.p95 as number) && (p.latencyMs.p95 as number) <= (p.latencyMs.p99 as number));
  assert.ok((p.latencyMs.p99 as number) <= (p.latencyMs.max as number));
  assert.ok(typeof p.setupMs === 'number' && p.setupMs > 0);
  assert.ok(p.goodputBytesPerSec > 0);
  assert.ok(p.wireBytesPerMessage > 0);
}

test('compare - with no impairment both protocols deliver everything, in order, and the JSON keeps its shape', async (t) => {
  const { code, stdout, stderr } = await compare(t, ['--messages', '40', '--rate', '200', '--receivers', '2', '--json']);
  assert.equal(code, 0, stderr);
  const r = JSON.parse(stdout) as CompareResult;
  assert.deepEqual(Object.keys(r).slice(0, 4), ['mode', 'impairment', 'tcp', 'udp']);
  assert.equal(r.mode, 'none');
  assert.deepEqual(
    { lossPct: r.impairment.lossPct, delayMs: r.impairment.delayMs, jitterMs: r.impairment.jitterMs, duplicatePct: r.impairment.duplicatePct, reorderPct: r.impairment.reorderPct },
    { lossPct: 0, delayMs: 0, jitterMs: 0, duplicatePct: 0, reorderPct: 0 },
  );
  for (const p of [r.tcp, r.udp]) {
    assertConsistent(p, 40, 2);
    assert.equal(p.delivered, 80);
    assert.equal(p.duplicated, 0);
    assert.equal(p.outOfOrder, 0);
    assert.equal(p.wireBytesEstimated, true);
  }
  assert.equal(typeof r.tcp.handshakeMs, 'number');
  assert.equal(r.udp.handshakeMs, null, 'UDP has no handshake');
});

test('compare - the table shows both protocols side by side', async (t) => {
  const { code, stdout, stderr } = await compare(t, ['--messages', '20', '--rate', '200', '--receivers', '1']);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /TCP +UDP/);
  assert.match(stdout, /delivered \/ expected +20 \/ 20 +20 \/ 20/);
  assert.match(stdout, /of which handshake +[\d.]+ ms +none/);
  assert.match(stderr, /none mode, impairment: none/);
});

test('compare - measures a running server, counting only its own protocol in the shared room', async (t) => {
  // A normal server with its default per-user rate limit: the default-like rate passes untouched.
  const { tcpPort, udpPort } = await startTestServer(t);
  const { code, stdout, stderr } = await compare(t, ['--tcp-port', String(tcpPort), '--udp-port', String(udpPort), '--messages', '12', '--rate', '10', '--receivers', '2', '--json']);
  assert.equal(code, 0, stderr);
  const r = JSON.parse(stdout) as CompareResult;
  assert.equal(r.run.server, `127.0.0.1:${tcpPort}/${udpPort}`);
  for (const p of [r.tcp, r.udp]) {
    assertConsistent(p, 12, 2);
    assert.equal(p.delivered, 24, 'the other protocol in the same room is not counted');
    assert.equal(p.serverErrors, 0);
  }
});

test('compare - bad options are one line naming the flag, exit code 2', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--loss', '200'], /--loss must be a number from 0 to 100/],
    [['--reorder', '10'], /--reorder needs --delay/],
    [['--kernel', '--relay'], /choose one of --kernel and --relay/],
    [['--kernel', '--host', '127.0.0.1', '--loss', '5'], /--kernel .*cannot measure --host|kernel mode needs/],
    [['--size', '10'], /--size must be a whole number of at least 48/],
    [['--bogus'], /Unknown option '--bogus'/],
  ];
  await Promise.all(
    cases.map(async ([args, message]) => {
      const { code, stderr } = await compare(t, args, 10_000);
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, message);
      assert.equal(stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}`);
    }),
  );
});
