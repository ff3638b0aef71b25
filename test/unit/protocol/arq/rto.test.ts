import assert from 'node:assert/strict';
import test from 'node:test';
import { RtoEstimator } from '../../../../src/protocol/arq/rto.js';

const free = { minMs: 0, maxMs: 60_000, granularityMs: 1 };

test('rto - RFC 6298 2.1: 1 s before any sample', () => {
  assert.equal(new RtoEstimator().rtoMs, 1000);
  assert.equal(new RtoEstimator().srttMs, undefined);
});

test('rto - RFC 6298 2.2: the first sample sets SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR', () => {
  const rto = new RtoEstimator(free);
  rto.sample(100);
  assert.equal(rto.srttMs, 100);
  assert.equal(rto.rttvarMs, 50);
  assert.equal(rto.rtoMs, 300);
});

test('rto - RFC 6298 2.3: later samples, alpha = 1/8 and beta = 1/4, RTTVAR from the old SRTT', () => {
  const rto = new RtoEstimator(free);
  rto.sample(100);
  rto.sample(200);
  // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; SRTT = 7/8 * 100 + 1/8 * 200 = 112.5
  assert.equal(rto.rttvarMs, 62.5);
  assert.equal(rto.srttMs, 112.5);
  assert.equal(rto.rtoMs, 112.5 + 4 * 62.5);
  rto.sample(112.5);
  // RTTVAR = 3/4 * 62.5 + 1/4 * 0 = 46.875; SRTT stays 112.5
  assert.equal(rto.rttvarMs, 46.875);
  assert.equal(rto.srttMs, 112.5);
  assert.equal(rto.rtoMs, 112.5 + 187.5);
});

test('rto - the clock granularity G is the floor of the variance term', () => {
  const rto = new RtoEstimator({ ...free, granularityMs: 10 });
  rto.sample(40);
  for (let i = 0; i < 60; i++) rto.sample(40); // RTTVAR decays towards 0
  assert.ok((rto.rttvarMs as number) * 4 < 10);
  assert.equal(rto.rtoMs, 40 + 10);
});

test('rto - RFC 6298 2.4: clamped to the minimum (1 s by default)', () => {
  const rto = new RtoEstimator();
  rto.sample(10);
  assert.equal(rto.rtoMs, 1000);
  const linux = new RtoEstimator({ minMs: 200 });
  linux.sample(10);
  assert.equal(linux.rtoMs, 200);
});

test('rto - RFC 6298 5.5: each timeout doubles the RTO, up to the maximum; a new sample recomputes it', () => {
  const rto = new RtoEstimator({ ...free, maxMs: 5000 });
  rto.sample(100);
  rto.backOff();
  assert.equal(rto.rtoMs, 600);
  rto.backOff();
  assert.equal(rto.rtoMs, 1200);
  for (let i = 0; i < 5; i++) rto.backOff();
  assert.equal(rto.rtoMs, 5000);
  rto.sample(100);
  // RTTVAR = 3/4 * 50 = 37.5, SRTT 100: RTO 250 again, the back-off forgotten
  assert.equal(rto.rtoMs, 250);
});

test('rto - a fixed RTO neither moves with samples nor backs off', () => {
  const rto = new RtoEstimator({ fixedMs: 300 });
  rto.sample(40);
  rto.backOff();
  assert.equal(rto.rtoMs, 300);
  assert.equal(rto.srttMs, 40);
});

test('rto - options out of bounds are refused', () => {
  assert.throws(() => new RtoEstimator({ minMs: 5, maxMs: 1 }), RangeError);
  assert.throws(() => new RtoEstimator({ fixedMs: 0 }), RangeError);
  assert.throws(() => new RtoEstimator({ initialMs: Number.NaN }), RangeError);
});
