import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Timer } from '../../../src/util/clock.js';
import { FakeClock } from '../../helpers/fake-clock.js';

test('fake-clock - nothing runs until the clock is moved, then what is due runs in time order, at its due time', () => {
  const clock = new FakeClock(1000);
  const ran: string[] = [];
  const note = (name: string): void => void ran.push(`${name}@${clock.now()}`);
  clock.set(30, note, 'c');
  clock.set(10, note, 'a');
  clock.set(20, note, 'b');
  assert.deepEqual(ran, []);
  assert.equal(clock.pending, 3);
  assert.equal(clock.nextIn, 10);
  assert.equal(clock.advance(19), 1);
  assert.deepEqual(ran, ['a@1010']);
  assert.equal(clock.now(), 1019, 'the clock ends where it was moved to');
  assert.equal(clock.advance(100), 2);
  assert.deepEqual(ran, ['a@1010', 'b@1020', 'c@1030']);
  assert.equal(clock.now(), 1119);
  assert.equal(clock.pending, 0);
  assert.equal(clock.nextIn, undefined);
});

test('fake-clock - timers due at the same time run in the order they were set', () => {
  const clock = new FakeClock();
  const ran: number[] = [];
  for (let i = 0; i < 5; i++) clock.set(50, (n) => ran.push(n), i);
  clock.advance(50);
  assert.deepEqual(ran, [0, 1, 2, 3, 4]);
});

test('fake-clock - a timer set by a callback runs in the same advance when it falls due within it', () => {
  const clock = new FakeClock(0);
  const ran: number[] = [];
  const chain = (left: number): void => {
    ran.push(clock.now());
    if (left > 0) clock.set(100, chain, left - 1);
  };
  clock.set(100, chain, 5);
  clock.advance(350);
  assert.deepEqual(ran, [100, 200, 300], 'the one due at 400 waits');
  clock.advance(50);
  assert.deepEqual(ran, [100, 200, 300, 400]);
});

test('fake-clock - clear cancels a timer; clearing twice, a fired timer or undefined is harmless', () => {
  const clock = new FakeClock();
  let fired = 0;
  const timer = clock.set(10, () => fired++, undefined);
  clock.clear(timer);
  clock.clear(timer);
  clock.clear(undefined);
  clock.advance(100);
  assert.equal(fired, 0);
  const other = clock.set(10, () => fired++, undefined);
  clock.advance(10);
  clock.clear(other);
  assert.equal(fired, 1);
});

test('fake-clock - refresh restarts the delay from now, as Node does', () => {
  const clock = new FakeClock(0);
  const at: number[] = [];
  const timer = clock.set(100, () => at.push(clock.now()), undefined);
  clock.advance(60);
  timer.refresh();
  clock.advance(99);
  assert.deepEqual(at, [], 'due 100 ms after the refresh, not after the set');
  clock.advance(1);
  assert.deepEqual(at, [160]);
});

test('fake-clock - refresh re-arms a fired timer (also from its own callback: a periodic timer) but not a cleared one', () => {
  const clock = new FakeClock(0);
  const at: number[] = [];
  let timer: Timer | undefined;
  timer = clock.set(
    10,
    () => {
      at.push(clock.now());
      if (at.length < 3) timer?.refresh();
    },
    undefined,
  );
  clock.advance(100);
  assert.deepEqual(at, [10, 20, 30]);
  timer.refresh(); // fired and not cleared: armed again
  clock.advance(10);
  assert.deepEqual(at, [10, 20, 30, 110]);
  clock.clear(timer);
  timer.refresh();
  clock.advance(100);
  assert.equal(at.length, 4, 'a cleared timer stays cleared');
  assert.equal(timer.unref(), timer);
});

test('fake-clock - a refreshed timer goes after the others due at the same time', () => {
  const clock = new FakeClock(0);
  const ran: string[] = [];
  const a = clock.set(10, (n) => ran.push(n), 'a');
  clock.set(10, (n) => ran.push(n), 'b');
  a.refresh();
  clock.advance(10);
  assert.deepEqual(ran, ['b', 'a']);
});

test('fake-clock - delays under 1 ms (or not numbers) are 1 ms, as for setTimeout', () => {
  const clock = new FakeClock(0);
  const at: number[] = [];
  for (const ms of [0, -5, Number.NaN, 0.5]) clock.set(ms, () => at.push(clock.now()), undefined);
  clock.advance(0);
  assert.deepEqual(at, []);
  clock.advance(1);
  assert.deepEqual(at, [1, 1, 1, 1]);
});

test('fake-clock - runNext jumps to the next due timer; the clock never goes back', () => {
  const clock = new FakeClock(0);
  const at: number[] = [];
  clock.set(5_000, () => at.push(clock.now()), undefined);
  assert.equal(clock.runNext(), true);
  assert.deepEqual(at, [5_000]);
  assert.equal(clock.runNext(), false);
  assert.throws(() => clock.advance(-1), RangeError);
});
