/**
 * A reliable UDP chat session (`charla client --udp --fiable`): Selective Repeat both ways over
 * one address pair. Each side is sender for what it says and receiver for what it hears; both
 * kinds of datagram share the socket, told apart by the ARQ header's type (arq/header.ts).
 *
 * On top of the state machines (arq/sr.ts) it adds what a chat needs and a lab run does not:
 * - a give-up: a packet sent `maxRetries` times again without an ACK ends the session
 *   (`end('no_ack')`): the other side is gone, or cannot hear us;
 * - a bound: past `window` in flight and `maxQueue` waiting, `send` refuses and the session ends
 *   (`end('overflow')`), as a TCP slow consumer is cut;
 * - one set of options for server and client (both must agree on the sequence space).
 *
 * Pure: no sockets; time and timers injected. Used by transport/udp.ts (the server side) and
 * client/connection.ts (the client side).
 */
import { ARQ_HEADER_BYTES, decodeArq, looksLikeArq } from './arq/header.js';
import type { RtoOptions } from './arq/rto.js';
import { SrReceiver, SrSender } from './arq/sr.js';
import type { ArqTimers } from './arq/options.js';

export interface ArqSessionOptions {
  /** Packets in flight each way. A power of two, at most half the sequence space. */
  window: number;
  /** Bits of the sequence space (the header's seqBits); both sides must use the same. */
  seqBits: number;
  /** Payloads held beyond the window before `send` refuses (and the session ends as too slow). */
  maxQueue: number;
  /** Times one packet is sent again without an ACK before the session gives up. */
  maxRetries: number;
  rto: RtoOptions;
}

/**
 * Defaults for a chat on a LAN or Wi-Fi: 16-bit numbers (a stray packet of an old session is
 * rarely taken for a current one), a window of 32, and an RTO between 200 ms (Linux's minimum,
 * not RFC 6298's 1 s: a chat line lost on Wi-Fi should not take a second to come back) and
 * 10 s, so that ten retries give up after about a minute.
 */
export const ARQ_SESSION_DEFAULTS: ArqSessionOptions = {
  window: 32,
  seqBits: 16,
  maxQueue: 256,
  maxRetries: 10,
  rto: { initialMs: 1000, minMs: 200, maxMs: 10_000 },
};

/** Why a session ended by itself. */
export type ArqSessionEnd = 'no_ack' | 'overflow';

export interface ArqSessionHooks {
  /** Put this datagram (DATA, a retransmission, or an ACK) on the wire. */
  transmit(datagram: Uint8Array): void;
  /** The next payload from the other side: each exactly once, in order. */
  deliver(payload: Uint8Array): void;
  /** The session ended by itself (called once, never from inside `send` or `onDatagram`). */
  end(why: ArqSessionEnd): void;
  /** Everything sent so far has been acknowledged. */
  onIdle?(): void;
}

/** What a session has counted, for `/quit`'s summary and the server's log. */
export interface ArqSessionStats {
  /** Payloads sent for the first time / sent again after a timeout / acknowledged. */
  sent: number;
  retransmissions: number;
  acked: number;
  /** Payloads delivered from the other side / copies that had already arrived, discarded. */
  delivered: number;
  duplicatesDiscarded: number;
}

/** Options out of bounds (a programming or configuration error). */
export function checkArqSessionOptions(o: ArqSessionOptions): void {
  if (!Number.isInteger(o.window) || o.window < 1 || (o.window & (o.window - 1)) !== 0) throw new RangeError(`the window must be a power of two, not ${o.window}`);
  if (o.window > 2 ** (o.seqBits - 1)) throw new RangeError(`a window of ${o.window} needs more than ${o.seqBits} sequence bits`);
  if (!Number.isInteger(o.maxRetries) || o.maxRetries < 0 || o.maxRetries > 1000) throw new RangeError(`maxRetries must be a whole number from 0 to 1000, not ${o.maxRetries}`);
}

/** True for an ARQ datagram of type DATA (before any state: cheap, bytes 0 and 2 only). */
export function isArqData(data: Uint8Array): boolean {
  return looksLikeArq(data) && data.length >= ARQ_HEADER_BYTES && data[2] === 1;
}

/**
 * True when `data` can open a session with these options: a well-formed Selective Repeat DATA
 * packet numbered 0 in our sequence space. Anything else from an unknown address is a stray.
 */
