import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type TestContext, test } from 'node:test';
import type { ArqProtocolResult, ArqReport } from '../../src/lab/arq-result.js';
import { findExecutable, kernelModeProblem } from '../../src/lab/netns.js';
import { within } from '../helpers/within.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Why kernel mode cannot be proved here (root, ip and nft are needed), or undefined. */
function missing(): string | undefined {
  return kernelModeProblem() ?? (findExecutable('nft') === undefined ? 'nft is not installed (apt-get install nftables)' : undefined);
}

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

interface ArqJson {
  mode: string;
  arq: ArqReport;
  notes: string[];
  sw: ArqProtocolResult;
  gbn: ArqProtocolResult;
  sr: ArqProtocolResult;
}

async function compareJson(t: TestContext, args: string[], ms: number): Promise<{ json: ArqJson; pid: number }> {
  const child = spawn(process.execPath, [MAIN, 'compare', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await within(once(child, 'exit'), ms, `charla compare ${args.join(' ')}`)) as [number | null];
  assert.equal(code, 0, stderr);
  return { json: JSON.parse(stdout) as ArqJson, pid: child.pid as number };
}

test('compare-kernel-arq - under 10% kernel loss on DATA and ACKs, sw, gbn and sr deliver everything once and in order; SR resends less than GBN', async (t) => {
  const why = missing();
  if (why !== undefined) return t.skip(`kernel mode not available here: ${why}`);
  const { json, pid } = await compareJson(t, ['--protocols', 'sw,gbn,sr', '--kernel', '--loss', '10', '--direction', 'both', '--messages', '120', '--rate', 'max', '--rto', '30'], 60_000);
  assert.match(json.mode, /^kernel-(netem|nftables)$/);
  assert.equal(json.arq.settings.mode, json.mode, 'the ARQ protocols ran in kernel mode, not over the user-space link');
  for (const p of ['sw', 'gbn', 'sr'] as const) {
    const r = json[p];
    assert.equal(r.delivered, 120, `${p} delivers every message`);
    assert.equal(r.duplicated, 0, `${p}: no duplicate reaches the application`);
    assert.equal(r.outOfOrder, 0, `${p}: in order`);
    assert.ok(r.dataLost > 0 && r.ackLost > 0, `${p}: the kernel lost DATA (${r.dataLost}) and ACKs (${r.ackLost})`);
    assert.ok(r.retransmissions >= r.dataLost, `${p}: every lost DATA packet was sent again`);
  }
  assert.ok((json.sr.retransmissionsPerDelivered as number) < (json.gbn.retransmissionsPerDelivered as number), `SR ${json.sr.retransmissionsPerDelivered} < GBN ${json.gbn.retransmissionsPerDelivered}`);
  assert.match(json.notes.join('\n'), /SR resends \d+% fewer/);
  assert.deepEqual(
    namespaces().filter((n) => n.startsWith(`charla-${pid}-`)),
    [],
    'its namespaces were removed',
  );
});

test('compare-kernel-arq - --drop in kernel mode: the ends drop the scripted datagrams themselves', async (t) => {
  const why = missing();
  if (why !== undefined) return t.skip(`kernel mode not available here: ${why}`);
  const { json } = await compareJson(t, ['--protocols', 'sw', '--kernel', '--messages', '5', '--rate', 'max', '--rto', '50', '--drop', 'data:3,ack:5'], 30_000);
  assert.match(json.arq.settings.mode, /^kernel-/);
  const r = json.sw;
  assert.equal(r.delivered, 5);
  assert.equal(r.duplicated, 0);
  // data 1 2 [3 lost] 3' 4 5 5'; ACKs 1 2 3 4 [5 lost] 6: two timeouts, two retransmissions.
  assert.deepEqual([r.dataPackets, r.dataLost, r.ackPackets, r.ackLost, r.timeouts, r.retransmissions, r.duplicatesDiscarded], [7, 1, 6, 1, 2, 2, 1]);
});

test('compare-kernel-arq - with netem, 50 ms each way at --rate max: sw about 1 message per RTT, gbn and sr with window 8 about 8', async (t) => {
  const why = missing();
  if (why !== undefined) return t.skip(`kernel mode not available here: ${why}`);
  const { json } = await compareJson(t, ['--protocols', 'sw', '--kernel', '--delay', '50', '--messages', '3', '--rate', 'max'], 30_000);
  if (json.arq.settings.mode !== 'kernel-netem') return t.skip('this kernel has no netem: the delay cannot be applied in kernel mode (the relay-mode test in compare-arq-rates.test.ts covers it)');
  const sw = (await compareJson(t, ['--protocols', 'sw', '--kernel', '--delay', '50', '--messages', '30', '--rate', 'max'], 60_000)).json.sw;
  const win = (await compareJson(t, ['--protocols', 'gbn,sr', '--kernel', '--delay', '50', '--messages', '240', '--rate', 'max', '--window', '8'], 60_000)).json;
  assert.ok(Math.abs((sw.messagesPerRtt as number) - 1) <= 0.2, `sw: ${sw.messagesPerRtt} messages per RTT`);
  for (const r of [win.gbn, win.sr]) assert.ok(Math.abs((r.messagesPerRtt as number) - 8) <= 1.6, `${r.protocol}: ${r.messagesPerRtt} messages per RTT`);
});
