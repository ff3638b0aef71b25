import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { capYoungGeneration } from '../../src/util/heap.js';

const HEAP = fileURLToPath(new URL('../../src/util/heap.js', import.meta.url));

/**
 * The young generation's size in a fresh Node process (started with `nodeArgs`) after it kept
 * 300,000 small objects alive, with or without `capYoungGeneration()` first.
 */
function youngGenerationAfterBurst(cap: boolean, nodeArgs: string[] = []): number {
  const script = `
    import v8 from 'node:v8';
    const { capYoungGeneration } = await import(${JSON.stringify(HEAP)});
    if (${cap}) capYoungGeneration();
    const keep = [];
    for (let i = 0; i < 300000; i++) keep.push({ i, name: 'user' + i, seen: [i] });
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log(keep.length > 0 ? space.space_size : -1);`;
  const r = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

const MiB = 1024 * 1024;

test('heap - a server started without the shebang flag keeps its young generation small after a burst', () => {
  const uncapped = youngGenerationAfterBurst(false);
  const capped = youngGenerationAfterBurst(true);
  assert.ok(uncapped > 8 * MiB, `the burst grows an uncapped young generation (${uncapped} bytes): the test can tell`);
  assert.ok(capped <= 4 * MiB, `capped: ${capped} bytes`);
});

test('heap - an explicit --max-semi-space-size, on the command line or in NODE_OPTIONS, is left alone', () => {
  assert.equal(capYoungGeneration(['--max-semi-space-size=8'], ''), false);
  assert.equal(capYoungGeneration([], '--max-semi-space-size=8 --enable-source-maps'), false);
});

/**
 * heapUsed in a fresh Node process (started with `nodeArgs`) after 30 MB or so of objects that
 * lived long enough to reach the old generation were dropped, before and after `collectGarbage()`;
 * and whether `gc` leaked into its globals.
 */
function heapAfterDrop(nodeArgs: string[] = []): { dropped: number; collected: number; globalGc: boolean } {
  const script = `
    const { collectGarbage } = await import(${JSON.stringify(HEAP)});
    let keep = [];
    for (let i = 0; i < 300000; i++) keep.push({ i, name: 'user' + i, seen: [i] });
    keep = null;
    const dropped = process.memoryUsage().heapUsed;
    collectGarbage();
    const collected = process.memoryUsage().heapUsed;
    console.log(JSON.stringify({ dropped, collected, globalGc: typeof globalThis.gc === 'function' }));`;
  const r = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim()) as { dropped: number; collected: number; globalGc: boolean };
}

test('heap - collectGarbage frees what was dropped at once, in a process without --expose-gc and in one with it', () => {
  for (const args of [[], ['--expose-gc']]) {
    const h = heapAfterDrop(args);
    assert.ok(h.dropped > 20 * MiB, `${args.join(' ') || 'no flag'}: the dropped objects are still counted until a collection (${h.dropped} bytes): the test can tell`);
    assert.ok(h.collected < h.dropped - 15 * MiB, `${args.join(' ') || 'no flag'}: ${h.dropped} bytes before, ${h.collected} after`);
    assert.equal(h.globalGc, args.length > 0, "the process's own globals get no gc() it did not ask for");
  }
});
