/**
 * Entry point of the processes kernel mode runs inside its namespaces:
 *
 *     ip netns exec charla-…-s node worker.js server     the lab's chat servers
 *     ip netns exec charla-…-c node worker.js clients    the lab's senders and receivers
 *     ip netns exec charla-…-c node worker.js arq-receiver   an ARQ run's receiving end
 *     ip netns exec charla-…-s node worker.js arq-sender     an ARQ run's sending end
 *
 * Each reads one JSON line of configuration on stdin and answers with JSON lines on stdout
 * (`{"ready":…}`, `{"progress":…}`, `{"records":…}`, `{"side":…}` or `{"error":…}`). Stdin stays open for the
 * run: when it closes (the parent finished, or died) the worker exits, and a deadline ends it in
 * any case, so no worker outlives its run.
 */
import { createInterface, type Interface } from 'node:readline';
import type { ResolvedArqConfig } from '../protocol/arq/index.js';
import { CharlaError } from '../util/errors.js';
import { openArqReceiver, runArqSender, type SenderRun, sharedClock } from './arq-ends.js';
import { type ClientPlan, type ProtocolProgress, runClients } from './clients.js';
import { startLabServers } from './lab-server.js';

/** Configuration of `worker.js server`. */
export interface ServerWorkerConfig {
  host: string;
  sizeBytes: number;
  deadlineMs: number;
}

/** Configuration of `worker.js clients`. */
export interface ClientsWorkerConfig {
  plans: ClientPlan[];
  deadlineMs: number;
}

/** Configuration of `worker.js arq-receiver`: it answers `{"ready":{"port"}}`, and its side on the next stdin line. */
export interface ArqReceiverWorkerConfig {
  config: ResolvedArqConfig;
  host: string;
  dropAcks: number[];
  deadlineMs: number;
}

/** Configuration of `worker.js arq-sender`: it sends, then answers `{"side":…}`. */
export interface ArqSenderWorkerConfig {
  run: Omit<SenderRun, 'now' | 'dropData'>;
  dropData: number[];
  deadlineMs: number;
}

const PROGRESS_EVERY_MS = 100;

function emit(message: object): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function serve(config: ServerWorkerConfig, stdinClosed: Promise<void>): Promise<void> {
  const servers = await startLabServers(config.host, config.sizeBytes);
  emit({ ready: { tcpPort: servers.tcpPort, udpPort: servers.udpPort } });
  await Promise.race([stdinClosed, new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()))]);
  await servers.close();
}

async function clients(config: ClientsWorkerConfig, stdinClosed: Promise<void>): Promise<void> {
  const controller = new AbortController();
  void stdinClosed.then(() => controller.abort(new Error('the parent went away')));
  process.once('SIGTERM', () => controller.abort(new Error('stopped')));
  const latest = new Map<string, ProtocolProgress>();
  let last = 0;
  const onProgress = (p: ProtocolProgress): void => {
    latest.set(p.proto, p);
    const t = performance.now();
    if (t - last < PROGRESS_EVERY_MS && p.phase !== 'done') return;
    last = t;
    emit({ progress: [...latest.values()] });
  };
  const records = await Promise.all(config.plans.map((plan) => runClients(plan, onProgress, controller.signal)));
  emit({ records });
}

async function arqReceiver(config: ArqReceiverWorkerConfig, lines: Interface, stdinClosed: Promise<void>): Promise<void> {
  const end = await openArqReceiver({ config: config.config, host: config.host, now: sharedClock, dropAcks: new Set(config.dropAcks) });
  emit({ ready: { port: end.port } });
  await Promise.race([stdinClosed, new Promise<void>((resolve) => lines.once('line', () => resolve()))]);
  emit({ side: end.side() });
  await end.close();
}

async function arqSender(config: ArqSenderWorkerConfig, stdinClosed: Promise<void>): Promise<void> {
  const controller = new AbortController();
  void stdinClosed.then(() => controller.abort(new Error('the parent went away')));
  process.once('SIGTERM', () => controller.abort(new Error('stopped')));
  const side = await runArqSender({ ...config.run, now: sharedClock, dropData: new Set(config.dropData) }, controller.signal);
  emit({ side });
}

async function main(): Promise<void> {
  const role = process.argv[2];
  const lines = createInterface({ input: process.stdin });
  const first = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    lines.once('close', () => reject(new Error('no configuration on stdin')));
  });
  const stdinClosed = new Promise<void>((resolve) => lines.once('close', () => resolve()));
  const config = JSON.parse(await first) as { deadlineMs: number };
  setTimeout(() => {
    emit({ error: { code: 'ERR_UNAVAILABLE', message: `the ${role} worker passed its deadline of ${config.deadlineMs} ms` } });
    process.exit(3);
  }, config.deadlineMs).unref();
  if (role === 'server') await serve(config as ServerWorkerConfig, stdinClosed);
  else if (role === 'clients') await clients(config as ClientsWorkerConfig, stdinClosed);
  else if (role === 'arq-receiver') await arqReceiver(config as ArqReceiverWorkerConfig, lines, stdinClosed);
  else if (role === 'arq-sender') await arqSender(config as ArqSenderWorkerConfig, stdinClosed);
  else throw new Error(`unknown worker role "${role}"`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const code = err instanceof CharlaError ? err.code : undefined;
    emit({ error: { code, message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined } });
    process.exit(1);
  },
);
