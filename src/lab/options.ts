/**
 * What `charla compare` can be told: one options object, defaults in one place. The CLI maps
 * each flag to one field; `resolveTimings` derives the waits from the impairment.
 */
import type { ArqProtocol } from '../protocol/arq/header.js';
import { NO_DROPS } from './arq-link.js';
import type { ArqSettings } from './arq-run.js';
import type { SweepSpec } from './arq-sweep.js';
import { type Impairment, NO_IMPAIRMENT } from './impairment.js';

/** What `--protocols` names: the chat's tcp and udp, and the ARQ protocols over UDP. */
export type LabProtocol = 'tcp' | 'udp' | ArqProtocol;
export const LAB_PROTOCOLS: readonly LabProtocol[] = ['tcp', 'udp', 'sw', 'gbn', 'sr'];

/** The mode asked for: `--kernel`, `--relay`, or neither (kernel when it can, else relay). */
export type ModeRequest = 'auto' | 'kernel' | 'relay';

/** The mode a run used (the JSON's "mode"). */
export type LabMode = 'kernel-netem' | 'kernel-nftables' | 'relay' | 'none';

/** A server to measure instead of the lab's own (`--host/--tcp-port/--udp-port`). */
export interface CompareTarget {
  host: string;
  tcpPort: number;
  udpPort: number;
}

/** Everything one run is told (see COMPARE_DEFAULTS). */
export interface CompareOptions {
  /** undefined: the lab starts its own servers on ephemeral loopback ports. */
  target: CompareTarget | undefined;
  /** K: messages each sender sends. */
  messages: number;
  /** R: receivers per protocol. */
  receivers: number;
  /** Bytes of each message as the sender writes it (without TCP's newline). */
  sizeBytes: number;
  /** Messages a second from each sender. */
  ratePerSec: number;
  impairment: Impairment;
  mode: ModeRequest;
  /** Seed of the relay's random choices (reported, so a run can be repeated). */
  seed: number;
  /** Record a .pcap of the run's ports into this file (undefined: no capture). */
  captureFile: string | undefined;
  /** Write the HTML report (and result.json) into this folder. */
  reportDir: string | undefined;
  /** Every client must have joined within this long. */
  setupTimeoutMs: number;
  /** `--protocols`: tcp and udp run through the chat server as before; sw, gbn, sr point to point. */
  protocols: LabProtocol[];
  /** `--rate max`: as fast as each protocol allows (tcp and udp: `ratePerSec` is then the flag's maximum). */
  rateMax: boolean;
  /** The ARQ protocols' flags. */
  arq: ArqSettings;
  /** `--sweep window=...` or `delay=...`: the ARQ protocols once per value. */
  sweep: SweepSpec | undefined;
}

/**
 * Defaults: 100 messages at 5 a second is a run of about 20 s that a normal charla server
 * accepts as it is (its per-user limit is 5 messages a second after a burst of 25), so the same
 * command also measures a server started with plain `charla server`.
 */
export const COMPARE_DEFAULTS: CompareOptions = {
  target: undefined,
  messages: 100,
  receivers: 3,
  sizeBytes: 64,
  ratePerSec: 5,
  impairment: NO_IMPAIRMENT,
  mode: 'auto',
  seed: 1,
  captureFile: undefined,
  reportDir: undefined,
  setupTimeoutMs: 20_000,
  protocols: ['tcp', 'udp'],
  rateMax: false,
  arq: { window: undefined, seqBits: undefined, rtoMs: undefined, unsafeWindow: false, direction: 'both', drops: NO_DROPS },
  sweep: undefined,
};

/** Limits of the flags (the CLI's messages name them). */
export const COMPARE_LIMITS = {
  messages: [1, 1_000_000],
  receivers: [1, 50],
  sizeBytes: [48, 60_000],
  ratePerSec: [0.1, 10_000],
  /** A run must be able to end: K / rate at most an hour. */
  maxSendingMs: 3_600_000,
} as const;

/** Waits derived from the options: how long to listen for stragglers and to retry UDP names. */
export interface Timings {
  /** After the last UDP send: a datagram not there by then is lost. */
  udpGraceMs: number;
  /** After the last TCP send: TCP delivers everything eventually; this bounds the wait. */
  tcpGraceMs: number;
  /** A UDP client that heard nothing back within this long sends its name again. */
  udpRetryMs: number;
  /** Hard limit of the whole run. */
  deadlineMs: number;
}

/** The waits for `opts`: longer delays need longer waits. */
export function resolveTimings(opts: CompareOptions): Timings {
  const worstDelay = opts.impairment.delayMs + opts.impairment.jitterMs;
  const udpGraceMs = 1000 + 3 * worstDelay;
  const tcpGraceMs = 15_000 + 6 * worstDelay;
  const sendingMs = ((opts.messages - 1) / opts.ratePerSec) * 1000;
  return {
    udpGraceMs,
    tcpGraceMs,
    udpRetryMs: Math.max(300, 2 * worstDelay + 200),
    deadlineMs: opts.setupTimeoutMs + sendingMs + tcpGraceMs + 15_000,
  };
}
