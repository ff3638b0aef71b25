/**
 * Where a run happens. A stage has servers the clients can reach and runs the clients:
 * - `localStage`: everything in this process on loopback: the lab's servers (or a `--host`
 *   server), optionally behind the impairment relay (modes "none" and "relay");
 * - `namespaceStage`: the server and the clients in worker processes inside kernel mode's two
 *   namespaces, on either side of the impaired link.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CharlaError, type CharlaErrorCode } from '../util/errors.js';
import { type ClientPlan, type ProtocolProgress, type ProtocolRecord, runClients } from './clients.js';
import { startLabServers } from './lab-server.js';
import { LINK, type LabNetwork } from './netns.js';
import type { CompareOptions } from './options.js';
import { type Relay, type RelayCounters, startRelay } from './relay.js';
import type { ClientsWorkerConfig, ServerWorkerConfig } from './worker.js';

/** What the clients connect to and where a capture listens. */
export interface Stage {
  /** Address and ports the clients use (the relay's in relay mode). */
  clientHost: string;
  tcpPort: number;
  udpPort: number;
  /** Capture: interface, and the prefix that runs a command where that interface is. */
  captureIface: string;
  capturePrefix: readonly string[];
  /** In words, for the report: "loopback", "the server's end of the veth link". */
  captureWhere: string;
  /** 65536 on loopback, 1500 on the veth link. */
  mtu: number;
  relayCounters: RelayCounters | undefined;
  runClients(plans: ClientPlan[], onProgress: (p: ProtocolProgress) => void, signal: AbortSignal): Promise<ProtocolRecord[]>;
  close(): Promise<void>;
}

