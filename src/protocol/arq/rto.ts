/**
 * The retransmission timeout of RFC 6298, "Computing TCP's Retransmission Timer":
 *
 *     before any sample        RTO = initial (1 s)
 *     first sample R           SRTT = R, RTTVAR = R/2
 *     each later sample R'     RTTVAR = (1 - beta) RTTVAR + beta |SRTT - R'|     beta = 1/4
 *                              SRTT   = (1 - alpha) SRTT + alpha R'             alpha = 1/8
 *     after every sample       RTO = SRTT + max(G, K RTTVAR)                    K = 4
 *     clamped                  min <= RTO <= max (the RFC's min is 1 s; Linux uses 200 ms)
 *     on each timeout          RTO = min(2 RTO, max)   (back-off, until the next sample)
 *
 * The machines back off with `backedOffMs(retries)`, per packet (see gbn.ts and sr.ts for why);
 * `backOff()` is the RFC's connection-wide doubling, for a caller with one timer.
 *
 * Karn's rule (the RFC's section 3) is the callers': a packet that was retransmitted gives no
 * sample, since its ACK cannot say which copy it answers.
 *
 * A `fixedMs` RTO never moves (classroom demos: "the timer is 300 ms"); SRTT is still measured.
 */

export interface RtoOptions {
  /** A fixed RTO in ms: no estimate, no back-off. */
  fixedMs?: number | undefined;
  /** RTO before the first sample (RFC 6298 2.1: 1 s). */
  initialMs?: number;
  /** Lower clamp (RFC 6298 2.4: 1 s). */
  minMs?: number;
  /** Upper clamp (RFC 6298 2.5: at least 60 s). */
  maxMs?: number;
  /** Clock granularity G in ms. */
  granularityMs?: number;
}

export const RTO_DEFAULTS = { initialMs: 1000, minMs: 1000, maxMs: 60_000, granularityMs: 1 } as const;

export const RTO_ALPHA = 1 / 8;
export const RTO_BETA = 1 / 4;
export const RTO_K = 4;

export class RtoEstimator {
  readonly #fixed: number | undefined;
  readonly #min: number;
  readonly #max: number;
  readonly #g: number;
  #srtt: number | undefined;
  #rttvar: number | undefined;
  #rto: number;
  #samples = 0;

  constructor(options: RtoOptions = {}) {
    const initial = options.initialMs ?? RTO_DEFAULTS.initialMs;
    this.#min = options.minMs ?? RTO_DEFAULTS.minMs;
    this.#max = options.maxMs ?? RTO_DEFAULTS.maxMs;
    this.#g = options.granularityMs ?? RTO_DEFAULTS.granularityMs;
    this.#fixed = options.fixedMs;
    for (const [name, v] of [['initialMs', initial], ['minMs', this.#min], ['maxMs', this.#max], ['granularityMs', this.#g]] as const) {
      if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`RTO ${name} must be a finite number >= 0, not ${v}`);
    }
    if (this.#min > this.#max) throw new RangeError(`RTO minMs (${this.#min}) is above maxMs (${this.#max})`);
    if (this.#fixed !== undefined && !(this.#fixed > 0 && Number.isFinite(this.#fixed))) throw new RangeError(`a fixed RTO must be > 0 ms, not ${this.#fixed}`);
    this.#rto = this.#fixed ?? this.#clamp(initial);
  }

  /** The timeout to arm now, in ms. */
  get rtoMs(): number {
    return this.#rto;
  }

  /** The smoothed RTT (undefined before the first sample). */
  get srttMs(): number | undefined {
    return this.#srtt;
  }

  get rttvarMs(): number | undefined {
    return this.#rttvar;
  }

  /** RTT samples taken. */
  get samples(): number {
    return this.#samples;
  }

  /** One RTT measurement, from a packet sent only once (Karn's rule is the caller's). */
  sample(rttMs: number): void {
    if (!(rttMs >= 0) || !Number.isFinite(rttMs)) return;
    this.#samples++;
    if (this.#srtt === undefined || this.#rttvar === undefined) {
      this.#srtt = rttMs;
      this.#rttvar = rttMs / 2;
    } else {
      this.#rttvar = (1 - RTO_BETA) * this.#rttvar + RTO_BETA * Math.abs(this.#srtt - rttMs);
      this.#srtt = (1 - RTO_ALPHA) * this.#srtt + RTO_ALPHA * rttMs;
    }
    if (this.#fixed === undefined) this.#rto = this.#clamp(this.#srtt + Math.max(this.#g, RTO_K * this.#rttvar));
  }

  /**
   * The RTO for a packet already sent `retries` times again: RTO · 2^retries, up to the maximum.
   * Selective Repeat's per-packet timers back off this way, each packet by its own count, so
   * that several losses in one window do not multiply one shared RTO (a fixed RTO stays fixed).
   */
  backedOffMs(retries: number): number {
    return this.#fixed ?? Math.min(this.#rto * 2 ** retries, this.#max);
  }

  /** The timer expired: double the RTO (RFC 6298 5.5), up to the maximum. */
  backOff(): void {
    if (this.#fixed === undefined) this.#rto = Math.min(this.#rto * 2, this.#max);
  }

  #clamp(ms: number): number {
    return Math.min(Math.max(ms, this.#min), this.#max);
  }
}
