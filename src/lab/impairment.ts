/**
 * Network impairments: what `--loss --delay --jitter --duplicate --reorder` mean, and how each
 * mode applies them. Pure: the relay asks `planDatagram` with a seeded random source; kernel mode
 * turns the same numbers into `tc netem` arguments or an nftables ruleset.
 *
 * Every mode impairs one direction only, server -> clients, so `--loss 10` means each message
 * reaches each receiver with probability 0.9 (it crosses one impaired hop, not two), and the
 * reverse path (the sender's messages, the receivers' TCP acknowledgements) stays clean.
 */
import { CharlaError } from '../util/errors.js';

/** The parameters in force. Percentages are 0..100. */
export interface Impairment {
  lossPct: number;
  delayMs: number;
  /** Each packet's delay is `delayMs` plus a uniform amount in [-jitterMs, +jitterMs] (never below 0). */
  jitterMs: number;
  duplicatePct: number;
  /** This share of packets skips the delay and so overtakes those sent before it (netem's rule). */
  reorderPct: number;
}

/** A clean network. */
export const NO_IMPAIRMENT: Impairment = { lossPct: 0, delayMs: 0, jitterMs: 0, duplicatePct: 0, reorderPct: 0 };

/** True when any parameter is set. */
export function isImpaired(i: Impairment): boolean {
  return i.lossPct > 0 || i.delayMs > 0 || i.jitterMs > 0 || i.duplicatePct > 0 || i.reorderPct > 0;
}

/** True when a parameter needs to hold packets back (nftables cannot). */
export function needsDelay(i: Impairment): boolean {
  return i.delayMs > 0 || i.jitterMs > 0 || i.reorderPct > 0;
}

/** Rejects combinations that mean nothing, naming the flag to change. */
export function validateImpairment(i: Impairment): Impairment {
  if (i.reorderPct > 0 && i.delayMs <= 0) {
    throw new CharlaError('ERR_BAD_OPTION', '--reorder needs --delay: reordered packets are the ones sent without the delay (try --delay 50 --reorder 25)');
  }
  if (i.jitterMs > 0 && i.delayMs <= 0) {
    throw new CharlaError('ERR_BAD_OPTION', '--jitter varies the delay: give a --delay too (try --delay 100 --jitter 20)');
  }
  return i;
}

