/**
 * `charla compare --protocols ...,sw,gbn,sr`: the ARQ protocols' runs, one after another (so
 * none competes with another for the CPU), each over its own impaired link with the same seed,
 * so each protocol meets the same pattern of losses.
 */
import type { ArqProtocol } from '../protocol/arq/index.js';
import { type ArqProtocolResult, type ArqReport, arqProtocolResult, LINK_RATE_BITS_PER_SEC } from './arq-result.js';
import { type ArqRecord, type ArqSettings, runArq } from './arq-run.js';
import type { Impairment } from './impairment.js';
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

export async function runArqCompare(opts: ArqCompareOptions, onProgress: (line: string) => void, signal?: AbortSignal): Promise<ArqCompareOutcome> {
  const records: ArqRecord[] = [];
  const results: ArqProtocolResult[] = [];
  const analyses: RunAnalysis[] = [];
  const impairedRtt = (opts.settings.direction === 'both' ? 2 : 1) * opts.impairment.delayMs;
  for (const protocol of opts.protocols) {
    onProgress(`${protocol}: sending ${opts.messages} messages`);
    const record = await runArq(
      { protocol, runId: opts.runId, messages: opts.messages, sizeBytes: opts.sizeBytes, rate: opts.rate, impairment: opts.impairment, seed: opts.seed, settings: opts.settings, graceMs: arqGraceMs(opts) },
      signal,
    );
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
      impairment: opts.impairment,
      mode: 'relay',
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
