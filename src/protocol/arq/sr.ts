/**
 * Selective Repeat.
 *
 * Sender: up to N packets in flight, each with its own timer; each ACK acknowledges one packet;
 * the window's base moves past every acknowledged packet at its start; a timer that expires
 * resends only its own packet, and backs off that packet's timer alone (RTO · 2^retries: with
 * one shared doubling, k losses in a window would multiply the RTO by 2^k).
 *
 * Receiver: takes any packet inside its window [base, base + N - 1], ACKs it and buffers it;
 * delivers from the base as long as the buffer holds the next one. A packet from the window
 * before [base - N, base - 1] is a duplicate (its ACK was lost): ACKed again and discarded.
 *
 * Those two ranges must not share a sequence number, or a retransmission of an old packet reads
 * as a new one: hence window <= 2^bits / 2 (`resolveArqConfig` enforces it unless `unsafeWindow`).
 */
import type { Timer } from '../../util/clock.js';
import { decodeArq, encodeArq } from './header.js';
import {
  type ArqConfig,
  type ArqReceiver,
  type ArqReceiverHooks,
  type ArqSenderHooks,
  type ArqTimers,
  mod,
  newReceiverCounters,
  type ResolvedArqConfig,
  resolveArqConfig,
} from './options.js';
import { WindowSender } from './window-sender.js';

/** One packet in flight, with its own timer. */
interface SrSlot {
  sender: SrSender;
  index: number;
  datagram: Uint8Array;
  sentAt: number;
  retransmitted: boolean;
  /** Times this packet has been sent again: its own back-off. */
  retries: number;
  acked: boolean;
  timer: Timer | undefined;
}

export class SrSender extends WindowSender<SrSlot> {
  constructor(config: ArqConfig, timers: ArqTimers, hooks: ArqSenderHooks) {
    super(config, timers, hooks);
    if (this.config.protocol !== 'sr') throw new RangeError('SrSender speaks sr; use GbnSender for sw and gbn');
  }

  onDatagram(datagram: Uint8Array): boolean {
    const p = decodeArq(datagram);
    if (p === undefined || p.type !== 'ack' || p.protocol !== 'sr' || p.seqBits !== this.config.seqBits) return false;
    if (this.closed) return true;
    const now = this.timers.now();
    const d = mod(p.number - this.base, this.space);
    const slot = d < this.next - this.base ? this.slots[(this.base + d) % this.config.window] : undefined;
    if (slot === undefined || slot.acked) {
      this.counters.duplicateAcks++;
      this.hooks.onEvent?.({ kind: 'ack-received', at: now, ack: p.number, duplicate: true });
      return true;
    }
    this.hooks.onEvent?.({ kind: 'ack-received', at: now, ack: p.number, duplicate: false });
    slot.acked = true;
    this.counters.acked++;
    this.timers.clear(slot.timer);
    slot.timer = undefined;
    if (!slot.retransmitted) this.#sample(now - slot.sentAt); // Karn's rule
    while (this.base < this.next && (this.slots[this.base % this.config.window] as SrSlot).acked) {
      this.slots[this.base % this.config.window] = undefined;
      this.base++;
    }
    this.pump();
    if (this.refused && (this.queue.length < this.config.maxQueue || this.inFlight < this.config.window)) {
      this.refused = false;
      this.hooks.onWritable?.();
    }
    if (this.idle) this.hooks.onIdle?.();
    return true;
  }

  close(): void {
    this.closed = true;
    for (const slot of this.slots) if (slot !== undefined) this.timers.clear(slot.timer);
    this.queue.clear();
  }