export function opensArqSession(data: Uint8Array, options: ArqSessionOptions): boolean {
  const p = decodeArq(data);
  return p !== undefined && p.type === 'data' && p.protocol === 'sr' && p.seqBits === options.seqBits && p.number === 0;
}

export class ArqSession {
  readonly options: ArqSessionOptions;
  readonly #sender: SrSender;
  readonly #receiver: SrReceiver;
  readonly #hooks: ArqSessionHooks;
  /**
   * The give-up's bookkeeping, without an allocation per packet: the sender hands `transmit` the
   * same datagram object for a packet's every copy, so the slot `seq mod window` (the window
   * divides the sequence space: no two packets in flight share a slot) holds the datagram last
   * seen there and how many times it has been sent again.
   */
  readonly #lastSent: (Uint8Array | undefined)[];
  readonly #resent: Uint16Array;
  #ended = false;
  #closed = false;

  constructor(options: ArqSessionOptions, timers: ArqTimers, hooks: ArqSessionHooks) {
    checkArqSessionOptions(options);
    this.options = options;
    this.#hooks = hooks;
    const config = { protocol: 'sr' as const, window: options.window, seqBits: options.seqBits, maxQueue: options.maxQueue, rto: options.rto };
    this.#lastSent = new Array<Uint8Array | undefined>(options.window);
    this.#resent = new Uint16Array(options.window);
    this.#sender = new SrSender(config, timers, {
      transmit: (d) => this.#transmitData(d),
      ...(hooks.onIdle === undefined ? {} : { onIdle: hooks.onIdle }),
    });
    this.#receiver = new SrReceiver(config, timers, {
      transmit: (d) => {
        if (!this.#closed) hooks.transmit(d);
      },
      deliver: (p) => {
        if (!this.#closed) hooks.deliver(p);
      },
    });
  }

  /** Payloads waiting beyond the window, and in flight. */
  get queued(): number {
    return this.#sender.queued;
  }
  get inFlight(): number {
    return this.#sender.inFlight;
  }
  /** Everything sent has been acknowledged. */
  get idle(): boolean {
    return this.#sender.idle;
  }
  get closed(): boolean {
    return this.#closed;
  }

  get stats(): ArqSessionStats {
    const s = this.#sender.counters;
    const r = this.#receiver.counters;
    return { sent: s.sent, retransmissions: s.retransmissions, acked: s.acked, delivered: r.delivered, duplicatesDiscarded: r.duplicatesDiscarded };
  }

  /**
   * Queues `payload` (kept as it is until acknowledged: do not reuse its bytes). False when the
   * window and the queue are full: the session then ends as `overflow` (or was already closed).
   */
  send(payload: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#sender.send(payload)) return true;
    this.#fail('overflow');
    return false;
  }

  /** A datagram from the other side. False when it is not ours (no ARQ header of this session). */
  onDatagram(datagram: Uint8Array): boolean {
    if (this.#closed) return looksLikeArq(datagram);
    return this.#receiver.onDatagram(datagram) || this.#sender.onDatagram(datagram);
  }

  /** Stops the timers; nothing more is sent or delivered. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sender.close();
  }

  #transmitData(datagram: Uint8Array): void {
    if (this.#closed) return;
    const slot = (((datagram[6] as number) << 8) | (datagram[7] as number)) % this.options.window;
    if (this.#lastSent[slot] !== datagram) {
      this.#lastSent[slot] = datagram;
      this.#resent[slot] = 0;
    } else {
      const resent = (this.#resent[slot] as number) + 1;
      this.#resent[slot] = resent;
      if (resent > this.options.maxRetries) {
        // Sent maxRetries times again, and the timer ran out once more: nobody is answering.
        this.#fail('no_ack');
        return;
      }
    }
    this.#hooks.transmit(datagram);
  }

  /**
   * Ends the session for `why`. Deferred to a microtask: the sender is in the middle of a timer
   * (it re-arms it after `transmit`) or of `send`, and closing must clear that new timer too;
   * and the hook must not run inside the caller's broadcast.
   */
  #fail(why: ArqSessionEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#closed = true;
    queueMicrotask(() => {
      this.#sender.close();
      this.#hooks.end(why);
    });
  }
}
