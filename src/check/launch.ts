/**
 * Starting a server under test (folder mode): free loopback ports, the command line with its
 * placeholders filled in (no shell: a path with spaces stays one argument), a bounded wait for
 * it to listen, and a stop that always ends it (SIGTERM, then SIGKILL), by its own pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { sleep } from './probe.js';

/** A port nothing listens on now (bound, read back and released). */
export async function freePort(kind: 'tcp' | 'udp', host = '127.0.0.1'): Promise<number> {
  if (kind === 'tcp') {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Splits a command line into words: spaces separate, '…' and "…" group, \ escapes. */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new Error(`unclosed ${quote} in the command`);
  if (inWord) words.push(word);
  return words;
}

export interface Placeholders {
  file: string;
  port: number;
  udpPort: number;
  host: string;
}

/** The command's words with {file}, {dir}, {host}, {port} and {udp_port} filled in. */
export function fillCommand(words: readonly string[], p: Placeholders): string[] {
  return words.map((w) =>
    w.replace(/\{(file|dir|host|port|udp_port)\}/g, (_, k: string) =>
      k === 'file' ? p.file : k === 'dir' ? dirname(p.file) : k === 'host' ? p.host : k === 'port' ? String(p.port) : String(p.udpPort),
    ),
  );
}

/** A started server under test. */
export interface Launched {
  child: ChildProcess;
  /** Last bytes of its stderr and stdout (for the report when it crashes). */
  output(): string;
  exitCode(): number | null | undefined;
  stop(): Promise<void>;
}

const OUTPUT_KEEP = 2000;

export function launch(argv: readonly string[], cwd?: string): Launched {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('empty command');
  const child = spawn(cmd, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
  });
  let out = '';
  const keep = (chunk: Buffer): void => {
    out = (out + chunk.toString('utf8')).slice(-OUTPUT_KEEP);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  let spawnError: string | undefined;
  const gone = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = code ?? (signal !== null ? 128 : null);
      resolve();
    });
    child.on('error', (err) => {
      spawnError = err.message;
      exited = exited ?? 127;
      resolve();
    });
  });
  return {
    child,
    output: () => (spawnError !== undefined ? `${spawnError}\n${out}` : out),
    exitCode: () => exited,
    async stop() {
      if (exited !== undefined || child.pid === undefined) return;
      child.kill('SIGTERM');
      const stopped = await Promise.race([gone.then(() => true), sleep(1000).then(() => false)]);
      if (!stopped && exited === undefined) {
        child.kill('SIGKILL');
        await Promise.race([gone, sleep(2000)]);
      }
    },
  };
}

/** Ports in a LISTEN (TCP) or bound (UDP) state, from /proc/net; undefined where there is none. */
function boundPorts(kind: 'tcp' | 'udp'): Set<number> | undefined {
  const ports = new Set<number>();
  let any = false;
  for (const file of [`/proc/net/${kind}`, `/proc/net/${kind}6`]) {
    let body: string;
    try {
      body = readFileSync(file, 'utf8');
      any = true;
    } catch {
      continue;
    }
    for (const line of body.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      const st = cols[3];
      if (local === undefined || st === undefined) continue;
      if (kind === 'tcp' && st !== '0A') continue; // LISTEN
      ports.add(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return any ? ports : undefined;
}

/**
 * Waits (at most `ms`) until something listens on every given port, or the child exits.
 * On Linux it reads /proc/net (so the server never sees a probing connection); elsewhere it
 * connects to the TCP port, and gives a UDP port half a second.
 */
export async function waitListening(l: Launched, host: string, ports: { tcp?: number; udp?: number }, ms: number): Promise<'listening' | 'exited' | 'timeout'> {
  const ends = performance.now() + ms;
  const startedAt = performance.now();
  for (let i = 0; i < 10_000; i++) {
    if (l.exitCode() !== undefined) return 'exited';
    if (performance.now() > ends) return 'timeout';
    let ready = true;
    if (ports.tcp !== undefined) {
      const listening = boundPorts('tcp');
      ready &&= listening !== undefined ? listening.has(ports.tcp) : await canConnect(host, ports.tcp);
    }
    if (ports.udp !== undefined && ready) {
      const bound = boundPorts('udp');
      ready &&= bound !== undefined ? bound.has(ports.udp) : performance.now() - startedAt > 500;
    }
    if (ready) return 'listening';
    await sleep(50);
  }
  return 'timeout';
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
