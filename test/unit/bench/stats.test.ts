import assert from 'node:assert/strict';
import test from 'node:test';
import { cpuPercent, judgeBottleneck, median, mergeSamples, percentile, rssPerConnection, summarizeLatencies } from '../../../src/bench/stats.js';

test('stats - percentile takes the element at round(p/100 × (n−1)), as the reference generator', () => {
  const v = Float64Array.from({ length: 101 }, (_, i) => i);
  assert.equal(percentile(v, 50), 50);
  assert.equal(percentile(v, 99), 99);
  assert.equal(percentile(v, 100), 100);
  assert.equal(percentile(v, 0), 0);
  assert.equal(percentile([10, 20, 30, 40], 50), 30); // round(1.5) = 2
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('stats - median of odd and even counts, ignoring what is not a number', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5, Number.NaN, 1, 3]), 3);
  assert.ok(Number.isNaN(median([])));
});

test('stats - latencies in ns summarised in µs, sorted whatever the order they came in', () => {
  const ns = Float64Array.from([5000, 1000, 3000, 2000, 4000]);
  assert.deepEqual(summarizeLatencies(ns), { p50: 3, p90: 5, p99: 5, max: 5, mean: 3 });
  assert.deepEqual(summarizeLatencies(new Float64Array(0)), { p50: -1, p90: -1, p99: -1, max: -1, mean: -1 });
});

test('stats - the samples of every worker are merged into one array', () => {
  const merged = mergeSamples([Float64Array.of(1, 2), new Float64Array(0), Float64Array.of(3)]);
  assert.deepEqual([...merged], [1, 2, 3]);
});

test('stats - RSS per connection and CPU percent, -1 when a figure is unknown', () => {
  assert.equal(rssPerConnection(50_000, 80_000, 5000), 6);
  assert.equal(rssPerConnection(-1, 80_000, 5000), -1);
  assert.equal(rssPerConnection(50_000, 80_000, 0), -1);
  assert.equal(cpuPercent(0.5, 2), 25);
  assert.equal(cpuPercent(-1, 2), -1);
  assert.equal(cpuPercent(1, 0), -1);
});

test('stats - a saturated generator thread is called out as the possible bottleneck', () => {
  const facts = { busyMax: 0.97, generatorCpuPct: 97, cores: 2, threads: 1, serverCpuPct: 60, loaded: true };
  const j = judgeBottleneck(facts);
  assert.equal(j.bottleneck, 'generator');
  assert.match(j.warnings[0] ?? '', /generator may be the bottleneck.*97%.*server CPU 60%/);
});

test('stats - a busy server with an idle generator is the bottleneck, with no warning', () => {
  const j = judgeBottleneck({ busyMax: 0.4, generatorCpuPct: 40, cores: 4, threads: 3, serverCpuPct: 99, loaded: true });
  assert.deepEqual(j, { bottleneck: 'server', warnings: [] });
});

test('stats - both saturated: the server is named, and the warning still says the generator was busy', () => {
  const j = judgeBottleneck({ busyMax: 0.95, generatorCpuPct: 95, cores: 4, threads: 1, serverCpuPct: 98, loaded: true });
  assert.equal(j.bottleneck, 'server');
  assert.match(j.warnings[0] ?? '', /try --threads 2/);
});

test('stats - an idle test judges nothing', () => {
  assert.deepEqual(judgeBottleneck({ busyMax: 1, generatorCpuPct: 100, cores: 1, threads: 1, serverCpuPct: 100, loaded: false }), { bottleneck: 'unknown', warnings: [] });
});
