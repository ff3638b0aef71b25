#!/usr/bin/env node
// Compares charla with the bare relay, ngIRCd and the seed's Python server on workloads a-d
// (../shared/bench/README.md), with the reference load generator: server pinned to one core,
// generator to another, N repetitions, medians, ratios to the relay measured in the same run.
//
//   npx tsc -p . && node bench/compare-servers.mjs [options]
//
//   --reps N            repetitions per server and workload (default 3)
//   --workloads LIST    a,b,c,d (default); also c20k: 19,900 idle users (what ulimit -n 20000 allows)
//   --servers LIST      relay,charla,ngircd,seed (default: all that are available); the browser
//                       issue's WebSocket servers: charla-ws (charla's /ws), naive-ws (a bare `ws`
//                       broadcast server), socketio (the socket.io 4 chat example). WebSocket
//                       servers are always loaded by charla bench (loadgen has no WebSocket);
//                       use --generator charla to compare them with charla's line protocol
//   --ws-generator G    wsgen (default when a C compiler is there: bench/wsgen/wsgen.c, an epoll
//                       generator that is not the limit of a fast WebSocket server) or charla
//                       (charla bench --proto ws|ws-raw|sio), for the WebSocket servers
//   --ws-anchors DIR    the WebSocket baselines (default ../shared/bench/ws-anchors, copied to a
//                       temp directory and `npm install`ed there when it has no node_modules)
//   --charla-dir DIR    the charla build to measure (default: this repository; needs dist/)
//   --charla-flags F    more flags for `charla server`, e.g. "--no-warmup" (split on spaces)
//   --ref DIR           the reference tools (default ../shared/bench next to this repository)
//   --generator G       loadgen (default when the reference tools exist), charla (charla bench),
//                       or loadgen,charla: both, alternating, to check that they agree
//   --server-cpu C      core for the servers (default 0); --gen-cpu C: for the generator (default 1)
//   --out DIR           where results.md and raw.jsonl go (default: a new temp directory)
//   --warmup N          unmeasured runs of the same workload against each fresh server before the
//                       measured one (default 0: a fresh server, cold JIT for charla)
//   --quiet-wait-s S    before each run, wait up to S s (default 60) for the machine to be idle
//                       (< 15% CPU over 1 s): other work on a shared machine skews every figure
//
// Data first: every run's JSON line goes to raw.jsonl as it ends; results.md (medians, ratios,
// the targets of issue #4) is printed and written at the end. Every wait is bounded; the script
// kills only the processes it started, by pid.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cliNodeFlags } from '../dist/src/bench/server-process.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    workloads: { type: 'string', default: 'a,b,c,d' },
    servers: { type: 'string', default: 'relay,charla,ngircd,seed' },
    'charla-dir': { type: 'string', default: repo },
    'charla-flags': { type: 'string', default: '' },
    ref: { type: 'string', default: resolve(repo, '../shared/bench') },
    'ws-anchors': { type: 'string', default: resolve(repo, '../shared/bench/ws-anchors') },
    generator: { type: 'string' },
    'ws-generator': { type: 'string' },
    'server-cpu': { type: 'string', default: '0' },
    'gen-cpu': { type: 'string', default: '1' },
    out: { type: 'string' },
    'quiet-wait-s': { type: 'string', default: '60' },
    warmup: { type: 'string', default: '0' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});
if (args.help) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 24).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(0);
}

const REPS = Math.max(1, Math.min(50, Number(args.reps) || 3));
const WARMUP = Math.max(0, Math.min(10, Number(args.warmup) || 0));
const COMMON = ['--conc', '4', '--settle-ms', '500', '--timeout-s', '180', '--msg-timeout-s', '10'];
/** The workloads of ../shared/bench/README.md (flags shared by loadgen and charla bench). */
const WORKLOADS = {
  a: ['--clients', '50', '--msgs', '200', '--size', '64', '--window', '8'],
  b: ['--clients', '200', '--senders', '10', '--msgs', '500', '--size', '64', '--window', '8'],
  // Idle tests get 600 s to register everyone (the generators' default is 60 s): ngIRCd and the
  // seed take minutes for 5,000 (every JOIN goes to every member), and their RSS is the point.
  c: ['--clients', '5000', '--msgs', '0', '--hold-s', '2', '--connect-timeout-s', '600'],
  // "20,000": 19,900 users, so that the server (a few descriptors of its own) and loadgen (N + 64)
  // both fit `ulimit -n 20000`, the usual hard limit in containers.
  c20k: ['--clients', '19900', '--msgs', '0', '--hold-s', '2', '--connect-timeout-s', '600'],
  d: ['--clients', '50', '--msgs', '100', '--size', '64', '--rate', '20'],
};
const workloads = args.workloads.split(',').filter(Boolean);
for (const w of workloads) if (!(w in WORKLOADS)) fail(`unknown workload "${w}" (known: ${Object.keys(WORKLOADS).join(', ')})`);

