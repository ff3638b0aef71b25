/**
 * One ARQ protocol's run in the lab, relay mode: an ARQ sender and receiver (arq-ends.ts), each
 * on its own UDP socket on loopback, with the impaired user-space link (arq-link.ts) between
 * them. Both ends run in this process on one clock, so latencies are exact. Kernel mode runs the
 * same two ends in network namespaces instead (arq-kernel.ts).
 */
import type { ArqReceiverCounters, ArqSenderCounters, ResolvedArqConfig } from '../protocol/arq/index.js';
import { type ArqProtocol, resolveArqConfig } from '../protocol/arq/index.js';
import { arqPayload, openArqReceiver, type ReceiverSide, runArqSender, type SenderSide, type Stamp } from './arq-ends.js';
import { type ArqDirection, type ArqLink, type DropScript, type LinkRecord, startArqLink } from './arq-link.js';
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

/** What each end stamped, for the packet ladder (ladder.ts). One clock for both ends. */
export interface ArqTrace {
  startMs: number;
  /** DATA the sender sent; `dropped` ones were lost on purpose (`--drop`). */
  sent: Stamp[];
  /** DATA the receiver got (every copy). */
  received: Stamp[];
  /** ACKs the receiver sent; `dropped` ones were lost on purpose. */
  acksSent: Stamp[];
  /** ACKs the sender got. */
  acksReceived: Stamp[];
  timeouts: Stamp[];
  /** Relay mode: the link's record of every datagram's fate (the ladder's truth when present). */
  link?: LinkRecord[];
  /** Kernel mode: the longest a datagram is taken to stay on the link, to pair sends with arrivals. */
  maxTransitMs: number;
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
  trace: ArqTrace;
}

const HOST = '127.0.0.1';

export { arqPayload };

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

/** The record of a run, from what its two ends saw and what the link counted. */
export function arqRecordOf(plan: ArqPlan, config: ResolvedArqConfig, tx: SenderSide, rx: ReceiverSide, link: ArqRecord['link']): ArqRecord {
  return {
    protocol: plan.protocol,
    config,
    messageBytes: plan.sizeBytes,
    sentAtMs: tx.sentAtMs,
    arrivals: rx.arrivals,
    sender: tx.counters,
    receiver: rx.counters,
    rtoFinalMs: tx.rtoMs,
    srttMs: tx.srttMs,
    link,
    trace: {
      startMs: tx.startMs,
      sent: tx.sent,
      received: rx.received,
      acksSent: rx.acks,
      acksReceived: tx.acks,
      timeouts: tx.timeouts,
      maxTransitMs: Math.max(5, 1.5 * (tx.counters.minRttMs ?? 0), 2 * (plan.impairment.delayMs + plan.impairment.jitterMs)),
    },
  };
}

/** Runs one protocol end to end over the user-space link (relay mode); resolves when everything is acknowledged or the grace time is over. */
export async function runArq(plan: ArqPlan, signal?: AbortSignal): Promise<ArqRecord> {
  const config = arqConfigOf(plan.protocol, plan.settings);
  const now = (): number => performance.now();
  const receiver = await openArqReceiver({ config, host: HOST, now });
  let link: ArqLink | undefined;
  try {
    link = await startArqLink({ receiverPort: receiver.port, impairment: plan.impairment, direction: plan.settings.direction, drops: plan.settings.drops, seed: plan.seed });
    const tx = await runArqSender(
      { config, protocol: plan.protocol, runId: plan.runId, messages: plan.messages, sizeBytes: plan.sizeBytes, rate: plan.rate, graceMs: plan.graceMs, host: HOST, target: { host: HOST, port: link.port }, now },
      signal,
    );
    signal?.throwIfAborted();
    const rx = receiver.side();
    // The link dropped the scripted ones (counted in the order they reached it, which on loopback is the order sent).
    for (const k of plan.settings.drops.data) if (tx.sent[k - 1] !== undefined) (tx.sent[k - 1] as Stamp).dropped = true;
    for (const k of plan.settings.drops.ack) if (rx.acks[k - 1] !== undefined) (rx.acks[k - 1] as Stamp).dropped = true;
    const record = arqRecordOf(plan, config, tx, rx, { ...link.counters, bytes: tx.bytes + rx.bytes });
    // The link records the first 2000 datagrams; the ends stamp up to MAX_STAMPS: the ladder uses the first seconds only.
    record.trace.link = link.records;
    return record;
  } finally {
    await link?.close();
    await receiver.close();
  }
}
