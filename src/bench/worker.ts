/**
 * One generator thread: runs every `threads`-th user (connect, register, send, receive) and
 * reports through shared counters; the main thread only orchestrates. Started by run.ts with a
 * `WorkerSetup`; never imported by anything else.
 *
 * The closed loop (window) and the open one (rate) are the reference generator's: sender i may
 * send message s when s < M, fewer than W of its messages are outstanding (not yet delivered to
 * all N−1 others, nor expired), and, with a rate, once the elapsed time minus i/(S·rate) reaches
 * s/rate, so that the offered load is evenly spaced.
 */
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { type BenchCodec, type CodecSink, IrcCodec, LineCodec, framePayload, nickOf } from './client-codec.js';
import { portOfUser } from './options.js';
import { WsCodec } from './ws-codec.js';
import { type Marker, encodePayload } from './payload.js';
import {
  COUNT_MASK,
  EXPIRED,
  type FromWorker,
  Slot,
  SLOTS,
  type ToWorker,
  type WorkerSetup,
  nowNs,
  ownerOf,
  ringBell,
  metronomeIndex,
  totalIndex,
  waitBell,
} from './shared.js';

/** A connect attempt that fails (refused: the server's backlog is full) is retried this often. */
const CONNECT_ATTEMPTS = 5;
/** A sender with this much unsent output waits for 'drain' (the reference's bound). */
const SEND_BACKLOG_BYTES = 65536;
/** How often outstanding messages are checked for --msg-timeout-s. */
const EXPIRE_EVERY_MS = 50;
/** Server lines reported back per worker ("Error: ..." after registration). */
const MAX_NOTES = 3;

type UserState = 'idle' | 'connecting' | 'registering' | 'ready' | 'gone';

interface User {
  readonly index: number;
  /** The node this user connects to (`portOfUser`). */
  readonly port: number;
  state: UserState;
  attempts: number;
  socket: net.Socket | undefined;
  codec: BenchCodec;
  sink: CodecSink | undefined;
  error: string | undefined;
  // --- senders only ---
  sent: number;
  expired: number;
  /** Oldest message not yet known delivered or expired. */
  oldest: number;
  sendNs: Float64Array | undefined;
}

const setup = workerData as WorkerSetup;
const { opts, index: me, threads } = setup;
const N = opts.clients;
const S = opts.senders;
const M = opts.msgs;
const counters = new Int32Array(setup.shared.counters, 4 * SLOTS * me, SLOTS);
const bells = new Int32Array(setup.shared.control);
const counts = new Int32Array(setup.shared.counts);
const completed = new Int32Array(setup.shared.completed);
const dues = new BigInt64Array(setup.shared.dues);
const MAIN_BELL = threads;
const METRONOME = metronomeIndex(threads);
const TOTAL = totalIndex(threads);
const expected = S * M * (N - 1);

/** The protocol's client for user `name`, who connects to `port`. */
function codecFor(name: string, port: number): BenchCodec {
  switch (opts.proto) {
    case 'irc':
      return new IrcCodec(name, opts.channel);
    case 'ws':
    case 'ws-raw':
    case 'sio':
      return new WsCodec(name, opts.proto, `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`);
    default:
      return new LineCodec(name, opts.lineReady === 'write');
  }
}

const users: User[] = [];
for (let i = me; i < N; i += threads) {
  const name = nickOf(opts.nickPrefix, i);
  const port = portOfUser(opts, i);
  users.push({
    index: i,
    port,
    state: 'idle',
    attempts: 0,
    socket: undefined,
    codec: codecFor(name, port),
    sink: undefined,
    error: undefined,
    sent: 0,
    expired: 0,
    oldest: 0,
    sendNs: i < S && M > 0 ? new Float64Array(M) : undefined,
  });
}
const senders = users.filter((u) => u.index < S);

// --- what this worker measured ---
let delivered = 0;
let unpublished = 0;
let dup = 0;
let selfCount = 0;
let badMarkers = 0;
let expiredTotal = 0;
let sentTotal = 0;
let lastDeliveryNs = 0;
let latencies = new Float64Array(1 << 16);
let nLat = 0;
/** With --rate: how late each message left against its schedule, ns. */
const lags = new Float64Array(opts.rate > 0 ? senders.length * M : 0);
let nLags = 0;
let firstErrorSent = false;
let notes = 0;
let stopping = false;

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(msg, transfer);
}

function reportError(text: string): void {
  if (firstErrorSent) return;
  firstErrorSent = true;
  post({ type: 'error', text });
}

function bump(slot: number, by = 1): void {
  Atomics.add(counters, slot, by);
}

// --- receiving: the codec finds markers, `record` counts them ---

let recvUser = 0;
let recvNs = 0;
/** Workers whose senders completed a message in this read (bit per worker, up to 31; else all). */
let ringMask = 0;
let ringAll = false;
let passWanted = false;