const out = args.out ?? mkdtempSync(join(tmpdir(), 'charla-compare-'));
mkdirSync(out, { recursive: true });
const rawPath = join(out, 'raw.jsonl');
const started = new Set(); // pids of every process we started and have not seen exit

function fail(msg) {
  process.stderr.write(`compare-servers: ${msg}\n`);
  process.exit(2);
}
function say(msg) {
  process.stderr.write(`${msg}\n`);
}

// --- tools ---------------------------------------------------------------------------------

/** Builds the reference tools in a temp copy (../shared may be read-only); undefined if absent. */
function buildReference(dir) {
  if (!existsSync(join(dir, 'Makefile'))) return undefined;
  const build = mkdtempSync(join(tmpdir(), 'charla-ref-'));
  cpSync(dir, build, { recursive: true });
  const r = spawnSync('make', ['-C', build], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    say(`reference tools: make failed in ${build}:\n${r.stderr || r.error}`);
    return undefined;
  }
  return { loadgen: join(build, 'loadgen/loadgen'), relay: join(build, 'relay/relay') };
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const ref = buildReference(args.ref);
if (ref === undefined) say(`reference tools missing (${args.ref}): no bare relay baseline; using charla bench as the generator`);
const generators = (args.generator ?? (ref ? 'loadgen' : 'charla')).split(',').filter(Boolean);
for (const g of generators) if (g !== 'loadgen' && g !== 'charla') fail(`unknown generator "${g}" (loadgen or charla)`);
if (generators.includes('loadgen') && !ref) fail('--generator loadgen needs the reference tools');
/** bench/wsgen/wsgen.c built in a temp dir; undefined without a C compiler. */
function buildWsgen() {
  const cc = which('cc') ?? which('gcc');
  if (cc === undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'charla-wsgen-'));
  const bin = join(dir, 'wsgen');
  const r = spawnSync(cc, ['-O2', '-o', bin, join(repo, 'bench/wsgen/wsgen.c')], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    say(`wsgen: ${cc} failed:\n${r.stderr || r.error}`);
    return undefined;
  }
  return bin;
}
const wsgen = args['ws-generator'] === 'charla' ? undefined : buildWsgen();
if (args['ws-generator'] === 'wsgen' && wsgen === undefined) fail('--ws-generator wsgen needs a C compiler (cc)');
if (args['ws-generator'] !== undefined && args['ws-generator'] !== 'wsgen' && args['ws-generator'] !== 'charla') fail(`unknown --ws-generator "${args['ws-generator']}" (wsgen or charla)`);
/** What loads the WebSocket servers. */
const wsGen = wsgen === undefined ? 'charla' : 'wsgen';
const charlaMain = join(args['charla-dir'], 'dist/src/cli/main.js');
const charlaFlags = args['charla-flags'].split(' ').filter(Boolean);
const benchMain = join(repo, 'dist/src/cli/main.js');
if (!existsSync(charlaMain)) fail(`${charlaMain} is missing: build charla first (npx tsc -p .)`);
if (generators.includes('charla') && !existsSync(benchMain)) fail(`${benchMain} is missing: build first (npx tsc -p .)`);
const charlaHelp = spawnSync(process.execPath, [charlaMain, 'server', '--help'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
const charlaHasBench = charlaHelp.includes('--bench');
// Builds with an IRC port open it on 6667 by default: measured without it (and without UDP).
const charlaNoIrc = charlaHelp.includes('--no-irc') ? ['--no-irc'] : [];
const ngircd = which('ngircd');
const python = which('python3');
const seedScript = join(args['charla-dir'], 'test/fixtures/seed/servidor_chat.py');
const WS_SERVERS = new Set(['charla-ws', 'naive-ws', 'socketio']);
const charlaHasHttp = charlaHelp.includes('--http-port');
// Builds with a browser port open it on 8080 by default: measured without it, but for charla-ws.
const charlaNoHttp = charlaHelp.includes('--no-http') ? ['--no-http'] : [];

/** The anchors with their dependencies installed (a temp copy when the folder has none); undefined if absent. */
let anchorsDir;
function wsAnchors() {
  if (anchorsDir !== undefined) return anchorsDir || undefined;
  const src = args['ws-anchors'];
  anchorsDir = '';
  if (!existsSync(join(src, 'naive-ws.mjs'))) return undefined;
  if (existsSync(join(src, 'node_modules/ws'))) return (anchorsDir = src);
  const dir = mkdtempSync(join(tmpdir(), 'charla-ws-anchors-'));
  cpSync(src, dir, { recursive: true });
  spawnSync('chmod', ['-R', 'u+w', dir]);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) {
    say(`ws anchors: npm install failed in ${dir}:\n${r.stderr || r.error}`);
    return undefined;
  }
  return (anchorsDir = dir);
}

const available = {
  relay: ref ? true : 'no reference tools',
  charla: true,
  ngircd: ngircd ? true : 'not installed (apt-get install ngircd)',
  seed: python && existsSync(seedScript) ? true : 'needs python3 and test/fixtures/seed/servidor_chat.py',
  'charla-ws': charlaHasHttp ? true : 'this charla build has no --http-port',
  'naive-ws': 'lazy',
  socketio: 'lazy',
};
for (const s of ['naive-ws', 'socketio']) {
  if (args.servers.split(',').includes(s)) available[s] = wsAnchors() ? true : `no WebSocket anchors (${args['ws-anchors']})`;
}
const servers = args.servers.split(',').filter((s) => {
  if (!(s in available)) fail(`unknown server "${s}"`);
  if (available[s] !== true) say(`skipping ${s}: ${available[s]}`);
  return available[s] === true;
});

// --- processes -----------------------------------------------------------------------------

/** `cmd args` on core `cpu` with a high descriptor limit; `exec` keeps the pid the program's. */
function pinned(cpu, cmd, argv, options = {}) {
  const script = 'ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec taskset -c "$0" "$@"';
  const child = spawn('sh', ['-c', script, cpu, cmd, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  started.add(child.pid);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      started.delete(child.pid);
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      started.delete(child.pid);
      resolve({ code: -1, signal: String(err) });
    });
  });
  return { child, exited };
}

