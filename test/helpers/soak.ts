import { once, setMaxListeners } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LeaveReason } from '../../src/hub/messages.js';
import { type ChatServer, startServer } from '../../src/server.js';
import { noticesFlushed } from '../../src/transport/stream-peer.js';
import { checkDepartures, checkDeliveries, checkHandles, checkRoom } from './soak-checks.js';
import { countHandles, type HandleCounts, heapAfterGc, kernelDrops, settledHandles } from './soak-measure.js';
import { Member, type MemberAction, type MemberPlan, PUSH_TEXT, SlowReader } from './soak-members.js';
import { Random } from './soak-random.js';
import { type ChurnContext, type ChurnKind, type ChurnPlan, churnTransport, SCENARIOS, TCP_CHURN_WEIGHTS, type TcpChurnKind, UDP_CHURN_WEIGHTS, type UdpChurnKind } from './soak-scenarios.js';
import { Pacer, pause, SoakTcp, SoakUdp } from './soak-sockets.js';
import { readLogReason, SOAK_LANG } from './soak-wire.js';
import { within } from './within.js';

/**
 * The soak driver (issue #3): an in-process server on 127.0.0.1 and hundreds of TCP and UDP
 * clients. Members join first and stay; slow readers join and stop reading; churners come and go
 * during the chaos phase, politely or not (floods, over-long lines, garbage, resets, half lines,
 * silence, taken names, HTTP, vanishing UDP users, UDP strangers). Then two /listar rounds mark
 * that everything sent was handled and delivered, and the checks run: every member got every
 * other member's messages in order, the room is exactly the members, every churner left once for
 * the right reason, and the server's handles and heap are back where they started.
 *
 * Imports nothing from node:test: the test (test/integration/soak.test.ts) and the longer run
 * (scripts/soak.mjs) share it.
 */
export interface SoakOptions {
  /** Seed of the plan (who does what, when). */
  seed: number;
  /** Length of the chaos phase. */
  durationMs: number;
  /** TCP clients in all (members, slow readers, churners) and UDP clients in all. */
  tcpClients: number;
  udpClients: number;
  /** Share of each transport's clients that are members. */
  memberShare: number;
  /**
   * TCP clients that stop reading and must be cut as slow consumers (fewer when the members'
   * rate-limited private messages cannot overflow that many: ~6 MB each on loopback).
   */
  slowReaders: number;
  /** Chat messages per member per second of chaos. */
  chatPerSec: number;
  /** Bytes of private messages planned for each slow reader (loopback kernels take ~4 MB first). */
  pushBytesPerSlow: number;
  /** Server limits, made short so the soak sees them act. */
  maxQueuedBytes: number;
  registrationTimeoutMs: number;
  floodKickMs: number;
  silenceMs: number;
  sweepIntervalMs: number;
  /** UDP clients send a keep-alive this often (well under `silenceMs`, and not so often that the
   * server's UDP receive buffer fills with them while its loop is busy). */
  keepAliveMs: number;
  /** Bound of each wait for the server (a reply, a close, a notice). */
  waitMs: number;
  /** How much the heap may grow over the run (after GC) before it is a violation. */
  heapSlackBytes: number;
  /** Progress lines (the script prints them). */
  progress: (line: string) => void;
}

export const SOAK_DEFAULTS: SoakOptions = {
  seed: 1,
  durationMs: 6000,
  tcpClients: 150,
  udpClients: 50,
  memberShare: 0.4,
  slowReaders: 1,
  chatPerSec: 1,
  pushBytesPerSlow: 8 << 20,
  maxQueuedBytes: 64 << 10,
  registrationTimeoutMs: 2000,
  floodKickMs: 800,
  silenceMs: 4000,
  sweepIntervalMs: 200,
  keepAliveMs: 1000,
  waitMs: 10_000,
  heapSlackBytes: 10 << 20,
  progress: () => {},
};

