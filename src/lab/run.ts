/**
 * One `charla compare` run: choose the mode, set the stage, run both protocols' clients at once,
 * capture if asked, tear everything down (also when interrupted) and build the result.
 */
import { readFile } from 'node:fs/promises';
import { CharlaError } from '../util/errors.js';
import { type Ladder, tcpLadder } from './ladder.js';
import { parsePcap } from './pcap.js';
import { type Capture, CAPTURE_INSTALL_HINT, findCaptureTool, startCapture, summarizeCapture } from './capture.js';
import type { ClientPlan, ProtocolProgress, ProtocolRecord } from './clients.js';
import { describeImpairment, type Impairment, isImpaired, NO_IMPAIRMENT, needsDelay, spacingNotes } from './impairment.js';
import { findExecutable, kernelModeProblem, type LabNetwork, newLabNetwork } from './netns.js';
import { type CompareOptions, type LabMode, resolveTimings } from './options.js';
import { newRunId, type Proto } from './payload.js';
import {
  analyzeRecord,
  type CaptureReport,
  type CompareResult,
  estimateWireBytes,
  measuredWireBytes,
  protocolResult,
} from './result.js';
import { localStage, namespaceStage, type Stage } from './stage.js';
import type { RunAnalysis } from './stats.js';

/** What the caller hears while a run goes on. */
export interface CompareHooks {
  onProgress(progress: ProtocolProgress): void;
  /** One line of news (the mode chosen, a fallback). */
  onNote(line: string): void;
  signal: AbortSignal;
}

/** The result, and the per-message detail the HTML report draws. */
export interface CompareOutcome {
  result: CompareResult;
  analyses: Record<Proto, RunAnalysis>;
  /** TCP's packet ladder, from the capture (undefined without one). */
  tcpLadder: Ladder | undefined;
}

/** How the run will impair, once the mode is settled. */
interface Plan {
  mode: LabMode;
  inForce: Impairment;
  unavailable: string[];
  network: LabNetwork | undefined;
  notes: string[];
}

/** Runs the comparison. Throws a CharlaError when the asked mode is impossible here. */
export async function runCompare(opts: CompareOptions, hooks: CompareHooks): Promise<CompareOutcome> {
  const startedAt = new Date();
  const timings = resolveTimings(opts);
  const plan = choosePlan(opts);
  const aboutS = (((opts.messages - 1) / opts.ratePerSec) * 1000 + timings.udpGraceMs) / 1000;
  hooks.onNote(
    `${plan.mode} mode${plan.network !== undefined ? ` (namespaces ${plan.network.serverNs}, ${plan.network.clientNs})` : ''}, ` +
      `impairment: ${describeImpairment(plan.inForce)}; about ${Math.ceil(aboutS)} s`,
  );
  let stage: Stage | undefined;
  let capture: Capture | undefined;
  try {
    stage =
      plan.network !== undefined
        ? await namespaceStage(plan.network, opts, timings.deadlineMs)
        : await localStage({ ...opts, impairment: plan.inForce }, plan.mode === 'relay');
    hooks.signal.throwIfAborted();
    const notes: string[] = [];
    if (opts.captureFile !== undefined) {
      const tried = await tryCapture(stage, opts.captureFile);
      capture = tried.capture;
      if (tried.problem !== undefined) notes.push(tried.problem);
    }
    const runId = newRunId();
    const records = await stage.runClients(clientPlans(opts, stage, runId), hooks.onProgress, hooks.signal);
    await capture?.stop();
    const captured = capture === undefined ? null : await readCapture(capture, stage);
    const tcpLadderOf = capture === undefined ? undefined : await readFile(capture.target.file).then((b) => tcpLadder(parsePcap(b).packets, stage?.tcpPort ?? 0), () => undefined);
    return { ...assemble({ opts, plan, stage, runId, records, captured, notes, startedAt }), tcpLadder: tcpLadderOf };
  } finally {
    await capture?.stop().catch(() => {});
    await stage?.close().catch(() => {});
    plan.network?.destroy();
  }
}

