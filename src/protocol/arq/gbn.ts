/**
 * Go-Back-N, and stop-and-wait as its window-1 case.
 *
 * Sender: up to N packets in flight; one timer, for the oldest unacknowledged packet; ACKs are
 * cumulative ("ACK n": every packet up to n arrived in order), so an ACK moves the window's base
 * past n; when the timer expires, every packet in flight is sent again (the whole window).
 *
 * The timer backs off (RTO · 2^k after k timeouts of the same base packet) until an ACK moves
 * the base: progress ends the back-off, as in Linux, even when Karn's rule allows no RTT sample.
 * Keeping the doubled RTO until a clean sample (a strict reading of RFC 6298 5.7) starves
 * Go-Back-N under loss: after a timeout every packet in flight counts as retransmitted, so the
 * next clean sample needs a whole window without a loss, and the RTO climbs to its maximum.
 *
 * Receiver: takes only the packet it expects next, delivers it, and ACKs the last packet it has
 * in order. Anything else (a duplicate, or a packet after a gap) is discarded and answered with
 * that same ACK again.
 *
 * Stop-and-wait (rdt 3.0 in Kurose & Ross) is exactly this with N = 1 and a 1-bit sequence
 * number, the alternating bit: the receiver's "last in order" ACK is the ACK of the packet just
 * received, a duplicate is re-ACKed, and the sender waits for the ACK of its one packet or the
 * timeout. It is built from these classes with `protocol: 'sw'`, which fixes the window at 1.
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

/** One packet in flight. */
interface Slot {
  datagram: Uint8Array;
  sentAt: number;
  retransmitted: boolean;
}

export class GbnSender extends WindowSender<Slot> {
  #timer: Timer | undefined;
  /** Timeouts of the current base packet: the timer's back-off (RTO · 2^retries). */
  #baseRetries = 0;

  constructor(config: ArqConfig, timers: ArqTimers, hooks: ArqSenderHooks) {
    super(config, timers, hooks);
    if (this.config.protocol === 'sr') throw new RangeError('GbnSender speaks sw or gbn; use SrSender for Selective Repeat');
  }