/** Servers (own or `--host`) and, in relay mode, the relay, all in this process. */
export async function localStage(opts: CompareOptions, relay: boolean): Promise<Stage> {
  const own = opts.target === undefined ? await startLabServers('127.0.0.1', opts.sizeBytes) : undefined;
  const server = opts.target ?? { host: '127.0.0.1', tcpPort: own?.tcpPort ?? 0, udpPort: own?.udpPort ?? 0 };
  let relayed: Relay | undefined;
  try {
    if (relay) {
      relayed = await startRelay({
        serverHost: server.host,
        serverTcpPort: server.tcpPort,
        serverUdpPort: server.udpPort,
        impairment: opts.impairment,
        seed: opts.seed,
      });
    }
  } catch (err) {
    await own?.close();
    throw err;
  }
  const loopback = relayed !== undefined || isLoopback(server.host);
  return {
    clientHost: relayed !== undefined ? '127.0.0.1' : server.host,
    tcpPort: relayed?.tcpPort ?? server.tcpPort,
    udpPort: relayed?.udpPort ?? server.udpPort,
    captureIface: loopback ? 'lo' : 'any',
    capturePrefix: [],
    captureWhere: relayed !== undefined ? 'loopback, between the clients and the relay' : loopback ? 'loopback' : 'every interface',
    mtu: loopback ? 65536 : 1500,
    relayCounters: relayed?.counters,
    runClients: (plans, onProgress, signal) => Promise.all(plans.map((plan) => runClients(plan, onProgress, signal))),
    async close() {
      await relayed?.close();
      await own?.close();
    },
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
const WORKER_READY_MS = 15_000;

/** The lab's server in the server namespace; the clients run in the client namespace. */
export async function namespaceStage(net: LabNetwork, opts: CompareOptions, deadlineMs: number): Promise<Stage> {
  const config: ServerWorkerConfig = { host: LINK.serverAddress, sizeBytes: opts.sizeBytes, deadlineMs };
  const server = new Worker(net.inNs(net.serverNs, [process.execPath, WORKER, 'server']), config);
  let ready: { tcpPort: number; udpPort: number };
  try {
    ready = await server.next<{ tcpPort: number; udpPort: number }>('ready', WORKER_READY_MS);
  } catch (err) {
    await server.stop();
    throw err;
  }
  let clients: Worker | undefined;
  return {
    clientHost: LINK.serverAddress,
    tcpPort: ready.tcpPort,
    udpPort: ready.udpPort,
    captureIface: LINK.serverDevice,
    capturePrefix: net.inNs(net.serverNs, []),
    captureWhere: "the server's end of the veth link (before the loss on the link)",
    mtu: 1500,
    relayCounters: undefined,
    async runClients(plans, onProgress, signal) {
      const cfg: ClientsWorkerConfig = { plans, deadlineMs };
      clients = new Worker(net.inNs(net.clientNs, [process.execPath, WORKER, 'clients']), cfg);
      const worker = clients;
      const onAbort = (): void => void worker.stop();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        return await worker.next<ProtocolRecord[]>('records', deadlineMs, (msg) => {
          for (const p of (msg.progress as ProtocolProgress[] | undefined) ?? []) onProgress(p);
        });
      } finally {
        signal.removeEventListener('abort', onAbort);
        signal.throwIfAborted();
      }
    },
    async close() {
      await clients?.stop();
      await server.stop();
    },
  };
}

/**
 * A worker process: one JSON configuration line in, JSON lines out. Stopped by closing its stdin
 * (it exits by itself), then by SIGKILL to its pid if it does not within a few seconds.
 */
export class Worker {
  readonly #child: ChildProcess;
  readonly #messages: Array<Record<string, unknown>> = [];
  #wake: () => void = () => {};
  #stderr = '';
  #exited = false;

  constructor(argv: readonly string[], config: object) {
    this.#child = spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdin?.on('error', () => {});
    this.#child.stdin?.write(`${JSON.stringify(config)}\n`);
    let buffer = '';
    this.#child.stdout?.setEncoding('utf8');
    this.#child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          this.#messages.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.#stderr += `${line}\n`; // not ours: keep it for the error message
        }
      }
      this.#wake();
    });
    this.#child.stderr?.setEncoding('utf8');
    this.#child.stderr?.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    this.#child.on('error', (err) => {
      this.#stderr += String(err);
      this.#exited = true;
      this.#wake();
    });
    this.#child.on('exit', () => {
      this.#exited = true;
      this.#wake();
    });
  }

  /** The next message with property `key` (others go to `onOther`); rejects on error, exit or timeout. */
  next<T>(key: string, ms: number, onOther: (msg: Record<string, unknown>) => void = () => {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wake = () => {};
        reject(new CharlaError('ERR_UNAVAILABLE', `a lab worker gave no "${key}" within ${ms} ms${this.#detail()}`));
      }, ms);
      const check = (): void => {
        while (this.#messages.length > 0) {
          const msg = this.#messages.shift() as Record<string, unknown>;
          if (key in msg) {
            clearTimeout(timer);
            resolve(msg[key] as T);
            return;
          }
          if ('error' in msg) {
            clearTimeout(timer);
            const e = msg.error as { code?: CharlaErrorCode; message: string; stack?: string };
            reject(e.code !== undefined ? new CharlaError(e.code, e.message) : new Error(`lab worker: ${e.stack ?? e.message}`));
            return;
          }
          onOther(msg);
        }
        if (this.#exited) {
          clearTimeout(timer);
          reject(new CharlaError('ERR_UNAVAILABLE', `a lab worker exited before "${key}"${this.#detail()}`));
          return;
        }
        this.#wake = check;
      };
      check();
    });
  }

  /** One more JSON line on the worker's stdin. */
  send(message: object): void {
    if (!this.#exited) this.#child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  #detail(): string {
    const text = this.#stderr.trim();
    return text === '' ? '' : `: ${text.split('\n').slice(-3).join(' | ')}`;
  }

  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stdin?.end();
    const timer = setTimeout(() => {
      if (this.#child.pid !== undefined && !this.#exited) {
        try {
          process.kill(this.#child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }, 3000);
    await exited;
    clearTimeout(timer);
  }
}
