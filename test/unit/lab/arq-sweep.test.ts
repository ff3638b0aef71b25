import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSweep } from '../../../src/lab/arq-sweep.js';

test('arq-sweep - parses window=... and delay=..., sorted and without repeats', () => {
  assert.deepEqual(parseSweep('window=8,1,2,4,16,4'), { parameter: 'window', values: [1, 2, 4, 8, 16] });
  assert.deepEqual(parseSweep('delay=0,25,50,100'), { parameter: 'delay', values: [0, 25, 50, 100] });
});

test('arq-sweep - refuses what it cannot run, naming the bad part', () => {
  assert.throws(() => parseSweep('rate=1,2'), /not window=N/);
  assert.throws(() => parseSweep('window=0,2'), /from 1 to .*"0"/);
  assert.throws(() => parseSweep('delay=10,x'), /"x"/);
  assert.throws(() => parseSweep('window=1,,2'), /""/);
});