function clientPlans(opts: CompareOptions, stage: Stage, runId: string): ClientPlan[] {
  const timings = resolveTimings(opts);
  return (['tcp', 'udp'] as const).map((proto) => ({
    proto,
    runId,
    host: stage.clientHost,
    port: proto === 'tcp' ? stage.tcpPort : stage.udpPort,
    receivers: opts.receivers,
    messages: opts.messages,
    sizeBytes: opts.sizeBytes,
    ratePerSec: opts.ratePerSec,
    graceMs: proto === 'tcp' ? timings.tcpGraceMs : timings.udpGraceMs,
    setupTimeoutMs: opts.setupTimeoutMs,
    udpRetryMs: timings.udpRetryMs,
  }));
}

/** What `assemble` turns into the result. */
interface Finished {
  opts: CompareOptions;
  plan: Plan;
  stage: Stage;
  runId: string;
  records: ProtocolRecord[];
  captured: CaptureReport | null;
  notes: string[];
  startedAt: Date;
}

/** The records, analysed and laid out as the --json object. */
function assemble({ opts, plan, stage, runId, records, captured, notes, startedAt }: Finished): Omit<CompareOutcome, 'tcpLadder'> {
  const [tcp, udp] = records as [ProtocolRecord, ProtocolRecord];
  const analyses = { tcp: analyzeRecord(tcp), udp: analyzeRecord(udp) };
  const wire = (record: ProtocolRecord): { bytesPerMessage: number; estimated: boolean } => {
    const frames = captured?.summary[record.proto].frameBytes;
    const measured = frames === undefined ? undefined : measuredWireBytes(frames, record.sentAtMs.length, record.receivers);
    if (measured !== undefined) return { bytesPerMessage: measured, estimated: false };
    const nameBytes = `${record.proto}-r1-${runId}`.length;
    return { bytesPerMessage: estimateWireBytes(record.proto, opts.sizeBytes, opts.receivers, nameBytes, { mtu: stage.mtu }), estimated: true };
  };
  const result: CompareResult = {
    mode: plan.mode,
    impairment: {
      ...plan.inForce,
      direction: 'server-to-clients',
      seed: plan.mode === 'relay' ? opts.seed : null,
      requested: opts.impairment,
      unavailable: plan.unavailable,
    },
    tcp: protocolResult(tcp, analyses.tcp, wire(tcp)),
    udp: protocolResult(udp, analyses.udp, wire(udp)),
    run: {
      runId,
      server: opts.target === undefined ? 'own' : `${opts.target.host}:${opts.target.tcpPort}/${opts.target.udpPort}`,
      messages: opts.messages,
      receivers: opts.receivers,
      sizeBytes: opts.sizeBytes,
      ratePerSec: opts.ratePerSec,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
    },
    notes: [...modeNotes(plan), ...spacingNotes(plan.inForce, opts.ratePerSec), ...notes, ...serverErrorNotes(tcp, udp)],
    capture: captured,
  };
  return { result, analyses };
}

/** Settles the mode; in kernel mode builds the network and applies the impairment. */
function choosePlan(opts: CompareOptions): Plan {
  const imp = opts.impairment;
  const plan = (mode: LabMode, notes: string[] = []): Plan => ({ mode, inForce: mode === 'none' ? NO_IMPAIRMENT : imp, unavailable: [], network: undefined, notes });
  if (opts.mode === 'relay') return plan('relay');
  if (opts.mode === 'kernel') {
    if (opts.target !== undefined) {
      throw new CharlaError('ERR_BAD_OPTION', '--kernel runs its own server inside a network namespace: it cannot measure --host (use --relay)');
    }
    const problem = kernelModeProblem();
    if (problem !== undefined) throw new CharlaError('ERR_UNAVAILABLE', problem);
    return kernelPlan(imp, true) as Plan;
  }
  if (!isImpaired(imp)) return plan('none');
  if (opts.target !== undefined) return plan('relay', ['impairing a --host server goes through the relay (kernel mode runs its own server)']);
  const problem = kernelModeProblem();
  if (problem !== undefined) return plan('relay', [`using the relay: ${problem.replace(/, or use --relay$/, '')}`]);
  return kernelPlan(imp, false) ?? plan('relay', ['this kernel has no netem for delay, jitter or reorder: using the relay (--kernel forces the nftables mode, with loss and duplication only)']);
}

