/**
 * What the Go-Back-N (and stop-and-wait) and Selective Repeat senders share: the window of
 * packets in flight (a ring of N slots, packet i at i mod N), the queue of payloads waiting for
 * room in it, the RTO estimator and the accounting that `ArqSender` exposes. Each protocol adds
 * its own timers, ACK handling and `pump()` (which moves queued payloads into the window).
 */
import { type ArqConfig, type ArqSender, type ArqSenderHooks, type ArqTimers, newSenderCounters, PayloadQueue, type ResolvedArqConfig, resolveArqConfig } from './options.js';
import { RtoEstimator } from './rto.js';

export abstract class WindowSender<Slot> implements ArqSender {
  readonly config: ResolvedArqConfig;
  readonly counters = newSenderCounters();
  protected readonly timers: ArqTimers;
  protected readonly hooks: ArqSenderHooks;
  protected readonly rto: RtoEstimator;
  /** The sequence space, 2^seqBits. */
  protected readonly space: number;
  /** Ring of the window: packet i is at i mod N. */
  protected readonly slots: (Slot | undefined)[];
  protected readonly queue = new PayloadQueue();
  /** Oldest unacknowledged packet, and the next to send (stream indexes, never wrapping). */
  protected base = 0;
  protected next = 0;
  /** A send was refused (window and queue full): `onWritable` is owed once there is room. */
  protected refused = false;
  protected closed = false;

  constructor(config: ArqConfig, timers: ArqTimers, hooks: ArqSenderHooks) {
    this.config = resolveArqConfig(config);
    this.timers = timers;
    this.hooks = hooks;
    this.rto = new RtoEstimator(this.config.rto);
    this.space = 2 ** this.config.seqBits;
    this.slots = new Array<Slot | undefined>(this.config.window);
  }

  get inFlight(): number {
    return this.next - this.base;
  }
  get queued(): number {
    return this.queue.length;
  }
  get idle(): boolean {
    return this.next === this.base && this.queue.length === 0;
  }
  get rtoMs(): number {
    return this.rto.rtoMs;
  }
  get srttMs(): number | undefined {
    return this.rto.srttMs;
  }

  send(payload: Uint8Array): boolean {
    if (this.closed) return false;
    if (this.inFlight >= this.config.window && this.queue.length >= this.config.maxQueue) {
      this.refused = true;
      return false;
    }
    this.counters.accepted++;
    this.queue.push(payload);
    this.pump();
    return true;
  }

  abstract onDatagram(datagram: Uint8Array): boolean;
  abstract close(): void;

  /** Moves queued payloads into the window while there is room, sending each. */
  protected abstract pump(): void;
}
