/**
 * `charla bench`'s engine: starts the worker threads that run the users, walks the phases
 * (connect + register, settle, send or hold) each under its own deadline, reads the server's
 * RSS and CPU from /proc, and builds the result. The main thread only orchestrates; the users
 * live in worker.ts.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CharlaError } from '../util/errors.js';
import { BENCH_DEFAULTS, type BenchOptions, validateBenchOptions } from './options.js';
import { openFilesLimit, readCpuSeconds, readRssKb } from './proc.js';
import { type SpawnOptions, type SpawnedServer, spawnCharlaServer } from './server-process.js';
import {
  allocateShared,
  concShare,
  type FromWorker,
  metronomeIndex,
  nowNs,
  ringBell,
  type SharedBuffers,
  Slot,
  SLOTS,
  stopIndex,
  type ToWorker,
  totalIndex,
  waitBell,
} from './shared.js';
import {
  type BenchResult,
  type EndReason,
  cpuPercent,
  judgeBottleneck,
  mergeSamples,
  round1,
  rssPerConnection,
  summarizeLatencies,
} from './stats.js';

/** Where a run is, for a progress bar. */
export interface BenchProgress {
  phase: 'start' | 'connect' | 'settle' | 'send' | 'hold' | 'quiesce';
  /** Seconds since the phase began. */
  elapsedS: number;
  clients: number;
  connected: number;
  ready: number;
  sent: number;
  delivered: number;
  expected: number;
}

export interface BenchHooks {
  /** Called a few times a second. */
  onProgress?: (p: BenchProgress) => void;
  /** Aborting ends the current phase; the run reports what it has ('interrupted'). */
  signal?: AbortSignal;
  /** How to start our own server (when `port` is 0). */
  spawn?: Partial<SpawnOptions>;
  /** Called with our own server once it listens (its pid and port). */
  onServer?: (server: SpawnedServer) => void;
}

/** Result of a run, plus how the server was reached. */
export type BenchRun = BenchResult & { server_args?: readonly string[] };

/** File descriptors kept free besides one per user. */
const SPARE_FDS = 64;
/** How often the main thread looks at the counters when nothing rings. */
const POLL_MS = 100;
/** A server that uses less CPU than this over QUIESCE_WINDOW_MS is taken as quiet. */
const QUIESCE_CPU_S = 0.025;
const QUIESCE_WINDOW_MS = 500;
/** Bound on the workers' final reports. */
const REPORT_TIMEOUT_MS = 10_000;

/** Worker threads by default: a core for the server, the rest for users (at most 8). */
export function defaultThreads(cores: number, clients: number): number {
  return Math.max(1, Math.min(8, cores - 1, clients));
}

/**
 * Runs one load test. With `port` 0 it starts a charla server of its own (a child process) and
 * stops it at the end. Rejects with a CharlaError for a bad option, a non-loopback host or too
 * few file descriptors; a run that does not complete resolves with its `end_reason`.
 */
export async function runBench(options: Partial<BenchOptions> = {}, hooks: BenchHooks = {}): Promise<BenchRun> {
  const opts = validateBenchOptions({ ...BENCH_DEFAULTS, ...options });
  const fds = openFilesLimit();
  if (fds >= 0 && opts.clients + SPARE_FDS > fds) {
    throw new CharlaError('ERR_BAD_OPTION', `--clients ${opts.clients} needs ${opts.clients + SPARE_FDS} open files, this process may have ${fds}: raise it (ulimit -n ${opts.clients + SPARE_FDS}) or use fewer clients`);
  }
  let server: SpawnedServer | undefined;
  if (opts.port === 0) {
    if (opts.proto === 'ws-raw' || opts.proto === 'sio') throw new CharlaError('ERR_BAD_OPTION', `--proto ${opts.proto} loads a server of another kind: give its --port`);
    server = await spawnCharlaServer({ ...hooks.spawn, proto: opts.proto }); // --proto irc / ws: charla's own IRC / HTTP port
    hooks.onServer?.(server);
  }
  try {
    const port = server?.port ?? opts.port;
    const serverPid = server?.pid ?? opts.serverPid;
    const result: BenchRun = await drive({ ...opts, port, serverPid }, hooks);
    if (server !== undefined) result.server_args = server.args;
    return result;
  } finally {
    await server?.stop();
  }
}

interface Sums {
  connected: number;
  ready: number;
  failed: number;
  sent: number;
  delivered: number;
  disconnects: number;
  retries: number;
}

