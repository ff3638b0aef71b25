import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_DROPS } from '../../src/lab/arq-link.js';
import { type ArqProtocolResult, arqProtocolResult } from '../../src/lab/arq-result.js';
import { type ArqPlan, runArq } from '../../src/lab/arq-run.js';
import { NO_IMPAIRMENT } from '../../src/lab/impairment.js';
import type { ArqProtocol } from '../../src/protocol/arq/index.js';
import { within } from '../helpers/within.js';

// The user-space link (relay mode): it delays every DATA and every ACK by 50 ms, a 100 ms round trip.
async function run(protocol: ArqProtocol, messages: number, over: Partial<ArqPlan> = {}): Promise<ArqProtocolResult> {
  const plan: ArqPlan = {
    protocol,
    runId: 'rates',
    messages,
    sizeBytes: 64,
    rate: 'max',
    impairment: { ...NO_IMPAIRMENT, delayMs: 50 },
    seed: 3,
    settings: { window: 8, seqBits: undefined, rtoMs: undefined, unsafeWindow: false, direction: 'both', drops: NO_DROPS },
    graceMs: 20_000,
    ...over,
  };
  const record = await within(runArq(plan), 30_000, `the ${protocol} run`);
  const { result } = arqProtocolResult(record, 100);
  assert.equal(result.delivered, messages);
  assert.equal(result.duplicated + result.outOfOrder, 0);
  return result;
}

test('compare arq rates - 50 ms each way at --rate max: stop-and-wait delivers one message per round trip (within 20%)', async () => {
  const sw = await run('sw', 30);
  assert.ok((sw.rttMs as number) >= 100, `the round trip is the two delays (${sw.rttMs} ms)`);
  assert.ok(Math.abs((sw.messagesPerRtt as number) - 1) <= 0.2, `sw: ${sw.messagesPerRtt} messages per RTT`);
});

for (const protocol of ['gbn', 'sr'] as const) {
  test(`compare arq rates - 50 ms each way at --rate max: ${protocol} with window 8 delivers eight messages per round trip (within 20%)`, async () => {
    const r = await run(protocol, 240);
    assert.ok(Math.abs((r.messagesPerRtt as number) - 8) <= 1.6, `${protocol}: ${r.messagesPerRtt} messages per RTT`);
    // Utilisation measured against the formula N·(L/R)/(RTT+L/R): the same ratio, so the same band.
    assert.ok(Math.abs(r.utilization / (r.utilizationTheory as number) - 1) <= 0.2, `${protocol}: U ${r.utilization} vs ${r.utilizationTheory}`);
  });
}

test('compare arq rates - under 10% loss with window 8, Selective Repeat resends fewer packets per delivered message than Go-Back-N', async () => {
  const lossy = { impairment: { ...NO_IMPAIRMENT, lossPct: 10 }, settings: { window: 8, seqBits: undefined, rtoMs: 40, unsafeWindow: false, direction: 'both' as const, drops: NO_DROPS } };
  const gbn = await run('gbn', 300, lossy);
  const sr = await run('sr', 300, lossy);
  const g = gbn.retransmissionsPerDelivered as number;
  const s = sr.retransmissionsPerDelivered as number;
  assert.ok(s > 0 && s < g, `SR ${s} < GBN ${g}`);
  // GBN resends a window's worth for one loss, SR one packet: well under half as many.
  assert.ok(s < 0.6 * g, `SR ${s} is well under GBN ${g}`);
});
