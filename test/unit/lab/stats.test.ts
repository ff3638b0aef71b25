import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Arrival, analyzeRun, median, percentile, summarizeLatency } from '../../../src/lab/stats.js';

/** K messages sent 10 ms apart from t = 0. */
function sentTimes(k: number): number[] {
  return Array.from({ length: k }, (_, i) => i * 10);
}

/** Arrivals of `seqs` (in that order) at one receiver, each 1 ms after it was sent. */
function arrive(receiver: number, seqs: number[]): Arrival[] {
  return seqs.map((seq) => ({ seq, receiver, atMs: (seq - 1) * 10 + 1 }));
}

test('lab/stats - a clean run: every pair delivered once, in order', () => {
  const a = analyzeRun({ sentAtMs: sentTimes(5), receivers: 2, arrivals: [...arrive(0, [1, 2, 3, 4, 5]), ...arrive(1, [1, 2, 3, 4, 5])], messageBytes: 100 });
  assert.deepEqual(
    { expected: a.expected, delivered: a.delivered, lost: a.lost, duplicated: a.duplicated, outOfOrder: a.outOfOrder },
    { expected: 10, delivered: 10, lost: 0, duplicated: 0, outOfOrder: 0 },
  );
  assert.deepEqual(a.latencyMs, { p50: 1, p95: 1, p99: 1, max: 1 });
});

test('lab/stats - lost pairs are the expected ones that never arrived, counted per receiver', () => {
  // Receiver 0 misses 2 and 5; receiver 1 misses 3.
  const a = analyzeRun({ sentAtMs: sentTimes(5), receivers: 2, arrivals: [...arrive(0, [1, 3, 4]), ...arrive(1, [1, 2, 4, 5])], messageBytes: 10 });
  assert.equal(a.expected, 10);
  assert.equal(a.delivered, 7);
  assert.equal(a.lost, 3);
  assert.equal(a.outOfOrder, 0, 'a gap is a loss, not disorder');
  const lost = a.fates.filter((f) => f.copies === 0).map((f) => `${f.seq}@${f.receiver}`);
  assert.deepEqual(lost, ['2@0', '3@1', '5@0']);
});

test('lab/stats - copies after the first are duplicates, never deliveries', () => {
  const a = analyzeRun({ sentAtMs: sentTimes(3), receivers: 1, arrivals: arrive(0, [1, 1, 2, 3, 3, 3]), messageBytes: 10 });
  assert.equal(a.delivered, 3);
  assert.equal(a.duplicated, 3);
  assert.equal(a.lost, 0);
  assert.equal(a.outOfOrder, 0, 'a late copy of an old message is a duplicate, not disorder');
  assert.deepEqual(
    a.fates.map((f) => f.copies),
    [2, 1, 3],
  );
});

test('lab/stats - a message is out of order when a higher-numbered one reached that receiver first (RFC 4737)', () => {
  const cases: Array<[number[], number]> = [
    [[1, 3, 2, 4], 1], // 2 overtaken by 3
    [[2, 3, 4, 1], 1], // 1 arrives last: one late message, not three
    [[4, 3, 2, 1], 3], // each of 3, 2, 1 is late
    [[1, 2, 4, 3, 5], 1],
  ];
  for (const [seqs, expected] of cases) {
    const a = analyzeRun({ sentAtMs: sentTimes(seqs.length + 1), receivers: 1, arrivals: arrive(0, seqs), messageBytes: 10 });
    assert.equal(a.outOfOrder, expected, `order ${seqs.join(',')}`);
  }
});

test('lab/stats - order is judged per receiver, not across receivers', () => {
  // Interleaved: r0 gets 2 before r1 gets 1; each receiver alone is in order.
  const arrivals: Arrival[] = [
    { seq: 1, receiver: 0, atMs: 1 },
    { seq: 2, receiver: 0, atMs: 11 },
    { seq: 1, receiver: 1, atMs: 12 },
    { seq: 2, receiver: 1, atMs: 13 },
  ];
  const a = analyzeRun({ sentAtMs: sentTimes(2), receivers: 2, arrivals, messageBytes: 10 });
  assert.equal(a.outOfOrder, 0);
  assert.deepEqual(
    a.fates.map((f) => f.latencyMs),
    [1, 12, 1, 3],
  );
});