function record(m: Marker): void {
  const sender = m.sender;
  if (sender >= S || m.seq >= M) {
    badMarkers++;
    return;
  }
  if (sender === recvUser) {
    selfCount++;
    return;
  }
  const k = sender * M + m.seq;
  const v = Atomics.add(counts, k, 1) + 1;
  const c = v & COUNT_MASK;
  if (c > N - 1) {
    dup++;
    return;
  }
  delivered++;
  unpublished++;
  if (c === N - 1 && (v & EXPIRED) === 0 && opts.window > 0) {
    Atomics.add(completed, sender, 1);
    const owner = ownerOf(sender, threads);
    if (owner === me) passWanted = true;
    else if (owner < 31) ringMask |= 1 << owner;
    else ringAll = true;
  }
  if (nLat === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[nLat++] = recvNs > m.sentNs ? recvNs - m.sentNs : 0;
  lastDeliveryNs = recvNs;
}

const sink = (user: User): CodecSink => ({
  marker: record,
  ready: () => becomeReady(user),
  fail: (line) => {
    reportError(`server said: ${line.slice(0, 190)}`);
    user.error = line;
    user.socket?.destroy();
  },
  reply: (text) => user.socket?.write(text),
  note: (line) => {
    if (notes++ < MAX_NOTES) post({ type: 'note', text: line.slice(0, 190) });
  },
});

function onData(user: User, chunk: Buffer): void {
  recvUser = user.index;
  recvNs = nowNs();
  user.codec.push(chunk, user.sink as CodecSink);
  if (unpublished > 0) {
    Atomics.store(counters, Slot.delivered, delivered);
    const total = Atomics.add(bells, TOTAL, unpublished) + unpublished;
    unpublished = 0;
    if (total >= expected) ringBell(bells, MAIN_BELL);
  }
  if (ringMask !== 0 || ringAll) {
    for (let w = 0; w < threads; w++) if (w !== me && (ringAll || (w < 31 && ringMask & (1 << w)))) ringBell(bells, w);
    ringMask = 0;
    ringAll = false;
  }
  if (passWanted) {
    passWanted = false;
    schedulePass();
  }
}

// --- connecting and registering, at most `conc` at once ---

let nextUser = 0;
let inFlight = 0;
const retry: User[] = [];

function fillConnects(): void {
  while (inFlight < setup.conc && !stopping) {
    const user = retry.pop() ?? (nextUser < users.length ? users[nextUser++] : undefined);
    if (user === undefined) return;
    connect(user);
  }
}

function connect(user: User): void {
  user.attempts++;
  user.state = 'connecting';
  inFlight++;
  const socket = net.connect({ host: opts.host, port: user.port, noDelay: true });
  user.socket = socket;
  user.sink ??= sink(user);
  socket.on('connect', () => {
    user.state = 'registering';
    bump(Slot.connected);
    socket.write(user.codec.hello());
    if (opts.proto === 'line' && opts.lineReady === 'write') becomeReady(user);
  });
  socket.on('data', (chunk: Buffer) => onData(user, chunk));
  socket.on('drain', () => {
    if (user.index < S) schedulePass();
  });
  socket.on('error', (err: Error & { code?: string }) => {
    user.error ??= err.code ?? err.message;
  });
  socket.on('close', () => onClose(user));
}

function becomeReady(user: User): void {
  if (user.state !== 'registering') return;
  user.state = 'ready';
  inFlight--;
  bump(Slot.ready);
  ringBell(bells, MAIN_BELL);
  fillConnects();
}

function onClose(user: User): void {
  const was = user.state;
  user.state = 'gone';
  user.socket = undefined;
  if (stopping) return;
  if (was === 'connecting') {
    inFlight--;
    if (user.attempts < CONNECT_ATTEMPTS) {
      bump(Slot.retries);
      user.state = 'idle';
      retry.push(user);
    } else {
      bump(Slot.failed);
      reportError(`connect failed: ${user.error ?? 'closed'}`);
    }
  } else if (was === 'registering') {
    inFlight--;
    bump(Slot.failed);
    reportError(user.error !== undefined ? `closed before registering: ${user.error}` : 'the server closed a connection before it registered');
  } else if (was === 'ready') {
    bump(Slot.disconnects);
    bump(Slot.ready, -1);
    reportError(user.error !== undefined ? `connection lost: ${user.error}` : 'the server closed a registered connection');
  }
  ringBell(bells, MAIN_BELL);
  fillConnects();
}

// --- sending ---

let startNs = 0;
let going = false;
let passScheduled = false;
let expireTimer: NodeJS.Timeout | undefined;
let rotation = 0;
const perSecond = opts.rate;
const frameOf = (payload: string): string => framePayload(opts.proto === 'irc' ? 'irc' : 'line', payload, opts.channel);
/** A WebSocket sender's payloads of one pass, framed together (one write). */
const wsBatch: string[] = [];

function schedulePass(): void {
  if (passScheduled || !going) return;
  passScheduled = true;
  setImmediate(sendPass);
}

/** Messages sender `i` may have sent by `now` under --rate (Infinity without a rate). */
function allowedByRate(i: number, now: number): number {
  if (perSecond <= 0) return Infinity;
  const e = now - startNs - (i * 1e9) / (S * perSecond);
  return e < 0 ? 0 : Math.floor((e * perSecond) / 1e9) + 1;
}

/** When sender `i` may send message `seq` under --rate, ns. */
function dueNs(i: number, seq: number): number {
  return startNs + (i * 1e9) / (S * perSecond) + (seq * 1e9) / perSecond;
}

function sendPass(): void {
  passScheduled = false;
  if (!going || stopping) return;
  const now = nowNs();
  let more = false;
  let nextDue = Infinity;
  const n = senders.length;
  for (let k = 0; k < n; k++) {
    const u = senders[(rotation + k) % n] as User;
    if (u.sent >= M) continue;
    const allowed = allowedByRate(u.index, now);
    if (perSecond > 0 && u.sent >= allowed) nextDue = Math.min(nextDue, dueNs(u.index, u.sent));
    if (u.state !== 'ready' || u.socket === undefined || u.socket.writableLength > SEND_BACKLOG_BYTES) continue;
    let out = '';
    let batch = 0;
    while (u.sent < M && batch < opts.batch && u.sent < allowed && (opts.window === 0 || u.sent - Atomics.load(completed, u.index) - u.expired < opts.window)) {
      const ts = nowNs();
      if (perSecond > 0) lags[nLags++] = Math.max(0, ts - dueNs(u.index, u.sent));
      const payload = encodePayload(u.index, u.sent, ts, opts.size);
      if (u.codec instanceof WsCodec) wsBatch.push(payload);
      else out += frameOf(payload);
      (u.sendNs as Float64Array)[u.sent] = ts;
      u.sent++;
      batch++;
    }
    if (batch === 0) continue;
    sentTotal += batch;
    if (u.codec instanceof WsCodec) {
      u.socket.write(u.codec.frame(wsBatch));
      wsBatch.length = 0;
    } else {
      u.socket.write(out);
    }
    if (batch === opts.batch) more = true;
    if (perSecond > 0 && u.sent < M) nextDue = Math.min(nextDue, dueNs(u.index, u.sent));
  }
  rotation = n > 0 ? (rotation + 1) % n : 0;
  Atomics.store(counters, Slot.sent, sentTotal);
  if (more) schedulePass();
  else if (nextDue < Infinity) armRateTimer(nextDue);
  else if (perSecond > 0) Atomics.store(dues, me, 0n);
}

/**
 * Asks the metronome thread to ring our bell at `due`. Node's timers have a resolution of 1 ms
 * or worse, so a timer-paced sender would send in lumps of several messages, a lumpier load than
 * the rate asks for (servers with Nagle on feel it: +1 ms p50 on ngIRCd). The metronome sleeps
 * in Atomics.wait with a ns timeout and costs no CPU.
 */
function armRateTimer(due: number): void {
  Atomics.store(dues, me, BigInt(Math.ceil(due)));
  ringBell(bells, METRONOME);
}

/** Gives up on messages outstanding for longer than --msg-timeout-s (they free the window). */
function expirePass(): void {
  const now = nowNs();
  const limitNs = opts.msgTimeoutMs * 1e6;
  let freed = false;
  for (const u of senders) {
    const sendNs = u.sendNs as Float64Array;
    while (u.oldest < u.sent) {
      const k = u.index * M + u.oldest;
      const v = Atomics.load(counts, k);
      if ((v & COUNT_MASK) >= N - 1 || (v & EXPIRED) !== 0) {
        u.oldest++;
        continue;
      }
      if (now - (sendNs[u.oldest] as number) <= limitNs) break;
      // Only if no delivery raced in: a message is credited once, completed or expired.
      if (Atomics.compareExchange(counts, k, v, v | EXPIRED) !== v) continue;
      u.expired++;
      expiredTotal++;
      u.oldest++;
      freed = true;
    }
  }
  if (freed) schedulePass();
}

/** Runs a send pass whenever another worker completes one of our messages, or one is due. */
async function listenBell(): Promise<void> {
  while (going && !stopping) {
    const seen = Atomics.load(bells, me);
    schedulePass();
    await waitBell(bells, me, seen);
  }
}

function go(start: number): void {
  startNs = start;
  going = true;
  if (senders.length === 0) return;
  if (opts.window > 0 || perSecond > 0) void listenBell();
  expireTimer = setInterval(expirePass, EXPIRE_EVERY_MS);
  schedulePass();
}

function stop(): void {
  stopping = true;
  going = false;
  Atomics.store(dues, me, 0n);
  clearInterval(expireTimer);
  for (const u of users) u.socket?.destroy();
  const lat = latencies.slice(0, nLat);
  const lag = lags.slice(0, nLags);
  post(
    {
      type: 'report',
      latencies: lat,
      sendLags: lag,
      delivered,
      dup,
      self: selfCount,
      badMarkers,
      expired: expiredTotal,
      sent: sentTotal,
      lastDeliveryNs,
    },
    [lat.buffer as ArrayBuffer, lag.buffer as ArrayBuffer],
  );
  // Wake our own bell listener so that it sees `stopping` and returns.
  ringBell(bells, me);
  parentPort?.close();
}

parentPort?.on('message', (msg: ToWorker) => {
  if (msg.type === 'go') go(msg.startNs);
  else if (msg.type === 'stop') stop();
});

fillConnects();