/** The server's line limit (its default; the soak does not change it). */
const MAX_LINE_BYTES = 4096;
/** Members keep to this pace: the server allows 5/s with a burst of 25. */
const MEMBER_RATE = 4;
const MEMBER_BURST = 18;
/** Private bytes a slow reader needs to be cut: the kernel's buffers on loopback, the bound, a margin. */
const MIN_PUSH_BYTES_PER_SLOW = 6 << 20;
/** Violations listed in the report (all are counted). */
const MAX_LISTED = 40;

/** What a soak run did and found. `violations` is empty when every check held. */
export interface SoakReport {
  seed: number;
  elapsedMs: number;
  options: Omit<SoakOptions, 'progress'>;
  clients: { tcpMembers: number; udpMembers: number; slowReaders: number; churners: Partial<Record<ChurnKind, number>> };
  messages: {
    chatSent: number;
    deliveredToTcp: number;
    deliveredToUdp: number;
    privatesToTcp: number;
    privatesToUdp: number;
    pushedBytes: number;
    /**
     * UDP losses, counted apart from the checks over TCP: messages of UDP members the room never
     * got (lost on the way in), and deliveries to UDP members lost on the way out (member
     * messages and private messages). A violation only when the kernel counted no dropped
     * packet over the run (`kernelDrops`): on loopback that is the only way to lose a datagram.
     */
    udpLostIn: number;
    udpLostOut: number;
    /** A few of the UDP losses, said in words. */
    udpLossExamples: string[];
  };
  /** Departures by reason, from the server's console (named users and unnamed connections). */
  departures: Record<string, number>;
  handles: { before: HandleCounts; during: HandleCounts; after: HandleCounts };
  heap: { beforeBytes: number; afterBytes: number };
  /** How late the event loop (server and clients share it) ran during the chaos, in ms. */
  loopDelayMs: { p50: number; p99: number; max: number };
  /**
   * Packets the kernel dropped during the run, up to the checks (UDP buffers, loopback backlog;
   * system-wide, see `kernelDrops`). UDP losses are violations only when this is 0.
   */
  kernelDrops: number | undefined;
  violationCount: number;
  violations: string[];
}

/** The plan a seed gives. */
export interface SoakPlan {
  members: MemberPlan[];
  slowNames: string[];
  churners: ChurnPlan[];
  /** Members that never rename (targets of private messages and name clashes). */
  steady: string[];
}