/** SIGTERM by pid, SIGKILL after `graceMs`; resolves once it exited. */
async function stop(proc, graceMs = 5000) {
  if (!started.has(proc.child.pid)) return;
  proc.child.kill('SIGTERM');
  const t = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(t);
}

process.on('exit', () => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

async function freePort() {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** Resolves when `text` (a RegExp) shows up on the stream; rejects after `ms` or on exit. */
function waitForOutput(proc, stream, re, ms, what) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms: ${buf.slice(-300)}`)), ms);
    const onData = (s) => {
      buf += s;
      const m = re.exec(buf);
      if (m) {
        clearTimeout(timer);
        stream.removeListener('data', onData);
        stream.resume();
        resolve(m);
      }
    };
    stream.setEncoding('utf8');
    stream.on('data', onData);
    proc.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${what}: exited before it was ready: ${buf.slice(-300)}`));
    });
  });
}

/** Resolves when 127.0.0.1:port accepts a connection (polled every 50 ms, bounded). */
async function waitForPort(port, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: port ${port} not accepting after ${ms} ms`);
}

function drain(proc) {
  proc.child.stdout.resume();
  proc.child.stderr.resume();
}

/** Starts one server on the server core; resolves { proc, pid, port, proto }. */
async function startServer(name, dir) {
  const cpu = args['server-cpu'];
  if (name === 'charla') {
    // As the installed `charla` command runs it: with the Node flags of its shebang.
    const argv = [...cliNodeFlags(charlaMain), charlaMain, 'server', '--host', '127.0.0.1', '--tcp-port', '0', '--no-udp', ...charlaNoIrc, ...charlaNoHttp, '--quiet', ...(charlaHasBench ? ['--bench'] : []), ...charlaFlags];
    const proc = pinned(cpu, process.execPath, argv);
    const m = await waitForOutput(proc, proc.child.stdout, /TCP\b.*:(\d+)\s*\n/, 15_000, 'charla');
    drain(proc);
    return { proc, pid: proc.child.pid, port: Number(m[1]), proto: 'line' };
  }
  if (name === 'charla-ws') {
    const argv = [...cliNodeFlags(charlaMain), charlaMain, 'server', '--host', '127.0.0.1', '--tcp-port', '0', '--no-udp', ...charlaNoIrc, '--http-port', '0', '--quiet', ...(charlaHasBench ? ['--bench'] : []), ...charlaFlags];
    const proc = pinned(cpu, process.execPath, argv);
    const m = await waitForOutput(proc, proc.child.stdout, /HTTP\b.*:(\d+)\s*\n/, 15_000, 'charla-ws');
    drain(proc);
    return { proc, pid: proc.child.pid, port: Number(m[1]), proto: 'ws' };
  }
  const port = await freePort();
  if (name === 'naive-ws' || name === 'socketio') {
    const script = join(wsAnchors(), name === 'naive-ws' ? 'naive-ws.mjs' : 'sio.mjs');
    const proc = pinned(cpu, process.execPath, [script, String(port)], { cwd: wsAnchors() });
    await waitForOutput(proc, proc.child.stdout, /ready/, 10_000, name);
    drain(proc);
    return { proc, pid: proc.child.pid, port, proto: name === 'naive-ws' ? 'ws-raw' : 'sio' };
  }
  if (name === 'relay') {
    const proc = pinned(cpu, ref.relay, ['--port', String(port), '--lifetime-s', '1200']);
    await waitForOutput(proc, proc.child.stderr, /listening/, 10_000, 'relay');
    drain(proc);
    return { proc, pid: proc.child.pid, port, proto: 'line' };
  }
  if (name === 'seed') {
    const proc = pinned(cpu, python, [seedScript, '127.0.0.1', String(port)], { env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    await waitForOutput(proc, proc.child.stdout, /escuchando/, 10_000, 'seed');
    drain(proc);
    return { proc, pid: proc.child.pid, port, proto: 'line' };
  }
  // ngircd: its own config in a temp dir; --nodaemon keeps the pid ours.
  const conf = join(dir, `ngircd-${port}.conf`);
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  writeFileSync(
    conf,
    [
      '[Global]',
      'Name = bench.charla.local',
      'Info = charla benchmark',
      'Listen = 127.0.0.1',
      `Ports = ${port}`,
      'MotdPhrase = bench',
      `ServerUID = ${uid}`,
      `ServerGID = ${gid}`,
      '[Limits]',
      'MaxConnections = 0',
      'MaxConnectionsIP = 0',
      'MaxJoins = 0',
      'MaxPenaltyTime = 0',
      'MaxNickLength = 16',
      'PingTimeout = 600',
      'PongTimeout = 600',
      '[Options]',
      'DNS = no',
      'Ident = no',
      'PAM = no',
      '',
    ].join('\n'),
  );
  const proc = pinned(cpu, ngircd, ['--nodaemon', '--passive', '--config', conf]);
  drain(proc);
  await waitForPort(port, 10_000, 'ngircd');
  return { proc, pid: proc.child.pid, port, proto: 'irc' };
}

/** Runs the generator once; resolves its JSON result (or a stub describing the failure). */
async function runGenerator(server, workload, serverName, generator) {
  const flags = ['--proto', server.proto, ...WORKLOADS[workload], ...COMMON, '--port', String(server.port), '--server-pid', String(server.pid)];
  let cmd;
  let argv;
  if (generator === 'loadgen' && !WS_SERVERS.has(serverName)) {
    cmd = ref.loadgen;
    argv = flags;
  } else if (generator === 'wsgen') {
    cmd = wsgen;
    argv = flags;
  } else {
    cmd = process.execPath;
    argv = [benchMain, 'bench', ...flags, '--json', '--no-progress', ...(serverName === 'seed' ? ['--line-ready', 'write'] : [])];
  }
  const proc = pinned(args['gen-cpu'], cmd, argv);
  let stdout = '';
  let stderr = '';
  proc.child.stdout.setEncoding('utf8').on('data', (s) => (stdout += s));
  proc.child.stderr.setEncoding('utf8').on('data', (s) => (stderr = (stderr + s).slice(-2000)));
  // The generator bounds itself; this is the bound on the bound.
  const watchdog = setTimeout(() => proc.child.kill('SIGKILL'), workload.startsWith('c') ? 900_000 : 400_000);
  const { code } = await proc.exited;
  clearTimeout(watchdog);
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
  if (line === undefined) return { end_reason: 'no_output', exit_code: code, stderr: stderr.trim() };
  return { ...JSON.parse(line), exit_code: code };
}

// --- statistics ----------------------------------------------------------------------------

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
const fmt = {
  n: (x) => (Number.isFinite(x) ? (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e4 ? `${Math.round(x / 1e3)}k` : String(Math.round(x))) : '—'),
  ms: (us) => (Number.isFinite(us) ? (us / 1000).toFixed(2) : '—'),
  x: (r) => (Number.isFinite(r) ? r.toFixed(2) : '—'),
  kb: (x) => (Number.isFinite(x) ? x.toFixed(1) : '—'),
};

function summarize(runs) {
  const by = (f) => median(runs.map(f));
  return {
    n: runs.length,
    complete: runs.filter((r) => r.end_reason === 'complete').length,
    dps: by((r) => r.deliveries_per_s),
    ratio: Math.min(...runs.map((r) => r.ratio ?? 0)),
    p50: by((r) => r.lat_us?.p50),
    p99: by((r) => r.lat_us?.p99),
    max: by((r) => r.lat_us?.max),
    rss: by((r) => r.rss_per_conn_kb),
    ready: by((r) => r.ready_s),
    cpu: by((r) => r.server_cpu_pct),
    // Deliveries per second of server CPU: what the server would sustain on a whole core, and a
    // fair comparison when the generator, not the server, is the limit (its CPU says which).
    perCpu: by((r) => (r.server_cpu_pct > 0 ? r.deliveries_per_s / (r.server_cpu_pct / 100) : NaN)),
    genBusy: by((r) => r.loadgen_busy_max),
    reasons: [...new Set(runs.map((r) => r.end_reason))].join(', '),
  };
}

/** Rows of the tables: a server, or a server and a generator when there are several. */
const columns = servers.flatMap((server) =>
  (WS_SERVERS.has(server) ? [wsGen] : generators).map((gen) => ({ server, gen, key: generators.length > 1 ? `${server} (${gen === 'charla' ? 'charla bench' : gen})` : server })),
);

function table(workload, results) {
  const rows = columns.map((c) => [c.key, summarize(results[c.key] ?? []), c]);
  const relayOf = (gen) => rows.find(([, , c]) => c.server === 'relay' && c.gen === gen)?.[1];
  const lines = [];
  if (workload.startsWith('c')) {
    lines.push(`| server | RSS per idle user KiB | × relay | ready s (all registered) | complete | end |`, '|---|---|---|---|---|---|');
    for (const [s, m, c] of rows) lines.push(`| ${s} | ${fmt.kb(m.rss)} | ${fmt.x(relayOf(c.gen) ? m.rss / relayOf(c.gen).rss : NaN)} | ${fmt.x(m.ready)} | ${m.complete}/${m.n} | ${m.reasons} |`);
  } else if (workload === 'd') {
    lines.push(`| server | p50 ms | × relay | p99 ms | max ms | deliveries/s | delivered (worst run) | complete | end |`, '|---|---|---|---|---|---|---|---|---|');
    for (const [s, m, c] of rows) lines.push(`| ${s} | ${fmt.ms(m.p50)} | ${fmt.x(relayOf(c.gen) ? m.p50 / relayOf(c.gen).p50 : NaN)} | ${fmt.ms(m.p99)} | ${fmt.ms(m.max)} | ${fmt.n(m.dps)} | ${(m.ratio * 100).toFixed(2)}% | ${m.complete}/${m.n} | ${m.reasons} |`);
  } else {
    lines.push(`| server | deliveries/s | × relay | delivered (worst run) | complete | server CPU % | p50 ms | p99 ms | end |`, '|---|---|---|---|---|---|---|---|---|');
    for (const [s, m, c] of rows) lines.push(`| ${s} | ${fmt.n(m.dps)} | ${fmt.x(relayOf(c.gen) ? m.dps / relayOf(c.gen).dps : NaN)} | ${(m.ratio * 100).toFixed(2)}% | ${m.complete}/${m.n} | ${fmt.kb(m.cpu)} | ${fmt.ms(m.p50)} | ${fmt.ms(m.p99)} | ${m.reasons} |`);
  }
  const gen = generators[0];
  return { lines, rows, relay: relayOf(gen), charla: rows.find(([, , c]) => c.server === 'charla' && c.gen === gen)?.[1] };
}

/**
 * The browser issue's WebSocket targets (#10), on this run's medians: charla-ws at least 5× the
 * naive ws server and socket.io on a and b, and 0.7× charla's line protocol when both were loaded
 * by the same generator; c at most 8 KiB per idle user.
 */
function wsTargets(w, rows) {
  const get = (name) => rows.find(([, , c]) => c.server === name)?.[1];
  const ws = get('charla-ws');
  if (!ws) return [];
  const ok = (b) => (b ? 'PASS' : 'FAIL');
  if (w === 'c') return [`- c over WebSocket: ≤ 8 KiB per idle user: ${fmt.kb(ws.rss)} KiB: ${ok(ws.rss <= 8 && ws.complete === ws.n)}`];
  if (w !== 'a' && w !== 'b') return [];
  const out = [];
  for (const [name, min] of [['naive-ws', 5], ['socketio', 5]]) {
    const other = get(name);
    if (other) {
      const bound = ws.genBusy >= 0.9 ? `; the generator's busiest thread was ${Math.round(ws.genBusy * 100)}% busy (server ${fmt.kb(ws.cpu)}% CPU), so per second of server CPU: ${fmt.x(ws.perCpu / other.perCpu)} × (${fmt.n(ws.perCpu)} vs ${fmt.n(other.perCpu)})` : '';
      out.push(`- ${w} over WebSocket: ≥ ${min} × ${name}: ${fmt.x(ws.dps / other.dps)} × (${fmt.n(ws.dps)} vs ${fmt.n(other.dps)} deliveries/s)${bound}: ${ok(ws.dps / other.dps >= min && ws.complete === ws.n)}`);
    }
  }
  // The same kind of generator on both sides: the C ones (wsgen and loadgen), or charla bench.
  const lineGen = wsGen === 'wsgen' ? 'loadgen' : 'charla';
  const line = rows.find(([, , c]) => c.server === 'charla' && c.gen === lineGen)?.[1];
  if (line) out.push(`- ${w} over WebSocket: ≥ 0.7 × charla's line protocol (${wsGen === 'wsgen' ? 'wsgen and loadgen' : 'both by charla bench'}): ${fmt.x(ws.dps / line.dps)} ×: ${ok(ws.dps / line.dps >= 0.7)}`);
  return out;
}