test('lab/stats - arrivals of unknown messages or receivers are ignored', () => {
  const arrivals: Arrival[] = [
    { seq: 0, receiver: 0, atMs: 1 },
    { seq: 4, receiver: 0, atMs: 1 },
    { seq: 1, receiver: 5, atMs: 1 },
    { seq: 1.5, receiver: 0, atMs: 1 },
    { seq: 1, receiver: 0, atMs: 2 },
  ];
  const a = analyzeRun({ sentAtMs: sentTimes(3), receivers: 1, arrivals, messageBytes: 10 });
  assert.equal(a.delivered, 1);
  assert.equal(a.duplicated, 0);
  assert.equal(a.lost, 2);
});

test('lab/stats - nothing delivered: null latencies and zero goodput', () => {
  const a = analyzeRun({ sentAtMs: sentTimes(4), receivers: 3, arrivals: [], messageBytes: 10 });
  assert.equal(a.lost, 12);
  assert.deepEqual(a.latencyMs, { p50: null, p95: null, p99: null, max: null });
  assert.equal(a.goodputBytesPerSec, 0);
});

test('lab/stats - goodput is unique bytes delivered over first send to last arrival', () => {
  // 2 messages of 500 bytes to 2 receivers, last arrival at 1000 ms, one duplicate (not counted).
  const arrivals: Arrival[] = [
    { seq: 1, receiver: 0, atMs: 100 },
    { seq: 1, receiver: 1, atMs: 100 },
    { seq: 2, receiver: 0, atMs: 1000 },
    { seq: 2, receiver: 1, atMs: 600 },
    { seq: 2, receiver: 1, atMs: 900 },
  ];
  const a = analyzeRun({ sentAtMs: [0, 500], receivers: 2, arrivals, messageBytes: 500 });
  assert.equal(a.activeMs, 1000);
  assert.equal(a.goodputBytesPerSec, 2000);
});

test('lab/stats - nearest-rank percentiles', () => {
  const v = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(v, 50), 50);
  assert.equal(percentile(v, 95), 95);
  assert.equal(percentile(v, 99), 99);
  assert.equal(percentile(v, 100), 100);
  assert.equal(percentile([7], 1), 7);
  assert.equal(percentile([], 50), undefined);
  assert.deepEqual(summarizeLatency([1, 2, 3, 4]), { p50: 2, p95: 4, p99: 4, max: 4 });
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([]), null);
});

test('lab/stats - on any arrivals, delivered + lost = expected and every count is consistent', () => {
  const arrivalArb = fc.record({ seq: fc.integer({ min: -1, max: 12 }), receiver: fc.integer({ min: -1, max: 4 }), atMs: fc.double({ min: 0, max: 1000, noNaN: true }) });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 3 }), fc.array(arrivalArb, { maxLength: 80 }), (sent, receivers, arrivals) => {
      const a = analyzeRun({ sentAtMs: sentTimes(sent), receivers, arrivals, messageBytes: 10 });
      const valid = arrivals.filter((x) => Number.isInteger(x.seq) && x.seq >= 1 && x.seq <= sent && x.receiver >= 0 && x.receiver < receivers);
      const pairs = new Set(valid.map((x) => `${x.seq}/${x.receiver}`));
      assert.equal(a.expected, sent * receivers);
      assert.equal(a.delivered + a.lost, a.expected);
      assert.equal(a.delivered, pairs.size);
      assert.equal(a.duplicated, valid.length - pairs.size);
      assert.ok(a.outOfOrder <= a.delivered);
      assert.equal(a.latencies.length, a.delivered);
      assert.equal(a.fates.length, a.expected);
      assert.equal(a.fates.filter((f) => f.copies === 0).length, a.lost);
      for (let i = 1; i < a.latencies.length; i++) assert.ok((a.latencies[i - 1] as number) <= (a.latencies[i] as number));
    }),
  );
});
