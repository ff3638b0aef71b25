/**
 * `--capture`: records the run's own packets with tcpdump or tshark into a .pcap that Wireshark
 * opens, and summarises it with `pcap.ts`. The capture filter names the run's ports only, so
 * nothing else on the machine is recorded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { CharlaError } from '../util/errors.js';
import { findExecutable } from './netns.js';
import { type CaptureSummary, parsePcap, summarizePackets } from './pcap.js';

/** A capture program found on this machine. */
export interface CaptureTool {
  name: 'tcpdump' | 'tshark';
  path: string;
}

/** What to say when neither tool is installed. */
export const CAPTURE_INSTALL_HINT =
  'no packet capture tool is installed: install tcpdump (sudo apt-get install tcpdump) or tshark (sudo apt-get install tshark), then run again with --capture';

/** tcpdump if installed, else tshark, else undefined. */
export function findCaptureTool(): CaptureTool | undefined {
  for (const name of ['tcpdump', 'tshark'] as const) {
    const path = findExecutable(name);
    if (path !== undefined) return { name, path };
  }
  return undefined;
}

/** Where and what to capture. */
export interface CaptureTarget {
  iface: string;
  tcpPort: number | undefined;
  udpPort: number | undefined;
  file: string;
  /** Prefix that runs the tool inside a namespace (`ip netns exec NS`), if any. */
  prefix: readonly string[];
}

/** A capture that is running. */
export interface Capture {
  readonly tool: CaptureTool;
  readonly target: CaptureTarget;
  /** Stops the tool (SIGINT, as Ctrl+C would: it flushes the file) and waits for it to exit. */
  stop(): Promise<void>;
}

const READY_MS = 5000;
const STOP_MS = 5000;

/** The BPF filter for the run's ports: "tcp port 41234 or udp port 41235". */
export function captureFilter(tcpPort: number | undefined, udpPort: number | undefined): string {
  const parts: string[] = [];
  if (tcpPort !== undefined) parts.push(`tcp port ${tcpPort}`);
  if (udpPort !== undefined) parts.push(`udp port ${udpPort}`);
  return parts.join(' or ');
}

/** Starts the tool and resolves once it says it is capturing. */
export async function startCapture(tool: CaptureTool, target: CaptureTarget): Promise<Capture> {
  const filter = captureFilter(target.tcpPort, target.udpPort);
  // An 8 MiB kernel buffer (the default is 2 MiB): a capture on a busy machine must not drop the
  // very packets the lesson counts (`-B` is in KiB for tcpdump, MiB for tshark).
  const args =
    tool.name === 'tcpdump'
      ? ['-i', target.iface, '-n', '-U', '--immediate-mode', '-B', '8192', '-w', target.file, ...(process.getuid?.() === 0 ? ['-Z', 'root'] : []), filter]
      : ['-i', target.iface, '-n', '-q', '-B', '8', '-F', 'pcap', '-w', target.file, '-f', filter];
  const argv = [...target.prefix, tool.path, ...args];
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      if (/listening on|Capturing on/i.test(stderr)) resolve();
    });
    child.once('error', reject);
    child.once('exit', () => reject(new Error(stderr.trim() || `${tool.name} exited`)));
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([ready, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${tool.name} did not start within ${READY_MS} ms`)), READY_MS)))]);
  } catch (err) {
    kill(child, 'SIGKILL');
    const why = (err instanceof Error ? err.message : String(err)).split('\n').filter((l) => l.trim() !== '').at(-1) ?? '';
    throw new CharlaError('ERR_UNAVAILABLE', `${tool.name} could not capture on ${target.iface}: ${why}${/permission|not permitted/i.test(why) ? ' (capturing needs root or the cap_net_raw capability)' : ''}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
  return {
    tool,
    target,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      kill(child, 'SIGINT');
      const t = setTimeout(() => kill(child, 'SIGKILL'), STOP_MS);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Reads the file a capture wrote and summarises it for the server's ports. */
export async function summarizeCapture(file: string, ports: { tcp: number | undefined; udp: number | undefined }): Promise<CaptureSummary> {
  const { packets, otherPackets } = parsePcap(await readFile(file));
  return summarizePackets(packets, ports, otherPackets);
}

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    // already gone
  }
}
