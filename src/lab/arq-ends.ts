/**
 * The two ends of one ARQ run, each on its own UDP socket: the receiver (what the protocol
 * delivers to the application) and the sender (the lab's numbered, timestamped messages, at
 * `--rate` or as fast as the window allows). In relay mode both run in this process with the
 * user-space link between them (arq-run.ts); in kernel mode each runs in a worker inside its own
 * network namespace (arq-kernel.ts), on either side of the impaired veth link.
 *
 * Each end stamps what it put on the wire and what came off it (bounded), on the clock it is
 * given: the packet ladder is drawn from those stamps (ladder.ts). In kernel mode the two ends
 * are two processes, so they stamp with the wall clock's milliseconds (`sharedClock`), which
 * both read from the same kernel.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { type ArqReceiverCounters, type ArqSenderCounters, createArqReceiver, createArqSender, decodeArq, type ResolvedArqConfig } from '../protocol/arq/index.js';
import { type Clock, nodeTimers } from '../util/clock.js';
import type { Arrival } from './stats.js';

/** One datagram put on or taken off the wire by an end. */
export interface Stamp {
  atMs: number;
  /** Sequence number (DATA) or ACK number. */
  number: number;
  /** DATA sent again after a timeout. */
  retransmission?: boolean;
  /** Not put on the wire: dropped on purpose by `--drop` at this end (kernel mode). */
  dropped?: boolean;
}

/** Stamps kept per list: enough for the ladder's first seconds and then some. */
export const MAX_STAMPS = 4000;

/** Milliseconds two processes on one machine agree on: the wall clock, at performance.now()'s resolution. */
export const sharedClock: Clock = () => performance.timeOrigin + performance.now();

/** What the receiving end saw. */
export interface ReceiverSide {
  arrivals: Arrival[];
  counters: ArqReceiverCounters;
  /** DATA datagrams as they arrived (any copy). */
  received: Stamp[];
  /** ACKs it sent (or dropped on purpose). */
  acks: Stamp[];
  datagramsIn: number;
  acksOut: number;
  /** ACKs not put on the wire (`--drop`, kernel mode). */
  acksDropped: number;
  bytes: number;
}

export interface ReceiverEnd {
  readonly port: number;
  /** What it saw so far. */
  side(): ReceiverSide;
  close(): Promise<void>;
}

/** What the sending end saw. */
export interface SenderSide {
  startMs: number;
  sentAtMs: number[];
  counters: ArqSenderCounters;
  rtoMs: number;
  srttMs: number | undefined;
  /** DATA it sent (or dropped on purpose), retransmissions marked. */
  sent: Stamp[];
  /** ACKs as they arrived. */
  acks: Stamp[];
  timeouts: Stamp[];
  datagramsOut: number;
  /** DATA not put on the wire (`--drop`, kernel mode). */
  dropped: number;
  acksIn: number;
  bytes: number;
}

export interface ReceiverEndOptions {
  config: ResolvedArqConfig;
  host: string;
  now: Clock;
  /** ACKs to drop before the wire (k-th from 1): kernel mode's `--drop ack:K`. */
  dropAcks?: ReadonlySet<number>;
}

const PAYLOAD_SEQ = /^cmp [a-z]+ [0-9a-z]+ (\d+) /;

function push(list: Stamp[], stamp: Stamp): void {
  if (list.length < MAX_STAMPS) list.push(stamp);
}

/** Opens the receiving end on `host`, port 0. It answers whoever sends it DATA. */
export async function openArqReceiver(opts: ReceiverEndOptions): Promise<ReceiverEnd> {
  const { now } = opts;
  const rx = dgram.createSocket('udp4');
  rx.on('error', () => {});
  rx.bind(0, opts.host);
  await once(rx, 'listening');
  const side: ReceiverSide = { arrivals: [], counters: undefined as unknown as ArqReceiverCounters, received: [], acks: [], datagramsIn: 0, acksOut: 0, acksDropped: 0, bytes: 0 };
  let peer: { address: string; port: number } | undefined;
  const receiver = createArqReceiver(opts.config, nodeTimers(now), {
    transmit: (ack) => {
      const k = ++side.acksOut;
      const dropped = opts.dropAcks?.has(k) === true;
      push(side.acks, { atMs: now(), number: decodeArq(ack)?.number ?? -1, ...(dropped ? { dropped } : {}) });
      if (dropped) side.acksDropped++;
      if (dropped || peer === undefined) return;
      side.bytes += ack.length;
      rx.send(ack, peer.port, peer.address);
    },
    deliver: (payload) => {
      const m = PAYLOAD_SEQ.exec(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('latin1'));
      if (m !== null) side.arrivals.push({ seq: Number(m[1]), receiver: 0, atMs: now() });
    },
  });
  side.counters = receiver.counters as ArqReceiverCounters;
  rx.on('message', (msg, rinfo) => {
    peer = { address: rinfo.address, port: rinfo.port };
    side.datagramsIn++;
    push(side.received, { atMs: now(), number: decodeArq(msg)?.number ?? -1 });
    receiver.onDatagram(msg);
  });
  return {
    port: rx.address().port,
    side: () => ({ ...side, counters: { ...receiver.counters } }),
    close: () => new Promise<void>((r) => rx.close(() => r())),
  };
}