/** Builds the plan: who is a member, what each member does and when, and the churners. */
export function makePlan(opts: SoakOptions, rnd: Random): SoakPlan {
  const tcpMembers = Math.max(2, Math.round(opts.tcpClients * opts.memberShare));
  const udpMembers = opts.udpClients > 0 ? Math.max(1, Math.round(opts.udpClients * opts.memberShare)) : 0;
  const budget = Math.floor(MEMBER_BURST - 2 + (MEMBER_RATE * opts.durationMs) / 1000) - 1;
  const chats = Math.max(1, Math.round((opts.chatPerSec * opts.durationMs) / 1000));
  const privates = Math.max(1, Math.round(opts.durationMs / 3000));
  if (chats + privates + 1 > budget) throw new RangeError(`chatPerSec ${opts.chatPerSec} is over what a member may send under the rate limit`);
  // Only as many slow readers as the members' spare messages can overflow.
  const pushCapacity = tcpMembers * (budget - chats - privates - 1) * Buffer.byteLength(PUSH_TEXT);
  const slowCount = Math.max(0, Math.min(opts.slowReaders, opts.tcpClients - tcpMembers, Math.floor(pushCapacity / MIN_PUSH_BYTES_PER_SLOW)));
  const slowNames = Array.from({ length: slowCount }, (_, k) => `s${k}`);
  const pushesNeeded = Math.ceil((slowCount * opts.pushBytesPerSlow) / Buffer.byteLength(PUSH_TEXT) / tcpMembers);
  const members: MemberPlan[] = [];
  for (let sid = 0; sid < tcpMembers + udpMembers; sid++) {
    const transport = sid < tcpMembers ? 'tcp' : 'udp';
    members.push({ sid, transport, name: `w${sid}`, actions: [] });
  }
  const renames = (sid: number): boolean => sid % 4 === 1;
  const steady = members.filter((m) => !renames(m.sid)).map((m) => m.name);
  let pushTurn = 0;
  for (const member of members) {
    const r = rnd.fork();
    const at = (): number => r.int(0, opts.durationMs);
    const actions: MemberAction[] = [];
    for (let i = 0; i < chats; i++) actions.push({ atMs: at(), kind: 'chat', filler: filler(r) });
    for (let i = 0; i < privates; i++) actions.push({ atMs: at(), kind: 'private', to: r.pick(steady.filter((n) => n !== member.name)) });
    if (renames(member.sid)) actions.push({ atMs: at(), kind: 'rename', to: `${member.name}r` });
    const spare = budget - actions.length;
    const pushes = member.transport === 'tcp' && slowCount > 0 ? Math.min(spare, pushesNeeded) : 0;
    for (let i = 0; i < pushes; i++) actions.push({ atMs: at(), kind: 'push', to: slowNames[pushTurn++ % slowCount] as string });
    member.actions = actions.sort((a, b) => a.atMs - b.atMs);
  }
  const churners: ChurnPlan[] = [];
  const tcpChurners = opts.tcpClients - tcpMembers - slowCount;
  const udpChurners = opts.udpClients - udpMembers;
  // Every kind runs at least once (a seed that drew no flooder would check no flood kick), then
  // the rest are drawn by weight.
  const tcpKinds = Object.keys(TCP_CHURN_WEIGHTS) as TcpChurnKind[];
  const udpKinds = Object.keys(UDP_CHURN_WEIGHTS) as UdpChurnKind[];
  for (let i = 0; i < tcpChurners + udpChurners; i++) {
    const u = i - tcpChurners;
    const kind: ChurnKind =
      i < tcpChurners
        ? (tcpKinds[i] ?? rnd.weighted(TCP_CHURN_WEIGHTS))
        : (udpKinds[u] ?? rnd.weighted(UDP_CHURN_WEIGHTS));
    // Churners that leave by going silent start early, so the silence limit ends within the run.
    const latest = kind === 'udp-vanish' || kind === 'udp-flood' ? 0.4 : 0.75;
    churners.push({ index: i, kind, startMs: rnd.int(0, Math.round(opts.durationMs * latest)), rnd: rnd.fork() });
  }
  churners.sort((a, b) => a.startMs - b.startMs);
  return { members, slowNames, churners, steady };
}

/** Chat text of random length, with some non-ASCII (2-, 3- and 4-byte UTF-8). */
function filler(r: Random): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz     ñüé€🙂';
  const chars = [...alphabet];
  let s = '';
  for (let i = r.int(0, 120); i > 0; i--) s += r.pick(chars);
  return s.trim();
}

/** What the run collected while it went, for the checks. */
export interface Observed {
  /** Churners that joined, by final name: the reasons their leave may give (any if undefined). */
  joined: Map<string, LeaveReason[] | undefined>;
  privates: Array<{ to: string; text: string }>;
  seen: string[];
}

/** One run's state, shared by its phases. */
interface Run {
  readonly opts: SoakOptions;
  readonly plan: SoakPlan;
  readonly server: ChatServer;
  readonly ports: { tcp: number; udp: number };
  readonly signal: AbortSignal;
  readonly report: SoakReport;
  readonly fail: (message: string) => void;
  /** Churners' sockets still open. */
  readonly open: Set<SoakTcp | SoakUdp>;
  readonly observed: Observed;
  members: Member[];
  slow: SlowReader[];
  readonly pacers: Map<number, Pacer>;
}