/** The targets of issue #4, checked on this run's medians. */
function targets(w, relay, charla) {
  if (!charla) return [];
  const ok = (b) => (b ? 'PASS' : 'FAIL');
  if ((w === 'a' || w === 'b') && relay) {
    const x = charla.dps / relay.dps;
    return [`- ${w}: ≥ 0.5 × relay with every delivery: ${fmt.x(x)} × relay, ${charla.complete}/${charla.n} complete: ${ok(x >= 0.5 && charla.complete === charla.n)}`];
  }
  if (w === 'd' && relay) {
    const x = charla.p50 / relay.p50;
    return [`- d: p50 ≤ 2 × relay and p99 ≤ 3 ms: p50 ${fmt.x(x)} × relay, p99 ${fmt.ms(charla.p99)} ms: ${ok(x <= 2 && charla.p99 <= 3000)}`];
  }
  if (w === 'c') return [`- c: ≤ 6 KiB per idle user at 5,000: ${fmt.kb(charla.rss)} KiB: ${ok(charla.rss <= 6 && charla.complete === charla.n)}`];
  return [];
}

// --- main ----------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'charla-compare-work-'));
const charlaRev =
  spawnSync('git', ['-C', args['charla-dir'], 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() ||
  (existsSync(join(args['charla-dir'], 'REVISION')) ? readFileSync(join(args['charla-dir'], 'REVISION'), 'utf8').trim() : '?');
say(`compare-servers: ${servers.join(', ')} on ${workloads.join(', ')}, ${REPS} repetitions, generator ${generators.join(' and ')}, server core ${args['server-cpu']}, generator core ${args['gen-cpu']}`);
say(`results in ${out}`);
const results = {};
const loads = [];
/** Busy and total jiffies of all cores (/proc/stat), or undefined off Linux. */
function cpuTimes() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}
/**
 * Waits (bounded by --quiet-wait-s) until the whole machine is under 15% busy over 1 s; returns
 * the last busy % seen (-1 off Linux). Our own previous run has ended, so what is left is others'.
 */
async function waitQuiet() {
  const end = Date.now() + Number(args['quiet-wait-s']) * 1000;
  let pct = -1;
  do {
    const a = cpuTimes();
    await new Promise((r) => setTimeout(r, 1000));
    const b = cpuTimes();
    if (!a || !b) return -1;
    pct = Math.round((100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total));
    if (pct < 15) return pct;
  } while (Date.now() < end);
  return pct;
}
for (const w of workloads) {
  results[w] = {};
  for (let rep = 1; rep <= REPS; rep++) {
    // Servers interleaved within each repetition, so a drift in the machine hits all of them.
    for (const { server: s, gen, key } of columns) {
      let server;
      let r;
      const load = await waitQuiet();
      loads.push(load);
      try {
        server = await startServer(s, work);
        for (let k = 0; k < WARMUP && !w.startsWith('c'); k++) await runGenerator(server, w, s, gen);
        r = await runGenerator(server, w, s, gen);
      } catch (err) {
        r = { end_reason: 'server_failed', error: String(err.message ?? err) };
      } finally {
        if (server) await stop(server.proc);
      }
      const row = { server: s, workload: w, rep, generator: gen, charla_rev: s === 'charla' ? charlaRev : undefined, machine_busy_pct_before: load, ...r };
      appendFileSync(rawPath, `${JSON.stringify(row)}\n`);
      (results[w][key] ??= []).push(r);
      const brief = w.startsWith('c') ? `rss/user ${fmt.kb(r.rss_per_conn_kb)} KiB, ready ${fmt.x(r.ready_s)} s` : `${fmt.n(r.deliveries_per_s)} deliveries/s, p50 ${fmt.ms(r.lat_us?.p50)} ms, p99 ${fmt.ms(r.lat_us?.p99)} ms`;
      say(`  ${w} #${rep} ${key.padEnd(6)} ${r.end_reason}: ${brief}${r.error ? ` (${r.error})` : ''}`);
    }
  }
}

const md = [
  `# charla vs bare relay vs ngIRCd vs seed`,
  '',
  `Generator: ${generators.map((g) => (g === 'loadgen' ? 'loadgen (reference)' : 'charla bench')).join(' and ')}${servers.some((x) => WS_SERVERS.has(x)) ? `, WebSocket servers by ${wsGen === 'wsgen' ? 'wsgen (bench/wsgen/wsgen.c)' : 'charla bench'}` : ''}; medians of ${REPS}${WARMUP > 0 ? `, each after ${WARMUP} unmeasured warm-up run(s) against the same server` : ', a fresh server per run'}; server on core ${args['server-cpu']}, generator on core ${args['gen-cpu']}; common flags \`${COMMON.join(' ')}\`. charla ${charlaRev}${charlaHasBench ? ' with --bench' : ''}${charlaFlags.length > 0 ? ` ${charlaFlags.join(' ')}` : ''}. ${new Date().toISOString()}`,
  '',
  `Machine CPU busy in the second before each run (others' work): median ${median(loads)}%, max ${Math.max(...loads)}% (runs wait up to ${args['quiet-wait-s']} s for < 15%).`,
  '',
];
const checks = [];
const wsChecks = [];
for (const w of workloads) {
  const { lines, rows, relay, charla } = table(w, results[w]);
  md.push(`## ${w}: \`${WORKLOADS[w].join(' ')}\``, '', ...lines, '');
  checks.push(...targets(w, relay, charla));
  wsChecks.push(...wsTargets(w, rows));
}
if (checks.length > 0) md.push(`## Targets (issue #4), charla, measured with ${generators[0]}`, '', ...checks, '');
if (wsChecks.length > 0) md.push(`## Targets (issue #10), charla over WebSocket, measured with ${wsGen === 'wsgen' ? 'wsgen' : 'charla bench'}`, '', ...wsChecks, '');
md.push(`Raw results: ${rawPath}`, '');
writeFileSync(join(out, 'results.md'), md.join('\n'));
process.stdout.write(md.join('\n'));
