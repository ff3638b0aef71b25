/**
 * Kernel mode for the ARQ protocols: the sending end in the server's namespace, the receiving
 * end in the clients', each in a worker process (worker.ts), so DATA and ACKs cross the real
 * veth link and the kernel loses, delays or duplicates them. With `--direction both` (the
 * default) both ends of the link impair what they send, so ACKs are lost too; `--direction data`
 * impairs the server's end only, as for tcp and udp.
 *
 *     charla-…-s  ARQ sender  lab0 ──DATA──>  lab1  ARQ receiver  charla-…-c
 *                             lab0 <──ACK───  lab1
 *
 * `--drop data:K,ack:K` is applied by the ends themselves: the k-th DATA (ACK) is not put on the
 * wire, so a scripted loss happens the same way in every mode.
 */
import { fileURLToPath } from 'node:url';
import { CharlaError } from '../util/errors.js';
import type { ReceiverSide, SenderSide } from './arq-ends.js';
import { type ArqPlan, type ArqRecord, arqConfigOf, arqRecordOf } from './arq-run.js';
import type { ArqDirection } from './arq-link.js';
import { type Impairment, needsDelay } from './impairment.js';
import { findExecutable, LINK, type LabNetwork, newLabNetwork } from './netns.js';
import { Worker } from './stage.js';
import type { ArqReceiverWorkerConfig, ArqSenderWorkerConfig } from './worker.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
const WORKER_READY_MS = 15_000;
const SIDE_MS = 10_000;

/** The namespaces of the ARQ runs, with the impairment applied, and what of it is in force. */
export interface ArqKernelNetwork {
  network: LabNetwork;
  mode: 'kernel-netem' | 'kernel-nftables';
  inForce: Impairment;
  /** Flags this mode could not apply (netem missing: delay, jitter, reorder). */
  unavailable: string[];
}

/**
 * Builds the namespaces and impairs the link: netem when the kernel has it, else nftables (loss
 * and duplication only; what it cannot apply is listed in `unavailable`). Not `forced` (no
 * `--kernel`), undefined where the relay would do better: a delay asked for and no netem.
 */
export function arqKernelNetwork(imp: Impairment, direction: ArqDirection, forced: boolean): ArqKernelNetwork | undefined {
  const network = newLabNetwork();
  network.create();
  const ends = direction === 'both' ? 'both' : 'server';
  try {
    if (network.applyNetem(imp, ends)) return { network, mode: 'kernel-netem', inForce: imp, unavailable: [] };
    if (!forced && (needsDelay(imp) || findExecutable('nft') === undefined)) {
      network.destroy();
      return undefined;
    }
    if ((imp.lossPct > 0 || imp.duplicatePct > 0) && findExecutable('nft') === undefined) {
      throw new CharlaError('ERR_UNAVAILABLE', 'this kernel has no netem, and nftables is not installed: apt-get install nftables (or use --relay)');
    }
    network.applyNftables(imp, ends);
    const unavailable = (['delayMs', 'jitterMs', 'reorderPct'] as const).filter((k) => imp[k] > 0);
    return { network, mode: 'kernel-nftables', inForce: { ...imp, delayMs: 0, jitterMs: 0, reorderPct: 0 }, unavailable };
  } catch (err) {
    network.destroy();
    throw err;
  }
}

/** Runs one protocol across the namespaces' link; resolves like runArq. */
export async function runArqKernel(plan: ArqPlan, net: LabNetwork, signal?: AbortSignal): Promise<ArqRecord> {
  const config = arqConfigOf(plan.protocol, plan.settings);
  const deadlineMs = plan.graceMs + (plan.rate === 'max' ? 0 : ((plan.messages - 1) / plan.rate) * 1000) + 30_000;
  const rxConfig: ArqReceiverWorkerConfig = { config, host: LINK.clientAddress, dropAcks: [...plan.settings.drops.ack], deadlineMs };
  const receiver = new Worker(net.inNs(net.clientNs, [process.execPath, WORKER, 'arq-receiver']), rxConfig);
  let sender: Worker | undefined;
  const onAbort = (): void => {
    void sender?.stop();
    void receiver.stop();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { port } = await receiver.next<{ port: number }>('ready', WORKER_READY_MS);
    const txConfig: ArqSenderWorkerConfig = {
      run: {
        config,
        protocol: plan.protocol,
        runId: plan.runId,
        messages: plan.messages,
        sizeBytes: plan.sizeBytes,
        rate: plan.rate,
        graceMs: plan.graceMs,
        host: LINK.serverAddress,
        target: { host: LINK.clientAddress, port },
      },
      dropData: [...plan.settings.drops.data],
      deadlineMs,
    };
    sender = new Worker(net.inNs(net.serverNs, [process.execPath, WORKER, 'arq-sender']), txConfig);
    const tx = await sender.next<SenderSide>('side', deadlineMs);
    receiver.send({ finish: true });
    const rx = await receiver.next<ReceiverSide>('side', SIDE_MS);
    // What the link lost is what one end put on it and the other did not take off (at least 0: the kernel may duplicate).
    return arqRecordOf(plan, config, tx, rx, {
      data: tx.datagramsOut,
      ack: rx.acksOut,
      dataLost: tx.dropped + Math.max(0, tx.datagramsOut - tx.dropped - rx.datagramsIn),
      ackLost: rx.acksDropped + Math.max(0, rx.acksOut - rx.acksDropped - tx.acksIn),
      bytes: tx.bytes + rx.bytes,
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await sender?.stop();
    await receiver.stop();
    signal?.throwIfAborted();
  }
}
