/**
 * `charla compare --protocols ...,sw,gbn,sr`: the ARQ protocols' runs, one after another (so
 * none competes with another for the CPU). In relay mode each crosses its own user-space link
 * with the same seed, so each protocol meets the same pattern of losses; in kernel mode they
 * share one pair of namespaces whose link the kernel impairs (arq-kernel.ts).
 */
import type { ArqProtocol } from '../protocol/arq/index.js';
import { CharlaError } from '../util/errors.js';
import { type ArqKernelNetwork, arqKernelNetwork, runArqKernel } from './arq-kernel.js';
import { type ArqProtocolResult, type ArqReport, arqProtocolResult, LINK_RATE_BITS_PER_SEC } from './arq-result.js';
import { type ArqPlan, type ArqRecord, type ArqSettings, runArq } from './arq-run.js';
import { type Impairment, isImpaired } from './impairment.js';
import { kernelModeProblem } from './netns.js';
import type { ModeRequest } from './options.js';
import type { RunAnalysis } from './stats.js';

export interface ArqCompareOptions {
  protocols: ArqProtocol[];
  runId: string;
  messages: number;
  sizeBytes: number;
  rate: number | 'max';
  impairment: Impairment;
  seed: number;
  settings: ArqSettings;
  /** `--kernel`, `--relay`, or neither: kernel mode when root and impaired and the kernel can apply it. */
  mode: ModeRequest;
}

export interface ArqCompareOutcome {
  report: ArqReport;
  results: ArqProtocolResult[];
  records: ArqRecord[];
  analyses: RunAnalysis[];
}

/** Time allowed for the last ACKs, generous for every delay and loss the flags allow, and bounded. */
export function arqGraceMs(opts: Pick<ArqCompareOptions, 'messages' | 'impairment' | 'rate' | 'settings'>): number {
  const rtt = 2 * (opts.impairment.delayMs + opts.impairment.jitterMs) + 5;
  const rto = opts.settings.rtoMs ?? 1000;
  const lossFactor = 1 / Math.max(0.05, 1 - opts.impairment.lossPct / 100) ** 2;
  // --rate max: every message waits its turn in a window of at worst 1.
  const sending = opts.rate === 'max' ? opts.messages * (rtt + 2) * lossFactor : 0;
  return Math.ceil(15_000 + sending + 20 * Math.max(rto, rtt) * lossFactor);
}

/** The ARQ runs' network: undefined for the user-space link. Throws a CharlaError when `--kernel` is impossible here. */
export function arqNetworkFor(opts: Pick<ArqCompareOptions, 'mode' | 'impairment' | 'settings'>): ArqKernelNetwork | undefined {
  if (opts.mode === 'relay') return undefined;
  const problem = kernelModeProblem();
  if (opts.mode === 'kernel') {
    if (problem !== undefined) throw new CharlaError('ERR_UNAVAILABLE', problem);
    return arqKernelNetwork(opts.impairment, opts.settings.direction, true);
  }
  if (problem !== undefined || !isImpaired(opts.impairment)) return undefined;
  return arqKernelNetwork(opts.impairment, opts.settings.direction, false);
}

export async function runArqCompare(opts: ArqCompareOptions, onProgress: (line: string) => void, signal?: AbortSignal): Promise<ArqCompareOutcome> {
  const kernel = arqNetworkFor(opts);
  try {
    return await runArqProtocols(opts, kernel, onProgress, signal);
  } finally {
    kernel?.network.destroy();
  }
}

/** The runs on a network already set up (the sweep runs many on one). */
export async function runArqProtocols(opts: ArqCompareOptions, kernel: ArqKernelNetwork | undefined, onProgress: (line: string) => void, signal?: AbortSignal): Promise<ArqCompareOutcome> {
  const records: ArqRecord[] = [];
  const results: ArqProtocolResult[] = [];
  const analyses: RunAnalysis[] = [];
  const impairment = kernel?.inForce ?? opts.impairment;
  const impairedRtt = (opts.settings.direction === 'both' ? 2 : 1) * impairment.delayMs;
  for (const protocol of opts.protocols) {
    onProgress(`${protocol}: sending ${opts.messages} messages${kernel === undefined ? '' : ` (${kernel.mode}, namespaces ${kernel.network.serverNs}, ${kernel.network.clientNs})`}`);
    const plan: ArqPlan = { protocol, runId: opts.runId, messages: opts.messages, sizeBytes: opts.sizeBytes, rate: opts.rate, impairment, seed: opts.seed, settings: opts.settings, graceMs: arqGraceMs(opts) };
    const record = kernel === undefined ? await runArq(plan, signal) : await runArqKernel(plan, kernel.network, signal);
    const { result, analysis } = arqProtocolResult(record, impairedRtt);
    records.push(record);
    results.push(result);
    analyses.push(analysis);
  }
  const report: ArqReport = {
    settings: {
      direction: opts.settings.direction,
      rate: opts.rate,
      rtoMs: opts.settings.rtoMs ?? null,
      drops: { data: [...opts.settings.drops.data].sort((a, b) => a - b), ack: [...opts.settings.drops.ack].sort((a, b) => a - b) },
      linkRateBitsPerSec: LINK_RATE_BITS_PER_SEC,
      impairment,
      unavailable: kernel?.unavailable ?? [],
      mode: kernel?.mode ?? 'relay',
    },
  };
  return { report, results, records, analyses };
}

/** Notes the numbers call for: a failure of the protocol, and SR against GBN. */
export function arqNotes(results: readonly ArqProtocolResult[]): string[] {
  const notes: string[] = [];
  for (const r of results) {
    if (r.duplicated > 0 || r.outOfOrder > 0) {
      notes.push(
        `${r.protocol.toUpperCase()} FAILED: ${r.duplicated} duplicate(s) and ${r.outOfOrder} out-of-order message(s) reached the application` +
          (r.unsafeWindow ? ` - the window (${r.window}) is more than the ${r.seqBits}-bit sequence space can tell apart, so a retransmission was taken for new data` : ''),
      );
    }
  }
  const gbn = results.find((r) => r.protocol === 'gbn');
  const sr = results.find((r) => r.protocol === 'sr');
  if (gbn?.retransmissionsPerDelivered != null && sr?.retransmissionsPerDelivered != null && gbn.retransmissions > 0) {
    const ratio = sr.retransmissionsPerDelivered / gbn.retransmissionsPerDelivered;
    notes.push(
      `retransmissions per delivered message: GBN ${gbn.retransmissionsPerDelivered.toFixed(3)}, SR ${sr.retransmissionsPerDelivered.toFixed(3)} ` +
        `(SR resends ${(100 * (1 - ratio)).toFixed(0)}% fewer: it resends only the lost packet, GBN the whole window)`,
    );
  }
  return notes;
}
