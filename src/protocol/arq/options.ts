/**
 * What the three ARQ state machines share: their configuration (and the rules that make a
 * window safe), their counters, the events they report, and the hooks they call.
 */
import type { Timers } from '../../util/clock.js';
import { type ArqProtocol, MAX_SEQ_BITS, MIN_SEQ_BITS } from './header.js';
import type { RtoOptions } from './rto.js';

export interface ArqConfig {
  protocol: ArqProtocol;
  /** Packets in flight at once. Stop-and-wait: always 1. Default: 1 (sw), 8 (gbn, sr). */
  window?: number;
  /** Bits of the sequence space. Default: 1 (sw: the alternating bit), 8 (gbn, sr). */
  seqBits?: number;
  /** Accept a window the sequence space cannot tell apart (the lab's demonstration of why the rule exists). */
  unsafeWindow?: boolean;
  rto?: RtoOptions;
  /** Payloads a sender holds beyond its window before `send` refuses more. Default 1024. */
  maxQueue?: number;
}

export interface ResolvedArqConfig {
  protocol: ArqProtocol;
  window: number;
  seqBits: number;
  unsafeWindow: boolean;
  rto: RtoOptions;
  maxQueue: number;
}

/** A window the sequence space cannot support, or another option out of bounds. */
export class ArqConfigError extends RangeError {
  override readonly name = 'ArqConfigError';
}

/** The largest safe window: sw 1; gbn 2^bits - 1; sr 2^(bits - 1). */
export function maxSafeWindow(protocol: ArqProtocol, seqBits: number): number {
  if (protocol === 'sw') return 1;
  return protocol === 'gbn' ? 2 ** seqBits - 1 : 2 ** (seqBits - 1);
}

/** The configuration with its defaults, or an ArqConfigError that says which rule it breaks and why. */
export function resolveArqConfig(config: ArqConfig): ResolvedArqConfig {
  const { protocol } = config;
  const seqBits = config.seqBits ?? (protocol === 'sw' ? 1 : 8);
  const window = config.window ?? (protocol === 'sw' ? 1 : 8);
  const maxQueue = config.maxQueue ?? 1024;
  const unsafeWindow = config.unsafeWindow ?? false;
  if (!Number.isInteger(seqBits) || seqBits < MIN_SEQ_BITS || seqBits > MAX_SEQ_BITS) {
    throw new ArqConfigError(`the sequence space must have ${MIN_SEQ_BITS} to ${MAX_SEQ_BITS} bits, not ${seqBits}`);
  }
  if (!Number.isInteger(window) || window < 1) throw new ArqConfigError(`the window must be a whole number >= 1, not ${window}`);
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new ArqConfigError(`maxQueue must be a whole number >= 0, not ${maxQueue}`);
  const space = 2 ** seqBits;
  if (protocol === 'sw' && window !== 1) throw new ArqConfigError(`stop-and-wait sends one packet at a time: its window is 1, not ${window} (use gbn or sr for a larger one)`);
  if (window > space) throw new ArqConfigError(`a window of ${window} does not fit a ${seqBits}-bit sequence space (${space} numbers)`);
  const safe = maxSafeWindow(protocol, seqBits);
  if (window > safe && !unsafeWindow) {
    throw new ArqConfigError(
      protocol === 'sr'
        ? `Selective Repeat needs window <= half the sequence space: with ${seqBits} bits (${space} numbers) the window is at most ${safe}, not ${window}. ` +
            `With a larger window, when every ACK of a window is lost the receiver has already moved its window on and takes the sender's ` +
            `retransmission of an old packet for a new one (the same number, ${space} packets later): a duplicate delivered as new data`
        : `Go-Back-N needs window < the sequence space: with ${seqBits} bits the window is at most ${safe}, not ${window}. ` +
            `With window = ${space}, when every ACK of a window is lost the receiver cannot tell the retransmitted window from the next one`,
    );
  }
  return { protocol, window, seqBits, unsafeWindow, rto: config.rto ?? {}, maxQueue };
}

/** What a sender counts. */
export interface ArqSenderCounters {
  /** Payloads handed to `send` and accepted. */
  accepted: number;
  /** Data packets sent for the first time. */
  sent: number;
  /** Data packets sent again (after a timeout). */
  retransmissions: number;
  /** Timer expiries. */
  timeouts: number;
  /** ACKs that acknowledged nothing new. */
  duplicateAcks: number;
  /** Packets acknowledged (each once). */
  acked: number;
  /** RTT samples taken (Karn's rule: none from retransmitted packets). */
  rttSamples: number;
  /** Smallest RTT sample, ms (undefined before any). */
  minRttMs: number | undefined;
}

