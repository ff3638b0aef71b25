import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TestContext, test } from 'node:test';
import type { SweepReport } from '../../src/lab/arq-sweep.js';
import { within } from '../helpers/within.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

async function compare(t: TestContext, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, 'compare', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await within(once(child, 'exit'), 60_000, `charla compare ${args.join(' ')}`)) as [number | null];
  return { code, stdout, stderr };
}

test('compare sweep - --sweep window=1,2,4,8: goodput grows with the window as the formula says, in the JSON and the report chart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'charla-sweep-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { code, stdout, stderr } = await compare(t, ['--protocols', 'gbn', '--sweep', 'window=1,2,4,8', '--delay', '20', '--messages', '48', '--rate', 'max', '--relay', '--json', '--report', dir]);
  assert.equal(code, 0, stderr);
  const sweep = (JSON.parse(stdout) as { sweep: SweepReport }).sweep;
  assert.equal(sweep.parameter, 'window');
  assert.deepEqual(
    sweep.points.map((p) => [p.value, p.window, p.protocol, p.delivered]),
    [1, 2, 4, 8].map((w) => [w, w, 'gbn', 48]),
  );
  for (const p of sweep.points) {
    const ratio = p.goodputBytesPerSec / (p.goodputTheoryBytesPerSec as number);
    assert.ok(ratio > 0.7 && ratio < 1.3, `window ${p.value}: goodput ${p.goodputBytesPerSec} B/s against the formula's ${p.goodputTheoryBytesPerSec}`);
  }
  const [w1, , , w8] = sweep.points as [SweepReport['points'][number], unknown, unknown, SweepReport['points'][number]];
  assert.ok(w8.goodputBytesPerSec > 5 * w1.goodputBytesPerSec, 'window 8 delivers several times what window 1 does');
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  assert.match(html, /data-chart="sweep"/);
  assert.match(html, /data-series="gbn" data-points="4"/, 'the measured line has a point per window');
  assert.match(html, /data-series="gbn-formula" data-points="4"/, 'and so has the formula');
  assert.deepEqual((JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { sweep: SweepReport }).sweep, sweep);
});

test('compare sweep - --sweep delay=0,40: stop-and-wait utilisation collapses as the delay grows; the table shows both points', async (t) => {
  const { code, stdout, stderr } = await compare(t, ['--protocols', 'sw', '--sweep', 'delay=0,40', '--messages', '12', '--rate', 'max', '--relay']);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /Sweep of delay \(0, 40 ms each way\)/);
  const rows = stdout.split('\n').filter((l) => /^\s+(0|40)\s+SW\s/.test(l));
  assert.equal(rows.length, 2, stdout);
  // The utilisation column: a 40 ms delay each way leaves stop-and-wait idle most of the time.
  const [at0, at40] = rows.map((r) => Number((r.trim().split(/\s{3,}/)[6] as string).replace('%', '')));
  assert.ok((at40 as number) < (at0 as number) / 10, `utilisation ${at0}% at 0 ms, ${at40}% at 40 ms`);
});

test('compare sweep - refuses a window sweep of stop-and-wait and a sweep without an ARQ protocol', async (t) => {
  const sw = await compare(t, ['--protocols', 'sw', '--sweep', 'window=1,2']);
  assert.notEqual(sw.code, 0);
  assert.match(sw.stderr, /stop-and-wait's window is always 1/);
  const none = await compare(t, ['--sweep', 'delay=0,10']);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /--protocols/);
});
