import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Holds } from '../../../src/lab/hold.js';

/** Busy-waits: spreads the holds over the sub-millisecond phases of libuv's whole-ms clock. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test('holds - a hold never ends before its delay, wherever in a millisecond it was armed', async () => {
  // A bare setTimeout armed late in one of libuv's milliseconds fires up to 1 ms early in real
  // time; forty holds armed 0.05 ms apart cover every phase of two milliseconds.
  const holds = new Holds();
  const waits: Promise<number>[] = [];
  for (let i = 0; i < 40; i++) {
    spin(0.05);
    const start = performance.now();
    waits.push(new Promise((resolve) => holds.after(5, () => resolve(performance.now() - start))));
  }
  const elapsed = await Promise.all(waits);
  const early = elapsed.filter((ms) => ms < 5);
  assert.deepEqual(early, [], `held for less than 5 ms: ${early.map((ms) => ms.toFixed(3)).join(', ')}`);
  assert.equal(holds.size, 0);
});

test('holds - a zero delay runs at once; close drops what is waiting and refuses what comes after', async () => {
  const holds = new Holds();
  const ran: string[] = [];
  holds.after(0, () => ran.push('now'));
  assert.deepEqual(ran, ['now']);
  holds.after(1, () => ran.push('dropped'));
  assert.equal(holds.size, 1);
  holds.close();
  assert.equal(holds.size, 0);
  holds.after(0, () => ran.push('after close'));
  // A later timer that does fire proves the dropped one had its chance.
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(ran, ['now']);
});