/** What a receiver counts. */
export interface ArqReceiverCounters {
  /** Payloads handed to the application (each exactly once, in order). */
  delivered: number;
  /** Data packets that were already delivered or buffered, discarded (ACKed again). */
  duplicatesDiscarded: number;
  /** Go-Back-N: packets ahead of the expected one, discarded. Selective Repeat: buffered instead. */
  outOfOrderDiscarded: number;
  /** Packets buffered out of order (Selective Repeat). */
  buffered: number;
  acksSent: number;
}

/**
 * What a machine did, for the ladder diagram and the tests. `index` is the packet's position in
 * the stream (0, 1, 2, ... without wrapping); `seq` is the number on the wire (index mod 2^bits).
 */
export type ArqEvent =
  | { kind: 'data-sent'; at: number; index: number; seq: number; retransmission: boolean }
  | { kind: 'ack-received'; at: number; ack: number; duplicate: boolean }
  | { kind: 'timeout'; at: number; index: number; seq: number; rtoMs: number }
  | { kind: 'data-received'; at: number; seq: number; outcome: 'delivered' | 'buffered' | 'duplicate' | 'out-of-order' }
  | { kind: 'ack-sent'; at: number; ack: number };

export interface ArqSenderHooks {
  /** Put this datagram on the wire (the sender keeps its own copy for retransmission). */
  transmit(datagram: Uint8Array): void;
  /** The queue was full (`send` returned false) and has room again. */
  onWritable?(): void;
  /** Everything accepted so far has been acknowledged. */
  onIdle?(): void;
  onEvent?(event: ArqEvent): void;
}

export interface ArqReceiverHooks {
  /** Put this ACK on the wire. */
  transmit(datagram: Uint8Array): void;
  /** The next payload of the stream, in order, exactly once. */
  deliver(payload: Uint8Array): void;
  onEvent?(event: ArqEvent): void;
}

/** A sender of any of the three protocols. */
export interface ArqSender {
  readonly config: ResolvedArqConfig;
  readonly counters: Readonly<ArqSenderCounters>;
  /** Queues `payload`; false (not taken) when the window and the queue are full: wait for `onWritable`. */
  send(payload: Uint8Array): boolean;
  /** An incoming datagram. True when it was an ACK of this exchange (consumed), false otherwise. */
  onDatagram(datagram: Uint8Array): boolean;
  /** Packets sent and not yet acknowledged. */
  readonly inFlight: number;
  /** Payloads waiting for room in the window. */
  readonly queued: number;
  /** Nothing in flight and nothing queued. */
  readonly idle: boolean;
  readonly rtoMs: number;
  readonly srttMs: number | undefined;
  /** Stops the timers; the sender sends nothing more. */
  close(): void;
}

/** A receiver of any of the three protocols. */
export interface ArqReceiver {
  readonly config: ResolvedArqConfig;
  readonly counters: Readonly<ArqReceiverCounters>;
  /** An incoming datagram. True when it was DATA of this exchange (consumed), false otherwise. */
  onDatagram(datagram: Uint8Array): boolean;
}

export function newSenderCounters(): ArqSenderCounters {
  return { accepted: 0, sent: 0, retransmissions: 0, timeouts: 0, duplicateAcks: 0, acked: 0, rttSamples: 0, minRttMs: undefined };
}

export function newReceiverCounters(): ArqReceiverCounters {
  return { delivered: 0, duplicatesDiscarded: 0, outOfOrderDiscarded: 0, buffered: 0, acksSent: 0 };
}

/** `x` mod `m`, in 0 .. m - 1 also for negative x. */
export function mod(x: number, m: number): number {
  return ((x % m) + m) % m;
}

/** A bounded FIFO of payloads waiting for the window (an array with a moving head: no shift()). */
export class PayloadQueue {
  #items: (Uint8Array | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(p: Uint8Array): void {
    this.#items.push(p);
  }

  shift(): Uint8Array | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const p = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return p;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

/** Where the machines get the time and set their timers. */
export type ArqTimers = Timers;