/** The run itself, against a server that is listening on `opts.port`. */
async function drive(opts: BenchOptions, hooks: BenchHooks): Promise<BenchRun> {
  const cores = availableParallelism();
  const threads = opts.threads > 0 ? Math.min(opts.threads, opts.clients) : defaultThreads(cores, opts.clients);
  const N = opts.clients;
  const expected = opts.senders * opts.msgs * (N - 1);
  const pid = opts.serverPid;
  const shared = allocateShared(opts, threads);
  const counters = new Int32Array(shared.counters);
  const control = new Int32Array(shared.control);
  const mainBell = threads;
  const sums = (): Sums => {
    const s: Sums = { connected: 0, ready: 0, failed: 0, sent: 0, delivered: 0, disconnects: 0, retries: 0 };
    for (let w = 0; w < threads; w++) {
      const at = (slot: number): number => Atomics.load(counters, w * SLOTS + slot);
      s.connected += at(Slot.connected);
      s.ready += at(Slot.ready);
      s.failed += at(Slot.failed);
      s.sent += at(Slot.sent);
      s.delivered += at(Slot.delivered);
      s.disconnects += at(Slot.disconnects);
      s.retries += at(Slot.retries);
    }
    return s;
  };

  let firstError = '';
  const notes: string[] = [];
  let fatal: Error | undefined;
  const rssBefore = readRssKb(pid);
  const t0 = nowNs();
  const workers = startWorkers(opts, threads, shared, {
    error: (text) => {
      firstError ||= text;
    },
    note: (text) => {
      if (notes.length < 5) notes.push(text);
    },
    crash: (err) => {
      fatal ??= err;
    },
  });
  const metronome = opts.rate > 0 && opts.msgs > 0 ? new Worker(new URL('./metronome.js', import.meta.url), { workerData: { shared, threads } }) : undefined;
  metronome?.on('error', (err) => {
    fatal ??= err;
  });
  const aborted = (): boolean => hooks.signal?.aborted === true || fatal !== undefined;
  const progress = (phase: BenchProgress['phase'], since: number): void => {
    if (hooks.onProgress === undefined) return;
    const s = sums();
    hooks.onProgress({ phase, elapsedS: (nowNs() - since) / 1e9, clients: N, connected: s.connected, ready: s.ready, sent: s.sent, delivered: Atomics.load(control, totalIndex(threads)), expected });
  };
  /** Waits for a ring of the main bell or POLL_MS, whichever first. */
  let seen = 0;
  const tick = async (): Promise<void> => {
    await waitBell(control, mainBell, seen, POLL_MS);
    seen = Atomics.load(control, mainBell);
  };

  // --- connect + register ---
  let endReason: EndReason = 'complete';
  let tAllConnected = 0;
  for (;;) {
    const s = sums();
    if (tAllConnected === 0 && s.connected >= N) tAllConnected = nowNs();
    if (s.ready >= N) break;
    if (s.failed > 0 && s.ready + s.failed >= N) {
      endReason = 'connect_failed';
      break;
    }
    if (aborted()) {
      endReason = 'interrupted';
      break;
    }
    if (nowNs() - t0 > opts.connectTimeoutMs * 1e6) {
      endReason = 'connect_timeout';
      break;
    }
    progress('connect', t0);
    await tick();
  }
  const tReady = nowNs();
  if (tAllConnected === 0) tAllConnected = tReady;
  const readyAtStart = sums().ready;

  let rssAfter = -1;
  let srvCpu0 = -1;
  let srvCpu1 = -1;
  let myCpu = 0;
  let tStart = 0;
  let tEnd = 0;
  let quiesced = -1;
  let holdS = 0;
  let idleCpuS = -1;
  let busyMax = -1;

  if (endReason === 'complete' && opts.msgs === 0) {
    // Idle capacity: hold the users, wait for the server to go quiet, then read its RSS.
    const holdEnd = nowNs() + opts.holdMs * 1e6;
    while (nowNs() < holdEnd && !aborted()) {
      progress('hold', tReady);
      await delay(Math.min(POLL_MS, (holdEnd - nowNs()) / 1e6));
    }
    quiesced = pid > 0 ? 0 : 1;
    const quiesceEnd = nowNs() + opts.quiesceMaxMs * 1e6;
    while (quiesced === 0 && nowNs() < quiesceEnd && !aborted()) {
      progress('quiesce', tReady);
      const c0 = readCpuSeconds(pid);
      await delay(QUIESCE_WINDOW_MS);
      const c1 = readCpuSeconds(pid);
      if (c0 < 0 || c1 < 0 || c1 - c0 < QUIESCE_CPU_S) quiesced = 1;
    }
    holdS = (nowNs() - tReady) / 1e9;
    rssAfter = readRssKb(pid);
    idleCpuS = readCpuSeconds(pid);
    if (aborted()) endReason = 'interrupted';
    else if (sums().ready < N) endReason = 'lost_connections_during_hold';
  } else if (endReason === 'complete') {
    const settleEnd = nowNs() + opts.settleMs * 1e6;
    while (nowNs() < settleEnd && !aborted()) {
      progress('settle', tReady);
      await delay(Math.min(POLL_MS, (settleEnd - nowNs()) / 1e6));
    }
    rssAfter = readRssKb(pid);
    srvCpu0 = readCpuSeconds(pid);
    const cpu0 = process.cpuUsage();
    const elu0 = workers.map((w) => w.worker.performance.eventLoopUtilization());
    tStart = nowNs();
    for (const w of workers) w.send({ type: 'go', startNs: tStart });
    let lastProgress = tStart;
    let lastMark = -1;
    for (;;) {
      const s = sums();
      const total = Atomics.load(control, totalIndex(threads));
      const t = nowNs();
      if (total >= expected) break;
      if (s.delivered + s.sent !== lastMark) {
        lastMark = s.delivered + s.sent;
        lastProgress = t;
      }
      if (aborted()) {
        endReason = 'interrupted';
        break;
      }
      if (t - tStart > opts.timeoutMs * 1e6) {
        endReason = 'timeout';
        break;
      }
      if (t - lastProgress > opts.idleMs * 1e6) {
        endReason = s.sent < opts.senders * opts.msgs ? 'stalled' : 'drained_incomplete';
        break;
      }
      progress('send', tStart);
      await tick();
    }
    tEnd = nowNs();
    srvCpu1 = readCpuSeconds(pid);
    const cpu = process.cpuUsage(cpu0);
    myCpu = (cpu.user + cpu.system) / 1e6;
    busyMax = Math.max(...workers.map((w, k) => w.worker.performance.eventLoopUtilization(elu0[k]).utilization));
  }

  const reports = await stopWorkers(workers);
  if (metronome !== undefined) {
    Atomics.store(control, stopIndex(threads), 1);
    ringBell(control, metronomeIndex(threads));
    await metronome.terminate();
  }
  if (fatal !== undefined) throw fatal;
  const final = sums();
  return buildResult({
    opts,
    threads,
    cores,
    endReason,
    readyAtStart,
    connectS: (tAllConnected - t0) / 1e9,
    readyS: (tReady - t0) / 1e9,
    tStart,
    tEnd,
    reports,
    final,
    expected,
    rssBefore,
    rssAfter,
    serverCpuS: srvCpu0 >= 0 && srvCpu1 >= 0 ? srvCpu1 - srvCpu0 : -1,
    myCpuS: myCpu,
    quiesced,
    holdS,
    serverCpuTotalS: idleCpuS >= 0 ? idleCpuS : readCpuSeconds(pid),
    busyMax,
    firstError,
    notes,
  });
}