export interface SenderRun {
  config: ResolvedArqConfig;
  protocol: string;
  runId: string;
  messages: number;
  sizeBytes: number;
  rate: number | 'max';
  /** After the last message is handed over, how long to wait for the last ACK. */
  graceMs: number;
  host: string;
  target: { host: string; port: number };
  now: Clock;
  /** DATA datagrams to drop before the wire (k-th from 1): kernel mode's `--drop data:K`. */
  dropData?: ReadonlySet<number>;
}

/** The lab's message for ARQ (the same layout as tcp and udp's). */
export function arqPayload(protocol: string, runId: string, seq: number, sentMs: number, sizeBytes: number): Buffer {
  const header = `cmp ${protocol} ${runId} ${seq} ${sentMs.toFixed(3)} `;
  return Buffer.from(sizeBytes > header.length ? header + 'x'.repeat(sizeBytes - header.length) : header.trimEnd(), 'utf8');
}

/** Sends every message; resolves when everything is acknowledged or the grace time is over. */
export async function runArqSender(run: SenderRun, signal?: AbortSignal): Promise<SenderSide> {
  const { now } = run;
  const tx = dgram.createSocket('udp4');
  tx.on('error', () => {});
  tx.bind(0, run.host);
  await once(tx, 'listening');
  const side: SenderSide = {
    startMs: now(),
    sentAtMs: [],
    counters: undefined as unknown as ArqSenderCounters,
    rtoMs: 0,
    srttMs: undefined,
    sent: [],
    acks: [],
    timeouts: [],
    datagramsOut: 0,
    dropped: 0,
    acksIn: 0,
    bytes: 0,
  };
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  let next = 1;
  // The machines report each data packet ('data-sent') just before they transmit it.
  let retransmitting = false;
  const sender = createArqSender(run.config, nodeTimers(now), {
    transmit: (datagram) => {
      const k = ++side.datagramsOut;
      const dropped = run.dropData?.has(k) === true;
      push(side.sent, { atMs: now(), number: decodeArq(datagram)?.number ?? -1, ...(retransmitting ? { retransmission: true } : {}), ...(dropped ? { dropped } : {}) });
      retransmitting = false;
      if (dropped) {
        side.dropped++;
        return;
      }
      side.bytes += datagram.length;
      tx.send(datagram, run.target.port, run.target.host);
    },
    onWritable: () => feed(),
    onIdle: () => {
      if (next > run.messages) done();
    },
    onEvent: (e) => {
      if (e.kind === 'data-sent') retransmitting = e.retransmission;
      else if (e.kind === 'timeout') push(side.timeouts, { atMs: e.at, number: e.seq });
    },
  });
  tx.on('message', (msg) => {
    side.acksIn++;
    push(side.acks, { atMs: now(), number: decodeArq(msg)?.number ?? -1 });
    sender.onDatagram(msg);
  });

  // The messages due so far (paced) or all (max), handed over while the window has room.
  let due = run.rate === 'max' ? run.messages : 0;
  const feed = (): void => {
    // maxQueue 0: send() takes a message only when the window has room, so its timestamp is when it
    // went out; a refusal means "window full", and onWritable calls feed again.
    while (next <= due) {
      const sentMs = now();
      if (!sender.send(arqPayload(run.protocol, run.runId, next, sentMs, run.sizeBytes))) break;
      side.sentAtMs.push(sentMs);
      next++;
    }
    if (next > run.messages && sender.idle) done();
  };
  let pacer: NodeJS.Timeout | undefined;
  if (run.rate === 'max') feed();
  else {
    const intervalMs = 1000 / run.rate;
    const tick = (): void => {
      due = Math.min(run.messages, Math.floor((now() - side.startMs) / intervalMs) + 1);
      feed();
      if (due < run.messages) pacer = setTimeout(tick, Math.max(0, side.startMs + due * intervalMs - now()));
    };
    tick();
  }

  const onAbort = (): void => done();
  signal?.addEventListener('abort', onAbort, { once: true });
  // Bounded: sending takes about messages / rate; then at most graceMs for the last ACKs (all of them with --rate max).
  const sendingMs = run.rate === 'max' ? 0 : ((run.messages - 1) / run.rate) * 1000;
  const limit = setTimeout(done, sendingMs + run.graceMs);
  try {
    await finished;
  } finally {
    clearTimeout(limit);
    clearTimeout(pacer);
    signal?.removeEventListener('abort', onAbort);
    sender.close();
    await new Promise<void>((r) => tx.close(() => r()));
  }
  return { ...side, counters: { ...sender.counters }, rtoMs: sender.rtoMs, srttMs: sender.srttMs };
}