  onDatagram(datagram: Uint8Array): boolean {
    const p = decodeArq(datagram);
    if (p === undefined || p.type !== 'ack' || p.protocol !== this.config.protocol || p.seqBits !== this.config.seqBits) return false;
    if (this.closed) return true;
    const now = this.timers.now();
    // The ACK names packet k in [base - 1, next - 1] (at most N + 1 <= 2^bits numbers: one k fits).
    const k = this.base - 1 + mod(p.number - (this.base - 1), this.space);
    if (k < this.base || k >= this.next) {
      this.counters.duplicateAcks++;
      this.hooks.onEvent?.({ kind: 'ack-received', at: now, ack: p.number, duplicate: true });
      return true;
    }
    this.hooks.onEvent?.({ kind: 'ack-received', at: now, ack: p.number, duplicate: false });
    const acked = this.slots[k % this.config.window] as Slot;
    if (!acked.retransmitted) this.#sample(now - acked.sentAt); // Karn's rule
    for (let i = this.base; i <= k; i++) this.slots[i % this.config.window] = undefined;
    this.counters.acked += k + 1 - this.base;
    this.base = k + 1;
    this.#baseRetries = 0; // progress ends the back-off (as Linux does), sample or not
    this.timers.clear(this.#timer);
    this.#timer = undefined;
    this.pump();
    if (this.base < this.next && this.#timer === undefined) this.#arm(); // RFC 6298 5.3: restart on new ACK
    this.#afterProgress();
    return true;
  }

  close(): void {
    this.closed = true;
    this.timers.clear(this.#timer);
    this.#timer = undefined;
    this.queue.clear();
  }

  #sample(rtt: number): void {
    this.rto.sample(rtt);
    this.counters.rttSamples++;
    if (this.counters.minRttMs === undefined || rtt < this.counters.minRttMs) this.counters.minRttMs = rtt;
  }

  /** Sends queued payloads while the window has room. */
  protected pump(): void {
    while (this.next - this.base < this.config.window && this.queue.length > 0) {
      const payload = this.queue.shift() as Uint8Array;
      const index = this.next++;
      const seq = index % this.space;
      const slot: Slot = { datagram: encodeArq('data', this.config.protocol, this.config.seqBits, seq, payload), sentAt: this.timers.now(), retransmitted: false };
      this.slots[index % this.config.window] = slot;
      this.counters.sent++;
      this.hooks.onEvent?.({ kind: 'data-sent', at: slot.sentAt, index, seq, retransmission: false });
      if (this.#timer === undefined) this.#arm();
      this.hooks.transmit(slot.datagram);
    }
  }

  #arm(): void {
    this.#timer = this.timers.set(this.rto.backedOffMs(this.#baseRetries), onGbnTimeout, this);
  }

  /** (The timer's) the oldest packet's ACK did not come: back off, send the whole window again. */
  onTimer(): void {
    this.#timer = undefined;
    if (this.closed || this.base === this.next) return;
    const now = this.timers.now();
    this.counters.timeouts++;
    this.hooks.onEvent?.({ kind: 'timeout', at: now, index: this.base, seq: this.base % this.space, rtoMs: this.rto.backedOffMs(this.#baseRetries) });
    this.#baseRetries++; // RFC 6298 5.5: back off, RTO · 2^retries, until the base moves
    this.#arm();
    for (let i = this.base; i < this.next; i++) {
      const slot = this.slots[i % this.config.window] as Slot;
      slot.retransmitted = true;
      this.counters.retransmissions++;
      this.hooks.onEvent?.({ kind: 'data-sent', at: now, index: i, seq: i % this.space, retransmission: true });
      this.hooks.transmit(slot.datagram);
    }
  }

  #afterProgress(): void {
    if (this.refused && (this.queue.length < this.config.maxQueue || this.inFlight < this.config.window)) {
      this.refused = false;
      this.hooks.onWritable?.();
    }
    if (this.idle) this.hooks.onIdle?.();
  }
}

function onGbnTimeout(sender: GbnSender): void {
  sender.onTimer();
}

export class GbnReceiver implements ArqReceiver {
  readonly config: ResolvedArqConfig;
  readonly counters = newReceiverCounters();
  readonly #timers: ArqTimers;
  readonly #hooks: ArqReceiverHooks;
  readonly #space: number;
  /** The next packet to deliver (stream index). */
  #expected = 0;

  constructor(config: ArqConfig, timers: ArqTimers, hooks: ArqReceiverHooks) {
    this.config = resolveArqConfig(config);
    if (this.config.protocol === 'sr') throw new RangeError('GbnReceiver speaks sw or gbn; use SrReceiver for Selective Repeat');
    this.#timers = timers;
    this.#hooks = hooks;
    this.#space = 2 ** this.config.seqBits;
  }

  onDatagram(datagram: Uint8Array): boolean {
    const p = decodeArq(datagram);
    if (p === undefined || p.type !== 'data' || p.protocol !== this.config.protocol || p.seqBits !== this.config.seqBits) return false;
    const at = this.#timers.now();
    const d = mod(p.number - this.#expected, this.#space);
    if (d === 0) {
      this.#expected++;
      this.counters.delivered++;
      this.#hooks.onEvent?.({ kind: 'data-received', at, seq: p.number, outcome: 'delivered' });
      this.#hooks.deliver(p.payload);
    } else if (d >= this.#space - this.config.window) {
      this.counters.duplicatesDiscarded++;
      this.#hooks.onEvent?.({ kind: 'data-received', at, seq: p.number, outcome: 'duplicate' });
    } else {
      this.counters.outOfOrderDiscarded++;
      this.#hooks.onEvent?.({ kind: 'data-received', at, seq: p.number, outcome: 'out-of-order' });
    }
    const ack = mod(this.#expected - 1, this.#space);
    this.counters.acksSent++;
    this.#hooks.onEvent?.({ kind: 'ack-sent', at, ack });
    this.#hooks.transmit(encodeArq('ack', this.config.protocol, this.config.seqBits, ack));
    return true;
  }
}
