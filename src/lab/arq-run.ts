/**
 * One ARQ protocol's run in the lab: an ARQ sender and receiver, each on its own UDP socket on
 * loopback, with the impaired link (arq-link.ts) between them. The sender sends the lab's
 * numbered, timestamped messages (at `--rate`, or with `--rate max` as fast as the window
 * lets it); the receiver records what the protocol delivers to it. Both ends run in this process
 * on one clock, so latencies are exact.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { ArqEvent, ArqReceiverCounters, ArqSenderCounters, ResolvedArqConfig } from '../protocol/arq/index.js';
import { type ArqProtocol, createArqReceiver, createArqSender, resolveArqConfig } from '../protocol/arq/index.js';
import { realTimers } from '../util/clock.js';
import { type ArqDirection, type DropScript, type LinkRecord, startArqLink } from './arq-link.js';
import type { Impairment } from './impairment.js';
import type { Arrival } from './stats.js';

/** The ARQ flags: `--window --seq-bits --rto --unsafe-window --direction --drop`. */
export interface ArqSettings {
  /** undefined: the protocol's default (sw 1, gbn and sr 8). */
  window: number | undefined;
  /** undefined: the protocol's default (sw 1, gbn and sr 8). */
  seqBits: number | undefined;
  /** A fixed RTO (undefined: RFC 6298's estimate). */
  rtoMs: number | undefined;
  unsafeWindow: boolean;
  direction: ArqDirection;
  drops: DropScript;
}

/** The estimated RTO's bounds in the lab: RFC 6298's 1 s start, Linux's 200 ms floor (1 s would hide every lesson under a second). */
export const LAB_RTO = { initialMs: 1000, minMs: 200, maxMs: 60_000 } as const;

export interface ArqPlan {
  protocol: ArqProtocol;
  runId: string;
  messages: number;
  sizeBytes: number;
  /** Messages a second, or 'max': as fast as the window allows. */
  rate: number | 'max';
  impairment: Impairment;
  seed: number;
  settings: ArqSettings;
  /** After the last message is handed over, how long to wait for the last ACK. */
  graceMs: number;
}

/** What one ARQ run saw. */
export interface ArqRecord {
  protocol: ArqProtocol;
  config: ResolvedArqConfig;
  messageBytes: number;
  sentAtMs: number[];
  arrivals: Arrival[];
  sender: ArqSenderCounters;
  receiver: ArqReceiverCounters;
  rtoFinalMs: number;
  srttMs: number | undefined;
  /** Datagrams and bytes through the link, both directions. */
  link: { data: number; ack: number; dataLost: number; ackLost: number; bytes: number };
  /** The link's view of the first datagrams, and the sender's events, for the ladder. */
  ladder: { link: LinkRecord[]; events: ArqEvent[]; startMs: number };
}

const HOST = '127.0.0.1';
const PAYLOAD_SEQ = /^cmp [a-z]+ [0-9a-z]+ (\d+) /;
const MAX_EVENTS = 2000;

/** The lab's message for ARQ (the same layout as tcp and udp's). */
export function arqPayload(protocol: ArqProtocol, runId: string, seq: number, sentMs: number, sizeBytes: number): Buffer {
  const header = `cmp ${protocol} ${runId} ${seq} ${sentMs.toFixed(3)} `;
  return Buffer.from(sizeBytes > header.length ? header + 'x'.repeat(sizeBytes - header.length) : header.trimEnd(), 'utf8');
}

/** The config the plan asks for; throws an ArqConfigError (an unsafe window...) before any socket opens. */
export function arqConfigOf(protocol: ArqProtocol, settings: ArqSettings): ResolvedArqConfig {
  return resolveArqConfig({
    protocol,
    window: settings.window === undefined || protocol === 'sw' ? undefined : settings.window,
    seqBits: settings.seqBits,
    unsafeWindow: settings.unsafeWindow,
    rto: settings.rtoMs !== undefined ? { fixedMs: settings.rtoMs } : LAB_RTO,
    maxQueue: 0,
  });
}

