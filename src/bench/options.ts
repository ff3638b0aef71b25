import { CharlaError } from '../util/errors.js';
import { MARKER_BYTES, MAX_PAYLOAD_BYTES, MAX_SENDERS } from './payload.js';

export type BenchProto = 'line' | 'irc' | 'ws' | 'ws-raw' | 'sio';
export const BENCH_PROTOS: readonly BenchProto[] = ['line', 'irc', 'ws', 'ws-raw', 'sio'];

/** What `charla bench` runs: the reference generator's knobs, same names, same defaults. */
export interface BenchOptions {
  /** Target address: loopback only (127.0.0.0/8 or ::1). */
  host: string;
  /** Target port; 0 = start a charla server of our own (a child process) and use its port. */
  port: number;
  /**
   * Other nodes of the same chat (`charla server --redis`): the users who do not send connect to
   * these ports in turn, the senders to `port`, so every message crosses nodes. Empty: every user
   * on `port`.
   */
  receiverPorts: number[];
  /**
   * line: charla's line protocol, the seed; irc: IRC servers (and charla's IRC port); ws:
   * charla's WebSocket protocol; ws-raw: a bare WebSocket broadcast server; sio: socket.io's chat
   * example (src/bench/ws-codec.ts).
   */
  proto: BenchProto;
  /** Users (N). */
  clients: number;
  /** The first S users send; -1 = all of them. */
  senders: number;
  /** Messages per sender (M); 0 = idle capacity test (connect, register, hold, measure RSS). */
  msgs: number;
  /** Payload bytes per message (at least the 32-byte marker). */
  size: number;
  /** Most messages of one sender not yet delivered to every other user; 0 = no window. */
  window: number;
  /** Messages per second per sender; 0 = as fast as the window allows. */
  rate: number;
  /** Most users connecting or registering at once. */
  conc: number;
  /** Pause between "all registered" and the first message. */
  settleMs: number;
  /** With no delivery and no send for this long, the run ends as stalled. */
  idleMs: number;
  /** Deadline of the send phase. */
  timeoutMs: number;
  /** Deadline of the connect + register phase. */
  connectTimeoutMs: number;
  /** Idle test: how long to hold the registered users before measuring. */
  holdMs: number;
  /** A message not delivered to everyone within this long stops counting against the window. */
  msgTimeoutMs: number;
  /** Idle test: longest wait for the server to go quiet (< 5% CPU) before reading its RSS. */
  quiesceMaxMs: number;
  /** Messages a sender writes per pass (one write). */
  batch: number;
  /** Server process to read RSS and CPU from (/proc); 0 = none (set to our own child's). */
  serverPid: number;
  label: string;
  /** IRC channel. */
  channel: string;
  /** Names are this prefix + the user's index in 5 digits: u00000, u00001, ... */
  nickPrefix: string;
  /**
   * When a line-protocol user counts as registered: `welcome` = on the server's first line that
   * starts with "***" (charla's welcome); `write` = as soon as the name is written (servers that
   * say nothing to the newcomer, as the seed).
   */
  lineReady: 'welcome' | 'write';
  /** Worker threads running the users; 0 = one per core available to us, minus one, at least 1. */
  threads: number;
}

export const BENCH_DEFAULTS: BenchOptions = {
  host: '127.0.0.1',
  port: 0,
  receiverPorts: [],
  proto: 'line',
  clients: 50, // workload a
  senders: -1,
  msgs: 200,
  size: 64,
  window: 8,
  rate: 0,
  conc: 4,
  settleMs: 500,
  idleMs: 5000,
  timeoutMs: 120_000,
  connectTimeoutMs: 60_000,
  holdMs: 2000,
  msgTimeoutMs: 5000,
  quiesceMaxMs: 90_000,
  batch: 1,
  serverPid: 0,
  label: '',
  channel: '#bench',
  nickPrefix: 'u',
  lineReady: 'welcome',
  threads: 0,
};

/** The workloads charla is judged on (../shared/bench/README.md), as option presets. */
export const WORKLOADS: Record<string, Partial<BenchOptions>> = {
  a: { clients: 50, msgs: 200, size: 64, window: 8, rate: 0, senders: -1 },
  b: { clients: 200, senders: 10, msgs: 500, size: 64, window: 8, rate: 0 },
  c: { clients: 5000, msgs: 0, holdMs: 2000, window: 0, rate: 0, senders: -1 },
  d: { clients: 50, msgs: 100, size: 64, rate: 20, window: 0, senders: -1 },
};

/** The port user `index` connects to: senders to `port`, the others to `receiverPorts` in turn. */
export function portOfUser(opts: Pick<BenchOptions, 'port' | 'receiverPorts' | 'senders'>, index: number): number {
  const others = opts.receiverPorts;
  return index < opts.senders || others.length === 0 ? opts.port : (others[(index - opts.senders) % others.length] as number);
}

/** True for 127.0.0.0/8 and ::1 (numeric), and "localhost". */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255) && m[1] === '127';
}

/** The options with senders resolved (S = N when not given); throws a CharlaError naming the flag. */
export function validateBenchOptions(opts: BenchOptions): BenchOptions {
  const bad = (flag: string, why: string): never => {
    throw new CharlaError('ERR_BAD_OPTION', `${flag} ${why}`);
  };
  if (!isLoopbackHost(opts.host)) {
    throw new CharlaError('ERR_BAD_HOST', `--host ${opts.host}: charla bench only loads servers on this machine (127.0.0.0/8 or ::1)`);
  }
  if (opts.clients < 1) bad('--clients', 'must be at least 1');
  const senders = opts.senders < 0 || opts.senders > opts.clients ? opts.clients : opts.senders;
  if (opts.receiverPorts.length > 0) {
    if (opts.port === 0) bad('--port', 'with several ports loads servers that are already running: give each node\'s port');
    if (senders >= opts.clients) bad('--senders', `must be fewer than --clients with several ports: the ${opts.clients - senders} users who do not send are the ones spread over the other nodes`);
  }
  if (senders > MAX_SENDERS) bad('--senders', `can be at most ${MAX_SENDERS}`);
  if (opts.size < MARKER_BYTES || opts.size > MAX_PAYLOAD_BYTES) bad('--size', `must be from ${MARKER_BYTES} (the marker) to ${MAX_PAYLOAD_BYTES} bytes`);
  if (opts.conc < 1) bad('--conc', 'must be at least 1');
  if (opts.batch < 1) bad('--batch', 'must be at least 1');
  const expected = senders * opts.msgs * (opts.clients - 1);
  // Delivery counts live in 32-bit shared counters.
  if (senders * opts.msgs > 2 ** 28 || expected > 2 ** 31 - 1) bad('--msgs', `× --senders × (--clients - 1) is too large (${expected} deliveries; at most ${2 ** 31 - 1})`);
  if (opts.proto === 'irc' && !/^[#&][^\s,]{1,49}$/.test(opts.channel)) bad('--channel', 'must look like #name');
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,9}$/.test(opts.nickPrefix)) bad('--nick-prefix', 'must be a letter and up to 9 letters, digits, _ or -');
  return { ...opts, senders };
}
