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
