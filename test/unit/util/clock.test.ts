import assert from 'node:assert/strict';
import test from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { nodeTimers, perTurn, realTimers } from '../../../src/util/clock.js';

test('clock - perTurn reads the clock once per event-loop turn and again in the next one', async () => {
  let reads = 0;
  const now = perTurn(() => ++reads * 1000);
  assert.equal(now(), 1000);
  assert.equal(now(), 1000, 'a second call in the same turn gets the same time');
  await Promise.resolve();
  assert.equal(now(), 1000, 'a microtask is still the same turn');
  assert.equal(reads, 1);
  await nextTurn();
  assert.equal(now(), 2000, 'the next turn reads the clock again');
  assert.equal(now(), 2000);
  assert.equal(reads, 2);
});

test('clock - perTurn: a nextTick after a callback is the same turn; an immediate queued from that callback is the next', async () => {
  let reads = 0;
  const now = perTurn(() => ++reads);
  const times: number[] = [];
  await new Promise<void>((resolve) => {
    setImmediate(() => {
      times.push(now());
      process.nextTick(() => times.push(now()));
      setImmediate(() => {
        times.push(now());
        resolve();
      });
    });
  });
  assert.deepEqual(times, [1, 1, 2]);
});

test("clock - every server's Node timers share one set and one clear (compiled code calling the warm-up's stays valid), each with its own now", async () => {
  const now = (): number => 42;
  const timers = nodeTimers(now);
  assert.equal(timers.set, realTimers.set);
  assert.equal(timers.clear, realTimers.clear);
  assert.equal(timers.now, now);
  assert.equal(timers.now(), 42);
  // Detached, as a caller may hold them, they still work.
  const { set, clear } = timers;
  const fired = await new Promise<string>((resolve) => {
    const never = set(1, () => resolve('cleared timer fired'), undefined);
    clear(never);
    set(5, resolve, 'fired');
  });
  assert.equal(fired, 'fired');
});