  #sample(rtt: number): void {
    this.rto.sample(rtt);
    this.counters.rttSamples++;
    if (this.counters.minRttMs === undefined || rtt < this.counters.minRttMs) this.counters.minRttMs = rtt;
  }

  protected pump(): void {
    while (this.next - this.base < this.config.window && this.queue.length > 0) {
      const payload = this.queue.shift() as Uint8Array;
      const index = this.next++;
      const seq = index % this.space;
      const slot: SrSlot = {
        sender: this,
        index,
        datagram: encodeArq('data', 'sr', this.config.seqBits, seq, payload),
        sentAt: this.timers.now(),
        retransmitted: false,
        retries: 0,
        acked: false,
        timer: undefined,
      };
      this.slots[index % this.config.window] = slot;
      this.counters.sent++;
      this.hooks.onEvent?.({ kind: 'data-sent', at: slot.sentAt, index, seq, retransmission: false });
      slot.timer = this.timers.set(this.rto.rtoMs, onSrTimeout, slot);
      this.hooks.transmit(slot.datagram);
    }
  }

  /** (A packet's timer's) its ACK did not come: back off, send that one packet again. */
  onTimer(slot: SrSlot): void {
    slot.timer = undefined;
    if (this.closed || slot.acked || this.slots[slot.index % this.config.window] !== slot) return;
    const now = this.timers.now();
    const seq = slot.index % this.space;
    this.counters.timeouts++;
    this.hooks.onEvent?.({ kind: 'timeout', at: now, index: slot.index, seq, rtoMs: this.rto.backedOffMs(slot.retries) });
    // RFC 6298 5.5's back-off, per packet: RTO · 2^retries (the shared RTO is left to the estimate).
    slot.retries++;
    slot.retransmitted = true;
    this.counters.retransmissions++;
    slot.timer = this.timers.set(this.rto.backedOffMs(slot.retries), onSrTimeout, slot);
    this.hooks.onEvent?.({ kind: 'data-sent', at: now, index: slot.index, seq, retransmission: true });
    this.hooks.transmit(slot.datagram);
  }
}

function onSrTimeout(slot: SrSlot): void {
  slot.sender.onTimer(slot);
}

export class SrReceiver implements ArqReceiver {
  readonly config: ResolvedArqConfig;
  readonly counters = newReceiverCounters();
  readonly #timers: ArqTimers;
  readonly #hooks: ArqReceiverHooks;
  readonly #space: number;
  /** Out-of-order payloads: packet i at i mod N. */
  readonly #buffer: (Uint8Array | undefined)[];
  #base = 0;

  constructor(config: ArqConfig, timers: ArqTimers, hooks: ArqReceiverHooks) {
    this.config = resolveArqConfig(config);
    if (this.config.protocol !== 'sr') throw new RangeError('SrReceiver speaks sr; use GbnReceiver for sw and gbn');
    this.#timers = timers;
    this.#hooks = hooks;
    this.#space = 2 ** this.config.seqBits;
    this.#buffer = new Array<Uint8Array | undefined>(this.config.window);
  }

  onDatagram(datagram: Uint8Array): boolean {
    const p = decodeArq(datagram);
    if (p === undefined || p.type !== 'data' || p.protocol !== 'sr' || p.seqBits !== this.config.seqBits) return false;
    const at = this.#timers.now();
    const n = this.config.window;
    const d = mod(p.number - this.#base, this.#space);
    if (d < n) {
      const at_ = (this.#base + d) % n;
      if (this.#buffer[at_] !== undefined) {
        this.counters.duplicatesDiscarded++;
        this.#hooks.onEvent?.({ kind: 'data-received', at, seq: p.number, outcome: 'duplicate' });
      } else {
        this.#buffer[at_] = p.payload;
        if (d > 0) {
          this.counters.buffered++;
          this.#hooks.onEvent?.({ kind: 'data-received', at, seq: p.number, outcome: 'buffered' });
        } else {
          this.#hooks.onEvent?.({ kind: 'data-received', at, seq: p.number, outcome: 'delivered' });
        }
      }
      this.#ack(p.number, at);
      for (let payload = this.#buffer[this.#base % n]; payload !== undefined; payload = this.#buffer[this.#base % n]) {
        this.#buffer[this.#base % n] = undefined;
        this.#base++;
        this.counters.delivered++;
        this.#hooks.deliver(payload);
      }
    } else if (d >= this.#space - n) {
      // From the previous window: its ACK was lost. ACK it again, or the sender never moves on.
      this.counters.duplicatesDiscarded++;
      this.#hooks.onEvent?.({ kind: 'data-received', at, seq: p.number, outcome: 'duplicate' });
      this.#ack(p.number, at);
    }
    // Anything else cannot come from a sender that keeps the rules: ignored.
    return true;
  }

  #ack(seq: number, at: number): void {
    this.counters.acksSent++;
    this.#hooks.onEvent?.({ kind: 'ack-sent', at, ack: seq });
    this.#hooks.transmit(encodeArq('ack', 'sr', this.config.seqBits, seq));
  }
}
