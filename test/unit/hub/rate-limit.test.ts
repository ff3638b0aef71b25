import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from '../../../src/hub/rate-limit.js';

function fakeClock(start = 1000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

test('rate-limit - a full bucket lets a burst through at once, then refuses', () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(5, 25, clock.now);
  for (let i = 0; i < 25; i++) assert.equal(bucket.take(), true, `message ${i} of the burst`);
  assert.equal(bucket.take(), false);
});

test('rate-limit - tokens come back at the sustained rate, never above the burst', () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(5, 3, clock.now);
  for (let i = 0; i < 3; i++) bucket.take();
  assert.equal(bucket.msUntilToken(), 200);
  clock.advance(199);
  assert.equal(bucket.take(), false);
  clock.advance(1);
  assert.equal(bucket.take(), true);
  clock.advance(60_000);
  assert.equal(bucket.available, 3);
});

test('rate-limit - a clock that goes backwards does not mint tokens', () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(1, 1, clock.now);
  bucket.take();
  clock.advance(-5000);
  assert.equal(bucket.take(), false);
});

test('rate-limit - a bucket refuses a rate of 0 or a burst below 1', () => {
  assert.throws(() => new TokenBucket(0, 5, () => 0), RangeError);
  assert.throws(() => new TokenBucket(1, 0, () => 0), RangeError);
});
