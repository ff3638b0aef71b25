#!/usr/bin/env node
// Several charla nodes, one chat (`--redis`), against one node alone, in one interleaved series:
// what crossing nodes costs, and what Redis spends per message (README "Several servers",
// "Sizing Redis").
//
//   npm run build && node bench/cluster-bench.mjs [--reps 5] [--workload b] [--nodes 3] [--out FILE]
//
// Each repetition, in alternating order:
//   - one node: a fresh `charla server --bench` with no Redis, loaded by `charla bench`;
//   - a cluster: a fresh Redis of its own (a free loopback port, no persistence) and N fresh
//     `charla server --redis ... --bench` nodes; `charla bench --port A,B,C`, so the senders are
//     on node A and every other user on B, C, ... in turn: each message crosses nodes.
// For the cluster run it reads Redis's CPU (/proc/PID/stat) and `INFO stats` (bytes in and out,
// commands) before and after the send phase, and every node's CPU, and divides by the messages
// sent. Prints one JSON line per run on stdout, then a summary with medians on stderr.
//
// Everything runs on this machine's loopback; with 2 cores the nodes, Redis and the generator
// share them, so read the figures as costs (CPU and bytes per message) more than as a ceiling.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createClient } from '@redis/client';
import { WORKLOADS } from '../dist/src/bench/options.js';
import { readCpuSeconds } from '../dist/src/bench/proc.js';
import { freePort } from '../dist/src/check/launch.js';
import { runBench } from '../dist/src/bench/run.js';
import { spawnCharlaServer } from '../dist/src/bench/server-process.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    workload: { type: 'string', default: 'b' },
    nodes: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});
const reps = Math.max(1, Math.min(50, Number(values.reps) || 5));
const nodes = Math.max(2, Math.min(8, Number(values.nodes) || 3));
const preset = WORKLOADS[values.workload];
if (preset === undefined || preset.msgs === 0) {
  process.stderr.write(`cluster-bench: --workload must be one of a, b, d (a loaded workload), not "${values.workload}"\n`);
  process.exit(2);
}
// Workload a has every user sending: keep its shape but leave users who do not send, so that
// there are receivers for the other nodes (bench --port A,B,... puts only non-senders there).
const workload = preset.senders === -1 ? { ...preset, senders: Math.floor((preset.clients ?? 50) / 2) } : preset;
const RUN_TIMEOUT_MS = 180_000;

