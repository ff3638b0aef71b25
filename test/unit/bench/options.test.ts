import assert from 'node:assert/strict';
import test from 'node:test';
import { BENCH_DEFAULTS, isLoopbackHost, portOfUser, validateBenchOptions, WORKLOADS } from '../../../src/bench/options.js';
import { formatProgress, formatResult } from '../../../src/bench/report.js';
import { CharlaError } from '../../../src/util/errors.js';

test('bench options - only loopback targets, as the reference generator', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['10.0.0.1', '0.0.0.0', '128.0.0.1', '127.0.0.256', 'example.com', '::', '::ffff:10.0.0.1']) assert.ok(!isLoopbackHost(h), h);
  assert.throws(() => validateBenchOptions({ ...BENCH_DEFAULTS, host: '192.168.1.10' }), (e: unknown) => e instanceof CharlaError && e.code === 'ERR_BAD_HOST');
});

test('bench options - senders default to every client and never exceed them', () => {
  assert.equal(validateBenchOptions({ ...BENCH_DEFAULTS, clients: 7 }).senders, 7);
  assert.equal(validateBenchOptions({ ...BENCH_DEFAULTS, clients: 7, senders: 3 }).senders, 3);
  assert.equal(validateBenchOptions({ ...BENCH_DEFAULTS, clients: 7, senders: 99 }).senders, 7);
});

test('bench options - several ports: the senders on the first node, the other users spread over the rest in turn', () => {
  const opts = validateBenchOptions({ ...BENCH_DEFAULTS, clients: 7, senders: 2, port: 5000, receiverPorts: [5002, 5004] });
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((i) => portOfUser(opts, i)), [5000, 5000, 5002, 5004, 5002, 5004, 5002]);
  const one = validateBenchOptions({ ...BENCH_DEFAULTS, clients: 3, port: 5000 });
  assert.deepEqual([0, 1, 2].map((i) => portOfUser(one, i)), [5000, 5000, 5000], 'one port: everyone on it');
  assert.throws(() => validateBenchOptions({ ...BENCH_DEFAULTS, clients: 4, port: 5000, receiverPorts: [5002] }), /--senders must be fewer than --clients/);
  assert.throws(() => validateBenchOptions({ ...BENCH_DEFAULTS, clients: 4, senders: 1, port: 0, receiverPorts: [5002] }), /--port with several ports/);
});

test('bench options - a size below the marker or a run too large to count is refused, naming the flag', () => {
  assert.throws(() => validateBenchOptions({ ...BENCH_DEFAULTS, size: 10 }), /--size/);
  assert.throws(() => validateBenchOptions({ ...BENCH_DEFAULTS, clients: 60_000, msgs: 100_000 }), /--msgs/);
});

test('bench options - the workload presets are the README\'s a-d', () => {
  assert.deepEqual(WORKLOADS.b, { clients: 200, senders: 10, msgs: 500, size: 64, window: 8, rate: 0 });
  assert.equal(WORKLOADS.c?.msgs, 0);
  assert.equal(WORKLOADS.d?.rate, 20);
});

test('bench report - the table says what was measured and every warning', () => {
  const r = {
    label: '', proto: 'line', port: 5000, clients: 5, senders: 5, msgs_per_sender: 20, size: 64, window: 8, rate: 0,
    end_reason: 'complete', ready_clients: 5, connect_s: 0.01, ready_s: 0.02, sent: 100, expected: 400, delivered: 400,
    ratio: 1, dup: 0, self: 0, bad_markers: 0, expired_msgs: 0, run_s: 0.1, wall_s: 0.1, deliveries_per_s: 4000,
    msgs_per_s: 1000, lat_us: { p50: 250, p90: 500, p99: 900, max: 1000, mean: 300 }, conn_retries: 0, conn_fail: 0,
    disconnects: 0, server_pid: 12, server_rss_kb_before: 1000, server_rss_kb_after: 1100, rss_per_conn_kb: 20,
    server_cpu_s: 0.05, server_cpu_pct: 50, loadgen_cpu_s: 0.02, loadgen_cpu_pct: 20, idle_quiesced: -1,
    idle_hold_s: 0, server_cpu_total_s: 1, first_error: '', tool: 'charla-bench', threads: 1, cores: 2,
    loadgen_busy_max: 0.3, send_lag_us: { p50: -1, p99: -1, max: -1 }, bottleneck: 'unknown', warnings: ['look out'],
  } as const;
  const text = formatResult({ ...r, lat_us: { ...r.lat_us }, send_lag_us: { ...r.send_lag_us }, warnings: [...r.warnings] });
  assert.match(text, /delivered\s+400\/400 \(100\.00%\)/);
  assert.match(text, /p50 0\.25 {2}p90 0\.50 {2}p99 0\.90 {2}max 1\.00/);
  assert.match(text, /warning: look out/);
});

test('bench report - the progress line fits its width', () => {
  const p = { phase: 'send', elapsedS: 2, clients: 50, connected: 50, ready: 50, sent: 100, delivered: 250_000, expected: 490_000 } as const;
  const line = formatProgress(p, 60);
  assert.ok(line.length <= 59, line);
  assert.match(line, /51% send 250k\/490k/);
});
