#!/usr/bin/env node
// Profiles a charla server under load: starts it with `node --cpu-prof` on one core, runs a
// workload against it from another (the reference loadgen when ../shared/bench is there, else
// charla bench), stops it with SIGTERM (a graceful exit writes the .cpuprofile) and prints the
// functions with the most self time.
//
//   npx tsc -p . && node bench/profile-server.mjs [--workload a] [--runs 3] [--charla-dir DIR] [--out DIR]
//   node bench/profile-server.mjs --summarize FILE.cpuprofile [--top 25]
//
// Only the processes it started are stopped, by pid; every wait is bounded.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cliNodeFlags } from '../dist/src/bench/server-process.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const { values: args } = parseArgs({
  options: {
    workload: { type: 'string', default: 'a' },
    runs: { type: 'string', default: '3' },
    'charla-dir': { type: 'string', default: repo },
    ref: { type: 'string', default: resolve(repo, '../shared/bench') },
    out: { type: 'string' },
    summarize: { type: 'string' },
    top: { type: 'string', default: '25' },
    'server-cpu': { type: 'string', default: '0' },
    'gen-cpu': { type: 'string', default: '1' },
  },
  strict: true,
});
const TOP = Number(args.top) || 25;

const WORKLOADS = {
  a: ['--clients', '50', '--msgs', '200', '--size', '64', '--window', '8'],
  b: ['--clients', '200', '--senders', '10', '--msgs', '500', '--size', '64', '--window', '8'],
  c: ['--clients', '5000', '--msgs', '0', '--hold-s', '2'],
  d: ['--clients', '50', '--msgs', '100', '--size', '64', '--rate', '20'],
};
const COMMON = ['--conc', '4', '--settle-ms', '500', '--timeout-s', '180', '--msg-timeout-s', '10'];

/** Self time per function (from the sample deltas), heaviest first, and time per source. */
export function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; charge the interval to the sample after it.
    const dt = timeDeltas[i + 1] ?? 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + dt);
  }
  const fns = new Map();
  const files = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const file = url === '' ? functionName : url.replace(/^file:\/\/.*\/dist\//, 'dist/').replace(/^node:/, 'node:');
    const key = `${functionName || '(anonymous)'} ${file}${url ? `:${lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    const group = url.startsWith('node:') ? url : url.includes('/dist/') ? 'charla (dist/)' : url === '' ? functionName : url;
    files.set(group, (files.get(group) ?? 0) + us);
  }
  const rank = (m) => [...m].sort((a, b) => b[1] - a[1]).map(([k, us]) => ({ what: k, ms: us / 1000, pct: (100 * us) / total }));
  return { busyMs: total / 1000, idleMs: idle / 1000, functions: rank(fns), sources: rank(files) };
}

function print(s, file) {
  const lines = [
    `${file}: ${s.busyMs.toFixed(0)} ms busy, ${s.idleMs.toFixed(0)} ms idle`,
    '',
    `Top ${TOP} functions by self time (% of busy time):`,
    ...s.functions.slice(0, TOP).map((f) => `  ${f.pct.toFixed(1).padStart(5)}%  ${f.ms.toFixed(1).padStart(8)} ms  ${f.what}`),
    '',
    'By source:',
    ...s.sources.slice(0, 15).map((f) => `  ${f.pct.toFixed(1).padStart(5)}%  ${f.what}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (args.summarize) {
  print(summarize(JSON.parse(readFileSync(args.summarize, 'utf8'))), args.summarize);
  process.exit(0);
}

// --- profile a run ---
const main = join(args['charla-dir'], 'dist/src/cli/main.js');
if (!existsSync(main)) {
  process.stderr.write(`profile-server: ${main} is missing: build first (npx tsc -p .)\n`);
  process.exit(2);
}
const workload = WORKLOADS[args.workload];
if (!workload) {
  process.stderr.write(`profile-server: unknown workload ${args.workload}\n`);
  process.exit(2);
}
const out = args.out ?? mkdtempSync(join(tmpdir(), 'charla-profile-'));
let loadgen;
if (existsSync(join(args.ref, 'Makefile'))) {
  const build = mkdtempSync(join(tmpdir(), 'charla-ref-'));
  cpSync(args.ref, build, { recursive: true });
  if (spawnSync('make', ['-C', build], { timeout: 120_000 }).status === 0) loadgen = join(build, 'loadgen/loadgen');
}
if (!loadgen) process.stderr.write('profile-server: reference tools missing: using charla bench as the generator\n');

const pinned = (cpu, cmd, argv) =>
  spawn('sh', ['-c', 'ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec taskset -c "$0" "$@"', cpu, cmd, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
const exitOf = (child) => new Promise((r) => child.once('exit', (code) => r(code)));

const hasBench = spawnSync(process.execPath, [main, 'server', '--help'], { encoding: 'utf8' }).stdout.includes('--bench');
// As the installed `charla` command runs it: with the Node flags of its shebang.
const server = pinned(args['server-cpu'], process.execPath, [...cliNodeFlags(main), '--cpu-prof', '--cpu-prof-dir', out, main, 'server', '--host', '127.0.0.1', '--tcp-port', '0', '--no-udp', '--quiet', ...(hasBench ? ['--bench'] : [])]);
const serverExit = exitOf(server);
process.on('exit', () => {
  if (server.exitCode === null) server.kill('SIGKILL');
});
const port = await new Promise((resolvePort, reject) => {
  let buf = '';
  const timer = setTimeout(() => reject(new Error('charla server printed no listening line in 15 s')), 15_000);
  server.stdout.setEncoding('utf8').on('data', (s) => {
    buf += s;
    const m = /TCP\b.*:(\d+)\s*\n/.exec(buf);
    if (m) {
      clearTimeout(timer);
      resolvePort(Number(m[1]));
    }
  });
});
server.stdout.resume();
const runs = Math.max(1, Math.min(20, Number(args.runs) || 3));
for (let i = 1; i <= runs; i++) {
  const flags = ['--proto', 'line', ...workload, ...COMMON, '--port', String(port), '--server-pid', String(server.pid)];
  const gen = loadgen ? pinned(args['gen-cpu'], loadgen, flags) : pinned(args['gen-cpu'], process.execPath, [join(repo, 'dist/src/cli/main.js'), 'bench', ...flags, '--json', '--no-progress']);
  let text = '';
  gen.stdout.setEncoding('utf8').on('data', (s) => (text += s));
  const watchdog = setTimeout(() => gen.kill('SIGKILL'), 400_000);
  await exitOf(gen);
  clearTimeout(watchdog);
  const r = JSON.parse(text.trim().split('\n').at(-1) || '{}');
  process.stderr.write(`run ${i}: ${r.end_reason} ${Math.round(r.deliveries_per_s)} deliveries/s, server CPU ${r.server_cpu_pct}%\n`);
}
server.kill('SIGTERM');
const killer = setTimeout(() => server.kill('SIGKILL'), 10_000);
await serverExit;
clearTimeout(killer);
const profiles = readdirSync(out).filter((f) => f.endsWith('.cpuprofile'));
if (profiles.length === 0) {
  process.stderr.write(`profile-server: no .cpuprofile in ${out} (did the server exit cleanly on SIGTERM?)\n`);
  process.exit(1);
}
const file = join(out, profiles[0]);
print(summarize(JSON.parse(readFileSync(file, 'utf8'))), file);
