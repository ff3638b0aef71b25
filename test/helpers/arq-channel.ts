/**
 * A scripted channel between an ARQ sender and receiver, on a fake clock: each datagram, in each
 * direction, gets a fate from the test (dropped, delayed, duplicated), so the textbook's
 * scenarios (lost packet, lost ACK, premature timeout) and random fault patterns replay exactly.
 *
 * Datagrams are counted per direction from 1 in the order they are sent ("data 3" is the third
 * data datagram put on the wire, retransmissions included; "ack 2" the receiver's second ACK), as
 * `charla compare --drop data:3,ack:2` counts them.
 */
import {
  type ArqConfig,
  type ArqEvent,
  type ArqReceiver,
  type ArqSender,
  createArqReceiver,
  createArqSender,
} from '../../src/protocol/arq/index.js';
import { FakeClock } from './fake-clock.js';

/** Delays (ms) of the copies of one datagram that arrive: [] lost, [d] one copy, [d1, d2] duplicated. */
export type Fate = number[];
export type Direction = 'data' | 'ack';

export interface ChannelOptions {
  /** Fate of the k-th datagram (from 1) in a direction. Default: one copy after `delayMs`. */
  fate?: (direction: Direction, k: number) => Fate;
  /** One-way delay of a datagram whose fate is not scripted. */
  delayMs?: number;
  /** First-in first-out per direction: a copy never overtakes one sent before it. */
  fifo?: boolean;
  /** Stop after this many timer callbacks (a protocol that never ends fails, not hangs). */
  maxSteps?: number;
}

export class ArqChannel {
  readonly clock = new FakeClock(0);
  readonly sender: ArqSender;
  readonly receiver: ArqReceiver;
  readonly delivered: string[] = [];
  readonly events: Array<ArqEvent & { side: 'sender' | 'receiver' }> = [];
  /** Datagrams put on the wire per direction, and copies that arrived. */
  readonly sent = { data: 0, ack: 0 };
  readonly arrived = { data: 0, ack: 0 };
  readonly #opts: Required<Pick<ChannelOptions, 'delayMs' | 'fifo' | 'maxSteps'>> & ChannelOptions;
  readonly #lastArrival = { data: 0, ack: 0 };

  constructor(config: ArqConfig, opts: ChannelOptions = {}) {
    this.#opts = { delayMs: 10, fifo: false, maxSteps: 200_000, ...opts };
    this.sender = createArqSender(config, this.clock, {
      transmit: (d) => this.#carry('data', d),
      onEvent: (e) => this.events.push({ ...e, side: 'sender' }),
    });
    this.receiver = createArqReceiver(config, this.clock, {
      transmit: (d) => this.#carry('ack', d),
      deliver: (p) => this.delivered.push(Buffer.from(p).toString('utf8')),
      onEvent: (e) => this.events.push({ ...e, side: 'receiver' }),
    });
  }

  /** Sends every message (all queued at once, so the window is the limit), then runs the clock until nothing is left to happen. */
  run(messages: readonly string[]): this {
    for (const m of messages) {
      if (!this.sender.send(Buffer.from(m, 'utf8'))) throw new Error(`the sender refused "${m}" (queue full)`);
    }
    return this.settle();
  }

  /** Runs the clock until no timer and no datagram is pending. */
  settle(): this {
    for (let steps = 0; this.clock.runNext(); steps++) {
      if (steps >= this.#opts.maxSteps) throw new Error(`still running after ${steps} steps: the protocol does not finish`);
    }
    return this;
  }

  #carry(direction: Direction, datagram: Uint8Array): void {
    const k = ++this.sent[direction];
    const fate = this.#opts.fate?.(direction, k) ?? [this.#opts.delayMs];
    const copy = Uint8Array.from(datagram); // the wire copies: the machines may not share buffers with it
    for (const delay of fate) {
      let arriveAt = this.clock.now() + Math.max(1, delay);
      if (this.#opts.fifo) arriveAt = Math.max(arriveAt, this.#lastArrival[direction]);
      this.#lastArrival[direction] = arriveAt;
      this.clock.set(arriveAt - this.clock.now(), (d: Uint8Array) => {
        this.arrived[direction]++;
        if (direction === 'data') this.receiver.onDatagram(d);
        else this.sender.onDatagram(d);
      }, copy);
    }
  }
}

/** `count` distinct messages "m0", "m1", ... */
export function messages(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `m${i}`);
}

/** A fate function that drops the listed datagrams ("data" 2, "ack" 1...) and delays the rest by `delayMs`. */
export function dropping(drops: { data?: number[]; ack?: number[] }, delayMs = 10): (direction: Direction, k: number) => Fate {
  return (direction, k) => ((drops[direction] ?? []).includes(k) ? [] : [delayMs]);
}