type Report = Extract<FromWorker, { type: 'report' }>;

interface ResultInput {
  opts: BenchOptions;
  threads: number;
  cores: number;
  endReason: EndReason;
  readyAtStart: number;
  connectS: number;
  readyS: number;
  tStart: number;
  tEnd: number;
  reports: Report[];
  final: Sums;
  expected: number;
  rssBefore: number;
  rssAfter: number;
  serverCpuS: number;
  myCpuS: number;
  quiesced: number;
  holdS: number;
  serverCpuTotalS: number;
  busyMax: number;
  firstError: string;
  notes: string[];
}

function buildResult(r: ResultInput): BenchRun {
  const { opts } = r;
  const sum = (f: (x: Report) => number): number => r.reports.reduce((n, x) => n + f(x), 0);
  const delivered = sum((x) => x.delivered);
  const sent = sum((x) => x.sent);
  const lastDelivery = Math.max(0, ...r.reports.map((x) => x.lastDeliveryNs));
  let runS = 0;
  let wallS = 0;
  if (r.tStart > 0) {
    runS = ((lastDelivery > r.tStart ? lastDelivery : r.tEnd) - r.tStart) / 1e9;
    wallS = (r.tEnd - r.tStart) / 1e9;
  }
  const lat = summarizeLatencies(mergeSamples(r.reports.map((x) => x.latencies)));
  const lag = summarizeLatencies(mergeSamples(r.reports.map((x) => x.sendLags)));
  const serverCpuPct = cpuPercent(r.serverCpuS, wallS);
  const loadgenCpuPct = wallS > 0 ? cpuPercent(r.myCpuS, wallS) : -1;
  const judged = judgeBottleneck({
    busyMax: r.busyMax,
    generatorCpuPct: loadgenCpuPct,
    cores: r.cores,
    threads: r.threads,
    serverCpuPct,
    loaded: r.tStart > 0,
  });
  const warnings = [...judged.warnings, ...r.notes.map((n) => `server said: ${n}`)];
  if (r.endReason !== 'complete') warnings.push(`incomplete run (${r.endReason}): ${delivered} of ${r.expected} deliveries arrived`);
  return {
    label: opts.label,
    proto: opts.proto,
    port: opts.port,
    ...(opts.receiverPorts.length > 0 ? { receiver_ports: opts.receiverPorts } : {}),
    clients: opts.clients,
    senders: opts.senders,
    msgs_per_sender: opts.msgs,
    size: opts.size,
    window: opts.window,
    rate: opts.rate,
    end_reason: r.endReason,
    ready_clients: r.readyAtStart,
    connect_s: round4(r.connectS),
    ready_s: round4(r.readyS),
    sent,
    expected: r.expected,
    delivered,
    ratio: r.expected > 0 ? Math.round((delivered / r.expected) * 1e6) / 1e6 : 0,
    dup: sum((x) => x.dup),
    self: sum((x) => x.self),
    bad_markers: sum((x) => x.badMarkers),
    expired_msgs: sum((x) => x.expired),
    run_s: round4(runS),
    wall_s: round4(wallS),
    deliveries_per_s: runS > 0 ? round1(delivered / runS) : 0,
    msgs_per_s: runS > 0 ? round1(sent / runS) : 0,
    lat_us: lat,
    conn_retries: r.final.retries,
    conn_fail: r.final.failed,
    disconnects: r.final.disconnects,
    server_pid: opts.serverPid,
    server_rss_kb_before: r.rssBefore,
    server_rss_kb_after: r.rssAfter,
    rss_per_conn_kb: rssPerConnection(r.rssBefore, r.rssAfter, r.readyAtStart),
    server_cpu_s: r.serverCpuS >= 0 ? Math.round(r.serverCpuS * 1000) / 1000 : -1,
    server_cpu_pct: serverCpuPct,
    loadgen_cpu_s: Math.round(r.myCpuS * 1000) / 1000,
    loadgen_cpu_pct: loadgenCpuPct,
    idle_quiesced: r.quiesced,
    idle_hold_s: Math.round(r.holdS * 100) / 100,
    server_cpu_total_s: r.serverCpuTotalS >= 0 ? Math.round(r.serverCpuTotalS * 100) / 100 : -1,
    first_error: r.firstError,
    tool: 'charla-bench',
    threads: r.threads,
    cores: r.cores,
    loadgen_busy_max: r.busyMax >= 0 ? Math.round(r.busyMax * 1000) / 1000 : -1,
    send_lag_us: { p50: lag.p50, p99: lag.p99, max: lag.max },
    bottleneck: judged.bottleneck,
    warnings,
  };
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

interface RunningWorker {
  worker: Worker;
  send(msg: ToWorker): void;
  /** Resolves with the worker's report once it sends one, or undefined if it exits first. */
  report: Promise<Report | undefined>;
}

interface WorkerEvents {
  error(text: string): void;
  note(text: string): void;
  crash(err: Error): void;
}

function startWorkers(opts: BenchOptions, threads: number, shared: SharedBuffers, on: WorkerEvents): RunningWorker[] {
  const url = new URL('./worker.js', import.meta.url);
  return Array.from({ length: threads }, (_, index) => {
    const worker = new Worker(url, { workerData: { opts, port: opts.port, index, threads, conc: concShare(opts.conc, threads, index), shared } });
    const report = new Promise<Report | undefined>((resolve) => {
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'report') resolve(msg);
        else if (msg.type === 'error') on.error(msg.text);
        else on.note(msg.text);
      });
      worker.on('error', (err) => {
        // A bug in a worker: the run cannot be trusted. Reported by drive() as a thrown error.
        on.crash(err);
        resolve(undefined);
      });
      worker.on('exit', () => resolve(undefined));
    });
    return { worker, send: (msg: ToWorker) => worker.postMessage(msg), report };
  });
}

/** Asks every worker for its report (bounded), then makes sure each has exited. */
async function stopWorkers(workers: RunningWorker[]): Promise<Report[]> {
  for (const w of workers) w.send({ type: 'stop' });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), REPORT_TIMEOUT_MS);
  });
  const reports = await Promise.all(workers.map((w) => Promise.race([w.report, late])));
  clearTimeout(timer);
  await Promise.all(workers.map((w) => w.worker.terminate()));
  const missing = reports.filter((r) => r === undefined).length;
  if (missing > 0) throw new Error(`${missing} generator thread(s) sent no report within ${REPORT_TIMEOUT_MS} ms`);
  return reports as Report[];
}