/** A Redis of this run's own; resolves once it answers. */
async function startRedis() {
  const port = await freePort('tcp'); // redis-server has no port 0
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}/0`;
  const client = createClient({ url });
  client.on('error', () => {});
  for (let i = 0; i < 100; i++) {
    try {
      await client.connect();
      break;
    } catch {
      if (child.exitCode !== null) throw new Error('redis-server exited at start (is it installed? sudo apt-get install redis-server)');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (!client.isReady) throw new Error('redis-server did not answer within 5 s');
  return {
    url,
    pid: child.pid,
    async memory() {
      const info = await client.info('memory');
      const used = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? -1);
      const events = Number(await client.sendCommand(['XLEN', 'charla:events']));
      const eventsBytes = Number((await client.sendCommand(['MEMORY', 'USAGE', 'charla:events', 'SAMPLES', '0'])) ?? 0);
      return { used, events, eventsBytes };
    },
    async stats() {
      const info = await client.info('stats');
      const field = (name) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? -1);
      return { cpuS: readCpuSeconds(child.pid), inBytes: field('total_net_input_bytes'), outBytes: field('total_net_output_bytes'), commands: field('total_commands_processed') };
    },
    async stop() {
      await client.quit().catch(() => {});
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    },
  };
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function oneNode(rep) {
  const server = await spawnCharlaServer();
  try {
    const r = await runBench({ ...workload, port: server.port, serverPid: server.pid, timeoutMs: RUN_TIMEOUT_MS, label: `one node, rep ${rep}` });
    return { mode: 'one', rep, deliveries_per_s: r.deliveries_per_s, p99_ms: r.lat_us.p99 / 1000, p50_ms: r.lat_us.p50 / 1000, delivered: r.delivered, expected: r.expected, end_reason: r.end_reason, sent: r.sent, server_cpu_s: r.server_cpu_s };
  } finally {
    await server.stop();
  }
}

async function cluster(rep) {
  const redis = await startRedis();
  const servers = [];
  try {
    for (let i = 0; i < nodes; i++) servers.push(await spawnCharlaServer({ serverArgs: ['--redis', redis.url] }));
    const cpu0 = servers.map((s) => readCpuSeconds(s.pid));
    const before = await redis.stats();
    const r = await runBench({ ...workload, port: servers[0].port, receiverPorts: servers.slice(1).map((s) => s.port), timeoutMs: RUN_TIMEOUT_MS, label: `${nodes} nodes, rep ${rep}` });
    const after = await redis.stats();
    const nodesCpu = servers.reduce((n, s, i) => n + (readCpuSeconds(s.pid) - cpu0[i]), 0);
    const msgs = Math.max(1, r.sent);
    return {
      mode: 'cluster',
      nodes,
      rep,
      deliveries_per_s: r.deliveries_per_s,
      p99_ms: r.lat_us.p99 / 1000,
      p50_ms: r.lat_us.p50 / 1000,
      delivered: r.delivered,
      expected: r.expected,
      end_reason: r.end_reason,
      sent: r.sent,
      // Between the two reads: registration of the users included (a few hundred commands), so these are upper bounds per message.
      redis_cpu_us_per_msg: ((after.cpuS - before.cpuS) * 1e6) / msgs,
      redis_in_bytes_per_msg: (after.inBytes - before.inBytes) / msgs,
      redis_out_bytes_per_msg: (after.outBytes - before.outBytes) / msgs,
      redis_commands_per_msg: (after.commands - before.commands) / msgs,
      nodes_cpu_us_per_msg: (nodesCpu * 1e6) / msgs,
    };
  } finally {
    for (const s of servers) await s.stop();
    await redis.stop();
  }
}

/**
 * What Redis holds per connected user and per event: one node and 1,000 idle users held for 3 s
 * (Redis's used_memory sampled meanwhile, its peak against before), then the events stream's size
 * per entry (MEMORY USAGE / XLEN) after a loaded run.
 */
async function sizing() {
  const redis = await startRedis();
  const server = await spawnCharlaServer({ serverArgs: ['--redis', redis.url] });
  try {
    const idle = (await redis.memory()).used;
    let peak = idle;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, (await redis.memory()).used);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const users = 1000;
    const r = await runBench({ port: server.port, clients: users, msgs: 0, holdMs: 3000, quiesceMaxMs: 5000, label: 'sizing' });
    sampling = false;
    await sampler;
    await runBench({ ...workload, port: server.port, timeoutMs: RUN_TIMEOUT_MS, label: 'sizing, events' });
    const m = await redis.memory();
    return { users: r.ready_clients, redis_bytes_per_user: (peak - idle) / Math.max(1, r.ready_clients), events_in_stream: m.events, redis_bytes_per_event: m.eventsBytes / Math.max(1, m.events) };
  } finally {
    await server.stop();
    await redis.stop();
  }
}

const runs = [];
for (let rep = 1; rep <= reps; rep++) {
  const order = rep % 2 === 1 ? [oneNode, cluster] : [cluster, oneNode];
  for (const f of order) {
    const run = await f(rep);
    runs.push(run);
    process.stdout.write(`${JSON.stringify(run)}\n`);
  }
}
const one = runs.filter((r) => r.mode === 'one');
const many = runs.filter((r) => r.mode === 'cluster');
const m = (rows, k) => median(rows.map((r) => r[k]));
const summary = {
  workload: values.workload,
  shape: workload,
  reps,
  nodes,
  complete: runs.every((r) => r.end_reason === 'complete' && r.delivered === r.expected),
  one_node: { deliveries_per_s: m(one, 'deliveries_per_s'), p50_ms: m(one, 'p50_ms'), p99_ms: m(one, 'p99_ms') },
  cluster: {
    deliveries_per_s: m(many, 'deliveries_per_s'),
    p50_ms: m(many, 'p50_ms'),
    p99_ms: m(many, 'p99_ms'),
    redis_cpu_us_per_msg: m(many, 'redis_cpu_us_per_msg'),
    redis_in_bytes_per_msg: m(many, 'redis_in_bytes_per_msg'),
    redis_out_bytes_per_msg: m(many, 'redis_out_bytes_per_msg'),
    redis_commands_per_msg: m(many, 'redis_commands_per_msg'),
    nodes_cpu_us_per_msg: m(many, 'nodes_cpu_us_per_msg'),
  },
};
summary.cluster_vs_one = summary.cluster.deliveries_per_s / summary.one_node.deliveries_per_s;
summary.sizing = await sizing();
process.stderr.write(`${JSON.stringify(summary, null, 2)}\n`);
if (values.out !== undefined) writeFileSync(values.out, `${runs.map((r) => JSON.stringify(r)).join('\n')}\n${JSON.stringify(summary)}\n`);
process.exitCode = summary.complete ? 0 : 1;