/**
 * Kernel mode: netem when the kernel has it, else nftables (loss and duplication only). When not
 * forced, returns undefined where the relay would do better (delay asked for, no netem; or no nft).
 */
function kernelPlan(imp: Impairment, forced: boolean): Plan | undefined {
  const network = newLabNetwork();
  network.create();
  try {
    if (network.applyNetem(imp)) return { mode: 'kernel-netem', inForce: imp, unavailable: [], network, notes: [] };
    const needsNft = imp.lossPct > 0 || imp.duplicatePct > 0;
    if (!forced && (needsDelay(imp) || (needsNft && findExecutable('nft') === undefined))) {
      network.destroy();
      return undefined;
    }
    network.applyNftables(imp);
    const unavailable = (['delayMs', 'jitterMs', 'reorderPct'] as const).filter((k) => imp[k] > 0);
    const notes = unavailable.length > 0 ? [`this kernel has no netem: ${unavailable.map(flagOf).join(', ')} cannot be applied in kernel-nftables mode (use --relay for them)`] : [];
    return { mode: 'kernel-nftables', inForce: { ...imp, delayMs: 0, jitterMs: 0, reorderPct: 0 }, unavailable, network, notes };
  } catch (err) {
    network.destroy();
    throw err;
  }
}

function flagOf(key: string): string {
  return `--${key.replace(/(Ms|Pct)$/, '')}`;
}

/** What each mode cannot show, said in the result and the report. */
function modeNotes(plan: Plan): string[] {
  const notes = [...plan.notes];
  switch (plan.mode) {
    case 'none':
      notes.push('no impairment: loopback never loses or reorders, so both protocols deliver everything in order; try --loss 5 or --delay 100');
      break;
    case 'relay':
      notes.push(
        'relay mode (user space): UDP datagrams are lost, duplicated, delayed and reordered as asked; TCP gets only the delay and jitter, ' +
          'and its handshake is with the relay, so it is not delayed. No TCP segment is ever lost here, so real TCP retransmissions ' +
          'and head-of-line blocking cannot be seen: run as root for kernel mode',
      );
      break;
    case 'kernel-netem':
      notes.push('kernel mode with tc netem on a veth link between two network namespaces: TCP really retransmits, UDP really loses');
      break;
    case 'kernel-nftables':
      notes.push('kernel mode with nftables rules on a veth link between two network namespaces: TCP really retransmits, UDP really loses');
      break;
  }
  return notes;
}

function serverErrorNotes(tcp: ProtocolRecord, udp: ProtocolRecord): string[] {
  const notes: string[] = [];
  for (const r of [tcp, udp]) {
    if (r.serverErrors.length > 0) {
      notes.push(`the server refused ${r.serverErrors.length} of the ${r.proto.toUpperCase()} sender's messages ("${r.serverErrors[0]}"): lower --rate or --size`);
    }
  }
  return notes;
}

async function tryCapture(stage: Stage, file: string): Promise<{ capture?: Capture; problem?: string }> {
  const tool = findCaptureTool();
  if (tool === undefined) return { problem: CAPTURE_INSTALL_HINT };
  try {
    const capture = await startCapture(tool, { iface: stage.captureIface, tcpPort: stage.tcpPort, udpPort: stage.udpPort, file, prefix: stage.capturePrefix });
    return { capture };
  } catch (err) {
    return { problem: `no capture: ${err instanceof Error ? err.message : String(err)}` };
  }
}

async function readCapture(capture: Capture, stage: Stage): Promise<CaptureReport | null> {
  const summary = await summarizeCapture(capture.target.file, { tcp: stage.tcpPort, udp: stage.udpPort }).catch(() => undefined);
  if (summary === undefined) return null;
  return { tool: capture.tool.name, file: capture.target.file, iface: capture.target.iface, where: stage.captureWhere, summary };
}