/** Runs one protocol end to end; resolves when everything is acknowledged or the grace time is over. */
export async function runArq(plan: ArqPlan, signal?: AbortSignal): Promise<ArqRecord> {
  const config = arqConfigOf(plan.protocol, plan.settings);
  const now = (): number => performance.now();
  const sentAtMs: number[] = [];
  const arrivals: Arrival[] = [];
  const events: ArqEvent[] = [];
  let bytes = 0;

  const rx = dgram.createSocket('udp4');
  const tx = dgram.createSocket('udp4');
  rx.on('error', () => {});
  tx.on('error', () => {});
  rx.bind(0, HOST);
  tx.bind(0, HOST);
  await Promise.all([once(rx, 'listening'), once(tx, 'listening')]);
  const link = await startArqLink({ receiverPort: rx.address().port, impairment: plan.impairment, direction: plan.settings.direction, drops: plan.settings.drops, seed: plan.seed });
  const startMs = now();

  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  let next = 1;
  let linkPort = 0;
  const receiver = createArqReceiver(config, realTimers, {
    transmit: (ack) => {
      bytes += ack.length;
      rx.send(ack, linkPort, HOST);
    },
    deliver: (payload) => {
      const m = PAYLOAD_SEQ.exec(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('latin1'));
      if (m !== null) arrivals.push({ seq: Number(m[1]), receiver: 0, atMs: now() });
    },
  });
  const sender = createArqSender(config, realTimers, {
    transmit: (datagram) => {
      bytes += datagram.length;
      tx.send(datagram, link.port, HOST);
    },
    onWritable: () => feed(),
    onIdle: () => {
      if (next > plan.messages) done();
    },
    onEvent: (e) => {
      if (events.length < MAX_EVENTS) events.push(e);
    },
  });
  rx.on('message', (msg, rinfo) => {
    linkPort = rinfo.port;
    receiver.onDatagram(msg);
  });
  tx.on('message', (msg) => sender.onDatagram(msg));

  // The messages due so far (paced) or all (max), handed over while the window has room.
  let due = plan.rate === 'max' ? plan.messages : 0;
  const feed = (): void => {
    // maxQueue 0: send() takes a message only when the window has room, so its timestamp is when it
    // went out; a refusal means "window full", and onWritable calls feed again.
    while (next <= due) {
      const sentMs = now();
      if (!sender.send(arqPayload(plan.protocol, plan.runId, next, sentMs, plan.sizeBytes))) break;
      sentAtMs.push(sentMs);
      next++;
    }
    if (next > plan.messages && sender.idle) done();
  };
  let pacer: NodeJS.Timeout | undefined;
  if (plan.rate === 'max') feed();
  else {
    const intervalMs = 1000 / plan.rate;
    const tick = (): void => {
      due = Math.min(plan.messages, Math.floor((now() - startMs) / intervalMs) + 1);
      feed();
      if (due < plan.messages) pacer = setTimeout(tick, Math.max(0, startMs + due * intervalMs - now()));
    };
    tick();
  }

  const onAbort = (): void => done();
  signal?.addEventListener('abort', onAbort, { once: true });
  // Bounded: sending takes about messages / rate; then at most graceMs for the last ACKs (all of them with --rate max).
  const sendingMs = plan.rate === 'max' ? 0 : ((plan.messages - 1) / plan.rate) * 1000;
  const limit = setTimeout(done, sendingMs + plan.graceMs);
  try {
    await finished;
  } finally {
    clearTimeout(limit);
    clearTimeout(pacer);
    signal?.removeEventListener('abort', onAbort);
    sender.close();
    await link.close();
    await Promise.all([new Promise<void>((r) => rx.close(() => r())), new Promise<void>((r) => tx.close(() => r()))]);
  }
  signal?.throwIfAborted();
  return {
    protocol: plan.protocol,
    config,
    messageBytes: plan.sizeBytes,
    sentAtMs,
    arrivals,
    sender: { ...sender.counters },
    receiver: { ...receiver.counters },
    rtoFinalMs: sender.rtoMs,
    srttMs: sender.srttMs,
    link: { ...link.counters, bytes },
    ladder: { link: link.records, events, startMs },
  };
}
