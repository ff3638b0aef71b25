import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  describeImpairment,
  type Impairment,
  NO_IMPAIRMENT,
  netemArgs,
  nftDuplicateRuleset,
  nftLossRuleset,
  packetDelay,
  planDatagram,
  seededRandom,
  spacingNotes,
  streamDueMs,
  validateImpairment,
} from '../../../src/lab/impairment.js';
import { CharlaError } from '../../../src/util/errors.js';

const imp = (over: Partial<Impairment>): Impairment => ({ ...NO_IMPAIRMENT, ...over });

/** Fate counts of `n` datagrams planned with one seeded source. */
function tally(i: Impairment, n: number, seed: number): { lost: number; duplicated: number; immediate: number; delays: number[] } {
  const random = seededRandom(seed);
  let lost = 0;
  let duplicated = 0;
  let immediate = 0;
  const delays: number[] = [];
  for (let k = 0; k < n; k++) {
    const copies = planDatagram(i, random);
    if (copies.length === 0) lost++;
    if (copies.length === 2) duplicated++;
    for (const d of copies) {
      if (d === 0) immediate++;
      delays.push(d);
    }
  }
  return { lost, duplicated, immediate, delays };
}

test('lab/impairment - the same seed gives the same choices', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const c = seededRandom(43);
  const xs = Array.from({ length: 5 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c()));
  for (const x of xs) assert.ok(x >= 0 && x < 1);
});

test('lab/impairment - a seeded relay plan loses the asked fraction within tolerance', () => {
  for (const [loss, seed] of [
    [5, 1],
    [10, 2],
    [30, 3],
  ] as const) {
    const { lost } = tally(imp({ lossPct: loss }), 20_000, seed);
    const share = (100 * lost) / 20_000;
    assert.ok(Math.abs(share - loss) < 1, `loss ${loss}%: got ${share.toFixed(2)}%`);
  }
  assert.equal(tally(NO_IMPAIRMENT, 1000, 1).lost, 0);
  assert.equal(tally(imp({ lossPct: 100 }), 1000, 1).lost, 1000);
});

test('lab/impairment - duplication and reordering happen at the asked rates', () => {
  const dup = tally(imp({ duplicatePct: 10 }), 20_000, 5);
  assert.ok(Math.abs((100 * dup.duplicated) / 20_000 - 10) < 1, `duplicated ${dup.duplicated}`);
  const re = tally(imp({ delayMs: 50, reorderPct: 25 }), 20_000, 6);
  assert.ok(Math.abs((100 * re.immediate) / 20_000 - 25) < 1.5, `sent without delay: ${re.immediate}`);
  assert.ok(re.delays.every((d) => d === 0 || d === 50));
});

test('lab/impairment - jitter keeps every delay within delay ± jitter and never below 0', () => {
  const random = seededRandom(9);
  const delays = Array.from({ length: 5000 }, () => packetDelay(imp({ delayMs: 100, jitterMs: 20 }), random));
  assert.ok(delays.every((d) => d >= 80 && d <= 120));
  assert.ok(Math.max(...delays) - Math.min(...delays) > 35, 'jitter spreads the delays');
  const wide = Array.from({ length: 1000 }, () => packetDelay(imp({ delayMs: 5, jitterMs: 50 }), random));
  assert.ok(wide.every((d) => d >= 0));
});

test('lab/impairment - a TCP stream is delayed but never reordered', () => {
  const random = seededRandom(3);
  let due = 0;
  for (let t = 0; t < 1000; t += 3) {
    const next = streamDueMs(imp({ delayMs: 50, jitterMs: 40 }), t, due, random);
    assert.ok(next >= due, 'each chunk leaves after the one before it');
    assert.ok(next >= t + 10);
    due = next;
  }
});

test('lab/impairment - netem arguments', () => {
  assert.deepEqual(netemArgs(imp({ lossPct: 10 })), ['limit', '100000', 'loss', '10%']);
  assert.deepEqual(netemArgs(imp({ delayMs: 100, jitterMs: 20, duplicatePct: 1, reorderPct: 25 })), [
    'limit',
    '100000',
    'delay',
    '100ms',
    '20ms',
    'duplicate',
    '1%',
    'reorder',
    '25%',
  ]);
  assert.deepEqual(netemArgs(NO_IMPAIRMENT), ['limit', '100000']);
});

test('lab/impairment - nftables rules drop on the clients side and duplicate on the server side', () => {
  const loss = nftLossRuleset('lab1', imp({ lossPct: 12.5 }));
  assert.match(loss ?? '', /table netdev charla_lab/);
  assert.match(loss ?? '', /hook ingress device "lab1"/);
  assert.match(loss ?? '', /numgen random mod 10000 < 1250 drop/);
  const dup = nftDuplicateRuleset('lab0', '10.200.0.2', imp({ duplicatePct: 5 }));
  assert.match(dup ?? '', /table ip charla_lab/);
  assert.match(dup ?? '', /oifname "lab0" numgen random mod 10000 < 500 dup to 10\.200\.0\.2 device "lab0"/);
  assert.equal(nftLossRuleset('lab1', NO_IMPAIRMENT), undefined);
  assert.equal(nftDuplicateRuleset('lab0', '10.200.0.2', NO_IMPAIRMENT), undefined);
});

test('lab/impairment - reorder and jitter need a delay, said with the flag to use', () => {
  assert.throws(() => validateImpairment(imp({ reorderPct: 10 })), (e: unknown) => e instanceof CharlaError && /--reorder needs --delay/.test(e.message));
  assert.throws(() => validateImpairment(imp({ jitterMs: 10 })), (e: unknown) => e instanceof CharlaError && /--delay/.test(e.message));
  assert.doesNotThrow(() => validateImpairment(imp({ delayMs: 50, reorderPct: 10, jitterMs: 5 })));
});

test('lab/impairment - described in words', () => {
  assert.equal(describeImpairment(NO_IMPAIRMENT), 'none');
  assert.equal(describeImpairment(imp({ lossPct: 5, delayMs: 100, jitterMs: 20 })), 'loss 5%, delay 100 ms ± 20 ms');
});

test('lab/impairment - says when messages are too far apart to overtake one another', () => {
  assert.match(spacingNotes(imp({ delayMs: 50, reorderPct: 25 }), 5).join(), /200 ms apart, more than the delay \(50 ms\).*--rate 40/);
  assert.match(spacingNotes(imp({ delayMs: 100, jitterMs: 20 }), 5).join(), /jitter range \(40 ms\).*--rate 50/);
  assert.deepEqual(spacingNotes(imp({ delayMs: 50, reorderPct: 25 }), 50), []);
  assert.deepEqual(spacingNotes(imp({ lossPct: 5 }), 5), []);
});