/** Runs one soak and reports. Never throws for a failed check: those are `violations`. */
export async function runSoak(options: Partial<SoakOptions> = {}): Promise<SoakReport> {
  const opts: SoakOptions = { ...SOAK_DEFAULTS, ...options };
  const plan = makePlan(opts, new Random(opts.seed));
  const report = emptyReport(opts, plan);
  const fail = (message: string): void => {
    report.violationCount++;
    if (report.violations.length < MAX_LISTED) report.violations.push(message);
  };
  const started = performance.now();
  const server = await startServer({
    host: '127.0.0.1',
    tcpPort: 0,
    udpPort: 0,
    lang: SOAK_LANG,
    log: (line) => {
      const reason = readLogReason(line);
      if (reason !== undefined) report.departures[reason] = (report.departures[reason] ?? 0) + 1;
    },
    tcpOptions: { maxQueuedBytes: opts.maxQueuedBytes, registrationTimeoutMs: opts.registrationTimeoutMs, floodKickMs: opts.floodKickMs, maxLineBytes: MAX_LINE_BYTES },
    udpOptions: { silenceMs: opts.silenceMs, sweepIntervalMs: opts.sweepIntervalMs, maxLineBytes: MAX_LINE_BYTES },
  });
  const abort = new AbortController();
  setMaxListeners(100_000, abort.signal); // every pending pause and pacer wait listens to it
  const run: Run = {
    opts,
    plan,
    server,
    ports: { tcp: server.tcp?.address.port ?? 0, udp: server.udp?.address.port ?? 0 },
    signal: abort.signal,
    report,
    fail,
    open: new Set(),
    observed: { joined: new Map(), privates: [], seen: [] },
    members: [],
    slow: [],
    pacers: new Map(),
  };
  try {
    report.handles.before = countHandles();
    report.heap.beforeBytes = await heapAfterGc();
    const dropsBefore = kernelDrops();
    const dropsSoFar = (): number | undefined => {
      const now = kernelDrops();
      return now === undefined || dropsBefore === undefined ? undefined : now - dropsBefore;
    };
    opts.progress(`soak: seed ${opts.seed}; ${plan.members.length} members, ${plan.slowNames.length} slow readers, ${plan.churners.length} churners`);
    await joinRoom(run);
    opts.progress(`soak: chaos for ${opts.durationMs} ms`);
    await chaos(run);
    opts.progress('soak: waiting for every churner to have left');
    await departures(run);
    // Two marker rounds: after the first, the server has handled every member's every line;
    // after the second, everything it sent each member before that has arrived.
    opts.progress('soak: end markers');
    await Promise.all(run.members.map((m) => m.list(pacerOf(run, m), run.signal, opts.waitMs)));
    const lastLists = await Promise.all(run.members.map((m) => m.list(pacerOf(run, m), run.signal, opts.waitMs)));
    checkDeliveries(run.members, run.observed, report, fail, dropsSoFar);
    checkRoom(server, run.members, lastLists, plan, fail);
    checkDepartures(run.members[0] as Member, run.observed, plan, fail);
    const expectDuring = { ...report.handles.before };
    expectDuring.TCPSocketWrap += 2 * report.clients.tcpMembers;
    expectDuring.UDPWrap += report.clients.udpMembers;
    report.handles.during = await settledHandles((h) => sameSockets(h, expectDuring));
    checkHandles('with only the members connected', expectDuring, report.handles.during, fail);
    opts.progress('soak: members leave');
    report.kernelDrops = dropsSoFar();
    await emptyRoom(run);
  } catch (err) {
    fail(`the run stopped: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    abort.abort();
    await Promise.all([...run.open, ...run.members.map((m) => m.link), ...run.slow.map((s) => s.link)].map(closeClient));
    await server.close(500);
  }
  report.elapsedMs = Math.round(performance.now() - started);
  return report;
}

function emptyReport(opts: SoakOptions, plan: SoakPlan): SoakReport {
  const { progress: _progress, ...settings } = opts;
  const churners: Partial<Record<ChurnKind, number>> = {};
  for (const c of plan.churners) churners[c.kind] = (churners[c.kind] ?? 0) + 1;
  const none = countHandles();
  return {
    seed: opts.seed,
    elapsedMs: 0,
    options: settings,
    clients: { tcpMembers: 0, udpMembers: 0, slowReaders: plan.slowNames.length, churners },
    messages: { chatSent: 0, deliveredToTcp: 0, deliveredToUdp: 0, privatesToTcp: 0, privatesToUdp: 0, pushedBytes: 0, udpLostIn: 0, udpLostOut: 0, udpLossExamples: [] },
    departures: {},
    handles: { before: none, during: none, after: none },
    heap: { beforeBytes: 0, afterBytes: 0 },
    loopDelayMs: { p50: 0, p99: 0, max: 0 },
    kernelDrops: undefined,
    violationCount: 0,
    violations: [],
  };
}

function pacerOf(run: Run, m: Member): Pacer {
  return run.pacers.get(m.plan.sid) as Pacer;
}

/** Members and slow readers join; each member's first /listar is its picture of the room. */
async function joinRoom(run: Run): Promise<void> {
  const { plan, opts, fail } = run;
  const bySid = new Map<string, number>();
  for (const m of plan.members) {
    bySid.set(m.name, m.sid);
    for (const a of m.actions) if (a.kind === 'rename') bySid.set(a.to, m.sid);
  }
  const slowSet = new Set(plan.slowNames);
  const udpSids = new Set(plan.members.filter((m) => m.transport === 'udp').map((m) => m.sid));
  const roll = { sidOf: (name: string) => bySid.get(name), onUdp: (sid: number) => udpSids.has(sid), isSlow: (name: string) => slowSet.has(name), maxLineChars: MAX_LINE_BYTES + 64, fail };
  for (const p of plan.members) run.pacers.set(p.sid, new Pacer(MEMBER_RATE, MEMBER_BURST, 1)); // the name took one
  run.members = await Promise.all(
    plan.members.map((p) => Member.join(p, run.ports, roll, { observer: p.sid === 0, waitMs: opts.waitMs, keepAliveMs: opts.keepAliveMs })),
  );
  run.report.clients.tcpMembers = run.members.filter((m) => m.plan.transport === 'tcp').length;
  run.report.clients.udpMembers = run.members.length - run.report.clients.tcpMembers;
  run.slow = await Promise.all(plan.slowNames.map((name) => SlowReader.join(name, run.ports.tcp, opts.waitMs)));
  const firstLists = await Promise.all(run.members.map((m) => m.list(pacerOf(run, m), run.signal, opts.waitMs)));
  const everyone = [...plan.members.map((m) => m.name), ...plan.slowNames].sort().join();
  run.members.forEach((m, i) => {
    if ([...(m.roster ?? [])].sort().join() !== everyone) fail(`${m.name}: the first /listar is not the members and slow readers: ${firstLists[i]?.slice(0, 200)}`);
  });
}

/** Members follow their plans while churners come and go; the event loop's delay is measured. */
async function chaos(run: Run): Promise<void> {
  const { opts, fail } = run;
  const t0 = performance.now();
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const memberRuns = run.members.map((m) => m.run(pacerOf(run, m), run.signal, t0).catch((err: unknown) => fail(`${m.name}: ${String(err)}`)));
  const churnRuns = run.plan.churners.map((c) => runChurner(churnContext(run, c), run.open, t0));
  const budgetMs = opts.durationMs + 3 * opts.waitMs + opts.floodKickMs + opts.registrationTimeoutMs;
  await within(Promise.all([...memberRuns, ...churnRuns]), budgetMs, 'the members and churners to finish').catch((err: unknown) => fail(String(err)));
  lag.disable();
  run.report.loopDelayMs = { p50: Math.round(lag.percentile(50) / 1e6), p99: Math.round(lag.percentile(99) / 1e6), max: Math.round(lag.max / 1e6) };
}

/**
 * Waits until every churner that joined and every slow reader has left (vanished UDP users after
 * the silence limit), as the observer hears it, and the server has closed every socket but the
 * members'.
 */
async function departures(run: Run): Promise<void> {
  const { opts, fail } = run;
  for (const c of run.open) await closeClient(c);
  const observer = run.members[0] as Member;
  const mustLeave = [...run.observed.joined.keys(), ...run.plan.slowNames];
  await observer.link
    .until('every churner and slow reader to have left', () => mustLeave.every((n) => observer.leaves.has(n)), opts.silenceMs + opts.sweepIntervalMs + 2 * opts.waitMs)
    .catch(() => fail(`never left: ${mustLeave.filter((n) => !observer.leaves.has(n)).join(', ')}`));
  for (const s of run.slow) await s.link.destroy();
  const memberPorts = new Set(run.members.flatMap((m) => (m.link instanceof SoakTcp ? [m.link.socket.localPort] : [])));
  await serverSocketsClosed(run.server, memberPorts, opts.waitMs, fail);
}

/** Every member says goodbye; the server must be back where it started: no sockets, no timers, the heap. */
async function emptyRoom(run: Run): Promise<void> {
  const { opts, fail, report, server } = run;
  await Promise.all(run.members.map((m) => m.quit(pacerOf(run, m), run.signal, opts.waitMs).catch((err: unknown) => fail(`${m.name} could not leave: ${String(err)}`))));
  await serverSocketsClosed(server, new Set(), opts.waitMs, fail);
  if (server.hub.connectionCount !== 0) fail(`${server.hub.connectionCount} connections left in the hub after everyone left`);
  if ((server.udp?.peers.size ?? 0) !== 0) fail(`${server.udp?.peers.size} UDP peers left after everyone left`);
  run.members = [];
  run.slow = [];
  // The last leave notices may still wait in the notice window (its timer, up to lazyFlushMs).
  await within(noticesFlushed(), opts.waitMs, 'the last notice window to be written').catch((err: unknown) => fail(String(err)));
  report.handles.after = await settledHandles((h) => sameSockets(h, report.handles.before));
  checkHandles('after everyone left', report.handles.before, report.handles.after, fail, true);
  report.heap.afterBytes = await heapAfterGc();
  const grown = report.heap.afterBytes - report.heap.beforeBytes;
  if (grown > opts.heapSlackBytes) fail(`the heap grew by ${MB(grown)} over the run (bound ${MB(opts.heapSlackBytes)})`);
}

/** Runs one churner at its time; afterwards its sockets are closed and forgotten (what it kept too). */
async function runChurner(ctx: ChurnContext & { clients: Set<SoakTcp | SoakUdp> }, open: Set<SoakTcp | SoakUdp>, t0: number): Promise<void> {
  const { plan } = ctx;
  try {
    await pause(t0 + plan.startMs - performance.now(), ctx.signal);
    await SCENARIOS[plan.kind](ctx);
  } catch (err) {
    if (!ctx.signal.aborted) ctx.fail(err instanceof Error ? err.message : String(err));
  } finally {
    for (const c of ctx.clients) {
      await closeClient(c);
      open.delete(c);
    }
  }
}

function churnContext(run: Run, plan: ChurnPlan): ChurnContext & { clients: Set<SoakTcp | SoakUdp> } {
  const { opts, ports, open, observed, fail, signal } = run;
  const clients = new Set<SoakTcp | SoakUdp>();
  const track = <T extends SoakTcp | SoakUdp>(c: T): T => {
    open.add(c);
    clients.add(c);
    return c;
  };
  return {
    plan,
    clients,
    signal,
    waitMs: opts.waitMs,
    limits: { maxLineBytes: MAX_LINE_BYTES, registrationTimeoutMs: opts.registrationTimeoutMs, floodKickMs: opts.floodKickMs, keepAliveMs: opts.keepAliveMs },
    steady: run.plan.steady,
    slow: run.plan.slowNames,
    tcp: async () => track(await SoakTcp.connect(ports.tcp, { keep: true, ms: opts.waitMs })),
    udp: async () => track(await SoakUdp.open(ports.udp, { keep: true, ms: opts.waitMs, recvBufferBytes: 4 << 20 })),
    joined: (name) => void observed.joined.set(name, undefined),
    renamed: (old, name) => {
      observed.joined.set(name, observed.joined.get(old));
      observed.joined.delete(old);
    },
    expectLeave: (name, ...reasons) => void observed.joined.set(name, reasons),
    expectPrivate: (to, text) => void observed.privates.push({ to, text }),
    expectSeen: (line) => void observed.seen.push(line),
    fail: (message) => fail(`churner ${plan.kind} #${plan.index} (${churnTransport(plan.kind)}): ${message}`),
  };
}

function sameSockets(a: HandleCounts, b: HandleCounts): boolean {
  return a.TCPServerWrap === b.TCPServerWrap && a.TCPSocketWrap === b.TCPSocketWrap && a.UDPWrap === b.UDPWrap;
}

async function closeClient(c: SoakTcp | SoakUdp): Promise<void> {
  if (c instanceof SoakTcp) await c.destroy();
  else await c.close();
}

/** Waits (bounded) until the server has closed every TCP socket but those of `keepPorts`. */
async function serverSocketsClosed(server: ChatServer, keepPorts: Set<number | undefined>, ms: number, fail: (m: string) => void): Promise<void> {
  const closing = [...(server.tcp?.peers ?? [])]
    .filter((p) => !keepPorts.has(p.socket.remotePort) && !p.socket.closed)
    .map((p) => once(p.socket, 'close'));
  await within(Promise.all(closing), ms, `the server to close ${closing.length} sockets`).catch((err: unknown) => fail(String(err)));
}

const MB = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** The report as a few lines of text. */
export function formatReport(r: SoakReport): string {
  const kinds = Object.entries(r.clients.churners)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const churners = Object.values(r.clients.churners).reduce((a, b) => a + (b ?? 0), 0);
  const reasons = Object.entries(r.departures)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const handles = (Object.keys(r.handles.before) as Array<keyof HandleCounts>)
    .map((k) => `${k} ${r.handles.before[k]}/${r.handles.during[k]}/${r.handles.after[k]}`)
    .join(', ');
  return [
    `soak: seed ${r.seed} (SOAK_SEED=${r.seed} to replay the plan), ${(r.elapsedMs / 1000).toFixed(1)} s, chaos ${r.options.durationMs} ms`,
    `clients: ${r.clients.tcpMembers} TCP + ${r.clients.udpMembers} UDP members, ${r.clients.slowReaders} slow readers, ${churners} churners (${kinds})`,
    `messages: ${r.messages.chatSent} member messages; ${r.messages.deliveredToTcp} deliveries checked in order at TCP members, ${r.messages.deliveredToUdp} at UDP members; ` +
      `private messages checked ${r.messages.privatesToTcp} (TCP) + ${r.messages.privatesToUdp} (UDP); members sent slow readers ${MB(r.messages.pushedBytes)} before the cut`,
    `UDP losses: ${r.messages.udpLostIn} member messages never reached the room, ${r.messages.udpLostOut} deliveries to UDP members lost; ` +
      `packets the kernel dropped: ${r.kernelDrops ?? 'n/a'}${r.messages.udpLossExamples.length > 0 ? ` (${r.messages.udpLossExamples.join('; ')})` : ''}`,
    `departures by reason (server log): ${reasons}`,
    `handles before/with members/after: ${handles}`,
    `heap after GC: ${MB(r.heap.beforeBytes)} before, ${MB(r.heap.afterBytes)} after (${r.heap.afterBytes >= r.heap.beforeBytes ? '+' : ''}${MB(r.heap.afterBytes - r.heap.beforeBytes)})`,
    `event-loop delay during the chaos: p50 ${r.loopDelayMs.p50} ms, p99 ${r.loopDelayMs.p99} ms, max ${r.loopDelayMs.max} ms`,
    r.violationCount === 0 ? 'violations: none' : `violations: ${r.violationCount}\n  ${r.violations.join('\n  ')}`,
  ].join('\n');
}
