import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type TestContext, test } from 'node:test';
import { arqNotes } from '../../src/lab/arq-compare.js';
import { NO_DROPS, parseDropScript } from '../../src/lab/arq-link.js';
import { type ArqProtocolResult, arqProtocolResult } from '../../src/lab/arq-result.js';
import { type ArqPlan, type ArqSettings, runArq } from '../../src/lab/arq-run.js';
import { NO_IMPAIRMENT } from '../../src/lab/impairment.js';
import type { ArqProtocol } from '../../src/protocol/arq/index.js';
import { within } from '../helpers/within.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

async function compare(t: TestContext, args: string[], ms = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
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

const SETTINGS: ArqSettings = { window: undefined, seqBits: undefined, rtoMs: 40, unsafeWindow: false, direction: 'both', drops: NO_DROPS };

function plan(protocol: ArqProtocol, over: Partial<ArqPlan> = {}, settings: Partial<ArqSettings> = {}): ArqPlan {
  return { protocol, runId: 'test', messages: 30, sizeBytes: 64, rate: 'max', impairment: NO_IMPAIRMENT, seed: 7, settings: { ...SETTINGS, ...settings }, graceMs: 20_000, ...over };
}

async function run(p: ArqPlan): Promise<ArqProtocolResult> {
  const record = await within(runArq(p), 30_000, `the ${p.protocol} run`);
  return arqProtocolResult(record, 0).result;
}

function assertPerfect(r: ArqProtocolResult, messages: number): void {
  assert.equal(r.sent, messages);
  assert.equal(r.delivered, messages, 'everything delivered');
  assert.equal(r.duplicated, 0, 'no duplicate reached the application');
  assert.equal(r.outOfOrder, 0, 'in order');
}

for (const protocol of ['sw', 'gbn', 'sr'] as const) {
  test(`compare arq - ${protocol} over 10% loss on DATA and ACKs: everything, once, in order`, async () => {
    const r = await run(plan(protocol, { messages: 60, impairment: { ...NO_IMPAIRMENT, lossPct: 10 } }));
    assertPerfect(r, 60);
    assert.ok(r.dataLost > 0 && r.ackLost > 0, 'the link lost both DATA and ACKs');
    assert.ok(r.retransmissions >= r.dataLost, 'every lost DATA packet was sent again');
  });
}

test('compare arq - sw, --drop data:3: one timeout, one retransmission, nothing lost', async () => {
  const r = await run(plan('sw', { messages: 5 }, { drops: parseDropScript('data:3') }));
  assertPerfect(r, 5);
  assert.deepEqual([r.timeouts, r.retransmissions, r.dataLost, r.ackLost, r.duplicatesDiscarded], [1, 1, 1, 0, 0]);
});

test('compare arq - sw, --drop ack:2: the lost ACK is survived, the duplicate discarded', async () => {
  const r = await run(plan('sw', { messages: 5 }, { drops: parseDropScript('ack:2') }));
  assertPerfect(r, 5);
  assert.deepEqual([r.timeouts, r.retransmissions, r.ackLost, r.duplicatesDiscarded], [1, 1, 1, 1]);
});

test('compare arq - the Selective Repeat dilemma on purpose: --seq-bits 2 --window 3 --unsafe-window, every ACK of the first window dropped', async () => {
  const settings = { seqBits: 2, window: 3, unsafeWindow: true, drops: parseDropScript('ack:1-3') };
  const r = await run(plan('sr', { messages: 6 }, settings));
  assert.ok(r.duplicated > 0, 'an old message reached the application as new data');
  assert.match(arqNotes([r]).join('\n'), /SR FAILED: .*retransmission was taken for new data/);
  const safe = await run(plan('sr', { messages: 6 }, { ...settings, seqBits: 3, unsafeWindow: false }));
  assertPerfect(safe, 6);
  assert.deepEqual(arqNotes([safe]), []);
});

test('compare arq - the window is the limit at --rate max: GBN with window 4 keeps 4 packets per round trip', async () => {
  const delayed = { ...NO_IMPAIRMENT, delayMs: 20 };
  const [sw, gbn] = [await run(plan('sw', { messages: 20, impairment: delayed }, { rtoMs: undefined })), await run(plan('gbn', { messages: 40, impairment: delayed }, { window: 4, rtoMs: undefined }))];
  assertPerfect(sw, 20);
  assertPerfect(gbn, 40);
  // Ratios in one run, not timings: GBN delivers about 4 messages per round trip to stop-and-wait's 1.
  assert.ok((gbn.messagesPerRtt as number) > 2 * (sw.messagesPerRtt as number), `gbn ${gbn.messagesPerRtt} vs sw ${sw.messagesPerRtt} per RTT`);
  assert.equal(gbn.utilizationTheory !== null && sw.utilizationTheory !== null && Math.round(gbn.utilizationTheory / sw.utilizationTheory), 4);
});

test('compare arq - the CLI: --protocols udp,sr --json has an object per protocol, with the ARQ fields', async (t) => {
  const { code, stdout, stderr } = await compare(t, ['--protocols', 'udp,sr', '--messages', '20', '--rate', 'max', '--loss', '20', '--relay', '--rto', '40', '--json', '--receivers', '1']);
  assert.equal(code, 0, stderr);
  const json = JSON.parse(stdout) as Record<string, unknown>;
  assert.ok(json.udp !== undefined && json.tcp !== undefined, 'the chat part runs as before');
  const sr = json.sr as ArqProtocolResult;
  assertPerfect(sr, 20);
  for (const k of ['retransmissions', 'timeouts', 'duplicateAcks', 'duplicatesDiscarded', 'window', 'rtoFinalMs', 'srttMs', 'utilization', 'utilizationTheory'] as const) {
    assert.ok(k in sr, `sr.${k}`);
  }
  assert.equal(sr.window, 8);
  assert.equal(sr.rtoFinalMs, 40);
  assert.equal(json.sw, undefined);
});

test('compare arq - the CLI refuses an unsafe Selective Repeat window, and says why', async (t) => {
  const { code, stderr } = await compare(t, ['--protocols', 'sr', '--seq-bits', '2', '--window', '3']);
  assert.notEqual(code, 0);
  assert.match(stderr, /half the sequence space/);
  assert.match(stderr, /--unsafe-window/);
});

test('compare arq - the CLI table shows the ARQ columns', async (t) => {
  const { code, stdout, stderr } = await compare(t, ['--protocols', 'sw,gbn', '--messages', '10', '--rate', 'max', '--drop', 'data:2', '--rto', '30']);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /SW +GBN/);
  assert.match(stdout, /retransmissions/);
  assert.match(stdout, /dropping data:2/);
});