/** "loss 10%, delay 100 ms ± 20 ms", or "none". */
export function describeImpairment(i: Impairment): string {
  const parts: string[] = [];
  if (i.lossPct > 0) parts.push(`loss ${i.lossPct}%`);
  if (i.delayMs > 0) parts.push(`delay ${i.delayMs} ms${i.jitterMs > 0 ? ` ± ${i.jitterMs} ms` : ''}`);
  if (i.duplicatePct > 0) parts.push(`duplicate ${i.duplicatePct}%`);
  if (i.reorderPct > 0) parts.push(`reorder ${i.reorderPct}%`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/**
 * Packets can only overtake one another when they are closer together than the delay varies:
 * at the default 5 messages a second (200 ms apart) `--delay 50 --reorder 25` reorders nothing.
 */
export function spacingNotes(imp: Impairment, ratePerSec: number): string[] {
  const gapMs = 1000 / ratePerSec;
  const spreadMs = imp.reorderPct > 0 ? imp.delayMs : 2 * imp.jitterMs;
  if (spreadMs <= 0 || gapMs < spreadMs) return [];
  const rate = Math.ceil((2 * 1000) / spreadMs / 10) * 10;
  return [
    `messages are ${Math.round(gapMs)} ms apart, more than the ${imp.reorderPct > 0 ? 'delay' : 'jitter range'} (${spreadMs} ms), so none can overtake another: try --rate ${rate} to see reordering`,
  ];
}

// --- a seeded random source, so a relay run can be repeated exactly ---

/** mulberry32: a small, fast, seedable PRNG; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The fate of one datagram in the relay: the delay of each copy to deliver, in ms. An empty list
 * means it is lost; two entries mean it is duplicated. Copies are impaired independently in
 * delay, so a duplicate may arrive before or after the original, as with netem.
 */
export function planDatagram(i: Impairment, random: () => number): number[] {
  if (i.lossPct > 0 && random() * 100 < i.lossPct) return [];
  const copies = i.duplicatePct > 0 && random() * 100 < i.duplicatePct ? 2 : 1;
  const delays: number[] = [];
  for (let c = 0; c < copies; c++) delays.push(packetDelay(i, random));
  return delays;
}

/** One packet's delay: none for a reordered packet, else delay ± jitter, at least 0. */
export function packetDelay(i: Impairment, random: () => number): number {
  if (i.reorderPct > 0 && random() * 100 < i.reorderPct) return 0;
  const jitter = i.jitterMs > 0 ? (random() * 2 - 1) * i.jitterMs : 0;
  return Math.max(0, i.delayMs + jitter);
}

/**
 * When a chunk of a TCP byte stream may leave the relay: delay ± jitter, but never before the
 * chunk ahead of it (a stream cannot be reordered: jitter here only bunches data up).
 */
export function streamDueMs(i: Impairment, nowMs: number, previousDueMs: number, random: () => number): number {
  const jitter = i.jitterMs > 0 ? (random() * 2 - 1) * i.jitterMs : 0;
  return Math.max(previousDueMs, nowMs + Math.max(0, i.delayMs + jitter));
}

// --- kernel mode ---

/** Percent with at most 2 decimals, as tc and nft want it. */
function pct(value: number): string {
  return `${Math.round(value * 100) / 100}%`;
}

/** `tc qdisc add dev DEV root netem ...` arguments after "netem" (limit raised: a long delay queues many packets). */
export function netemArgs(i: Impairment): string[] {
  const args = ['limit', '100000'];
  if (i.delayMs > 0) {
    args.push('delay', `${i.delayMs}ms`);
    if (i.jitterMs > 0) args.push(`${i.jitterMs}ms`);
  }
  if (i.lossPct > 0) args.push('loss', pct(i.lossPct));
  if (i.duplicatePct > 0) args.push('duplicate', pct(i.duplicatePct));
  if (i.reorderPct > 0) args.push('reorder', pct(i.reorderPct));
  return args;
}

/** Name of the nftables table charla creates (inside its own namespaces only). */
export const NFT_TABLE = 'charla_lab';

/** "numgen random mod 10000 < N": a percentage with 0.01 % resolution. */
function chance(percent: number): string {
  return `numgen random mod 10000 < ${Math.round(percent * 100)}`;
}

/**
 * nftables loss, for the clients' namespace: drop on the ingress of its end of the link, so the
 * server's end (where a capture runs) still sees the packet leave, as Wireshark at a sender would.
 * IPv4 only: ARP is left alone (the neighbours are static anyway). Undefined when no loss.
 */
export function nftLossRuleset(device: string, i: Impairment): string | undefined {
  if (i.lossPct <= 0) return undefined;
  return [
    `table netdev ${NFT_TABLE} {`,
    '  chain loss {',
    `    type filter hook ingress device "${device}" priority 0; policy accept;`,
    `    meta protocol ip ${chance(i.lossPct)} drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * nftables duplication, for the server's namespace: `dup` in the IPv4 postrouting hook (a copy
 * made there is not copied again, unlike `dup` in a netdev egress chain). Undefined when none.
 */
export function nftDuplicateRuleset(device: string, peerAddress: string, i: Impairment): string | undefined {
  if (i.duplicatePct <= 0) return undefined;
  return [
    `table ip ${NFT_TABLE} {`,
    '  chain duplicate {',
    '    type filter hook postrouting priority 0; policy accept;',
    `    oifname "${device}" ${chance(i.duplicatePct)} dup to ${peerAddress} device "${device}"`,
    '  }',
    '}',
    '',
  ].join('\n');
}
