/**
 * Kernel mode's network: two network namespaces of charla's own, joined by a veth link, so the
 * chat server (in one) and the lab's clients (in the other) talk through a real link whose
 * packets the kernel can lose, delay or duplicate. TCP then really retransmits.
 *
 *     charla-PID-RAND-s                      charla-PID-RAND-c
 *     server   lab0 10.200.0.1/30  <---->  lab1 10.200.0.2/30   clients
 *              (netem, or nft dup)         (nft loss on ingress)
 *
 * Nothing here touches the host's interfaces, routes or nftables: every command runs inside one
 * of the two namespaces, which start empty and have no route anywhere but each other, and
 * deleting them removes the link, the qdisc and the rules with them. Neighbour entries are
 * static, so no ARP traffic is lost or captured. Names carry the creator's pid so parallel runs
 * never collide and `charla compare --cleanup` knows which leftovers belong to dead runs.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CharlaError } from '../util/errors.js';
import { type Impairment, netemArgs, nftDuplicateRuleset, nftLossRuleset } from './impairment.js';

/** Every namespace charla makes is named `charla-<pid>-<random>-s|c`. */
const NAME = /^charla-(\d+)-([0-9a-z]+)-[sc]$/;
const COMMAND_TIMEOUT_MS = 10_000;

/** The link's fixed addresses: they exist only inside the two namespaces. */
export const LINK = {
  serverDevice: 'lab0',
  clientDevice: 'lab1',
  serverAddress: '10.200.0.1',
  clientAddress: '10.200.0.2',
  prefix: 30,
  serverMac: '02:00:0a:c8:00:01',
  clientMac: '02:00:0a:c8:00:02',
} as const;

/** An executable on PATH (or in the sbin folders, which a non-login root shell may lack). */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why kernel mode cannot run here, or undefined when it can (root and `ip`). */
export function kernelModeProblem(): string | undefined {
  if (process.platform !== 'linux') return 'kernel mode needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'kernel mode needs root (it creates network namespaces): run with sudo, or use --relay';
  if (findExecutable('ip') === undefined) return 'kernel mode needs the ip command: apt-get install iproute2';
  return undefined;
}

/** Which ends of the link impair what they send: the server's (tcp and udp), or both (ARQ's DATA and ACKs). */
export type ImpairedEnds = 'server' | 'both';

/** A pair of namespaces and their link. `destroy()` is synchronous so it can run in an exit hook. */
export class LabNetwork {
  readonly id: string;
  readonly serverNs: string;
  readonly clientNs: string;
  #destroyed = false;

  constructor(id: string) {
    this.id = id;
    this.serverNs = `${id}-s`;
    this.clientNs = `${id}-c`;
  }

  /** argv that runs `argv` inside namespace `ns`. */
  inNs(ns: string, argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', ns, ...argv];
  }

  /** Builds the namespaces and the link. On failure, removes whatever it made and rethrows. */
  create(): void {
    live.add(this);
    installExitHook();
    const s = this.serverNs;
    const c = this.clientNs;
    try {
      ip('netns', 'add', s);
      ip('netns', 'add', c);
      ip('-n', s, 'link', 'add', LINK.serverDevice, 'address', LINK.serverMac, 'type', 'veth', 'peer', 'name', LINK.clientDevice, 'address', LINK.clientMac, 'netns', c);
      for (const [ns, dev, addr, peer, peerMac] of [
        [s, LINK.serverDevice, LINK.serverAddress, LINK.clientAddress, LINK.clientMac],
        [c, LINK.clientDevice, LINK.clientAddress, LINK.serverAddress, LINK.serverMac],
      ] as const) {
        ip('-n', ns, 'link', 'set', dev, 'addrgenmode', 'none'); // no IPv6 chatter on the link
        ip('-n', ns, 'addr', 'add', `${addr}/${LINK.prefix}`, 'dev', dev);
        ip('-n', ns, 'link', 'set', 'lo', 'up');
        ip('-n', ns, 'link', 'set', dev, 'up');
        ip('-n', ns, 'neigh', 'replace', peer, 'lladdr', peerMac, 'dev', dev, 'nud', 'permanent');
      }
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /**
   * Applies the impairment with `tc netem` on the server's end of the link (what it sends), and
   * with `both` on the clients' end too (what they send back: the ARQ lab's ACKs). False when
   * this kernel has no netem ("Specified qdisc kind is unknown"); other failures throw.
   */
  applyNetem(impairment: Impairment, ends: ImpairedEnds = 'server'): boolean {
    const tc = findExecutable('tc');
    if (tc === undefined) return false;
    const devices: Array<[string, string]> = [[this.serverNs, LINK.serverDevice]];
    if (ends === 'both') devices.push([this.clientNs, LINK.clientDevice]);
    try {
      for (const [ns, dev] of devices) run(tc, ['-n', ns, 'qdisc', 'add', 'dev', dev, 'root', 'netem', ...netemArgs(impairment)]);
      return true;
    } catch (err) {
      if (/unknown|not supported|No such file/i.test(errorText(err))) return false;
      throw err;
    }
  }

  /**
   * Applies loss and duplication with nftables rules inside the namespaces: on what the server
   * sends, and with `both` on what the clients send back too (loss on the server's ingress,
   * duplication in the clients' postrouting).
   */
  applyNftables(impairment: Impairment, ends: ImpairedEnds = 'server'): void {
    const rules: Array<[string, string | undefined]> = [
      [this.clientNs, nftLossRuleset(LINK.clientDevice, impairment)],
      [this.serverNs, nftDuplicateRuleset(LINK.serverDevice, LINK.clientAddress, impairment)],
    ];
    if (ends === 'both') {
      rules.push([this.serverNs, nftLossRuleset(LINK.serverDevice, impairment)], [this.clientNs, nftDuplicateRuleset(LINK.clientDevice, LINK.serverAddress, impairment)]);
    }
    if (rules.every(([, r]) => r === undefined)) return;
    const nft = findExecutable('nft');
    if (nft === undefined) throw new CharlaError('ERR_UNAVAILABLE', 'this kernel has no netem, and nftables is not installed: apt-get install nftables (or use --relay)');
    for (const [ns, ruleset] of rules) if (ruleset !== undefined) run('ip', this.inNs(ns, [nft, '-f', '/dev/stdin']).slice(1), ruleset);
  }

  /** Kills what still runs inside the namespaces and deletes them (and so the link and its rules). */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    live.delete(this);
    removeNamespace(this.clientNs);
    removeNamespace(this.serverNs);
  }
}

/** A new network with a name no other run has. */
export function newLabNetwork(): LabNetwork {
  const random = Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0');
  return new LabNetwork(`charla-${process.pid}-${random}`);
}

/** charla's namespaces now on this machine (from any run). */
export function listLabNamespaces(): string[] {
  let out = '';
  try {
    out = run('ip', ['netns', 'list']);
  } catch {
    return [];
  }
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => NAME.test(n));
}

/**
 * Removes the namespaces of runs whose process is gone (a crash, a kill -9): what
 * `charla compare --cleanup` does. Those of live runs are left alone. Returns what it removed.
 */
export function cleanupLeftovers(): string[] {
  const removed: string[] = [];
  for (const ns of listLabNamespaces()) {
    const pid = Number(NAME.exec(ns)?.[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    removeNamespace(ns);
    removed.push(ns);
  }
  return removed;
}

/** True while `pid` runs (a zombie, killed but not yet reaped, counts as gone). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Kills the processes charla left inside `ns`, then deletes it. Never throws. */
function removeNamespace(ns: string): void {
  try {
    const pids = run('ip', ['netns', 'pids', ns]).split(/\s+/).filter((p) => /^\d+$/.test(p));
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // no such namespace
  }
  try {
    run('ip', ['netns', 'del', ns]);
  } catch {
    // already gone
  }
}

// --- the last line of defence: whatever is still up when the process exits is removed ---

const live = new Set<LabNetwork>();
let hooked = false;

function installExitHook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const net of [...live]) net.destroy();
  });
}

function ip(...args: string[]): string {
  return run('ip', args);
}

/** Runs a command synchronously (bounded); throws with its stderr in the message. */
function run(cmd: string, args: readonly string[], input?: string): string {
  try {
    return execFileSync(cmd === 'ip' ? (findExecutable('ip') ?? 'ip') : cmd, args, {
      encoding: 'utf8',
      timeout: COMMAND_TIMEOUT_MS,
      stdio: ['pipe', 'pipe', 'pipe'],
      input: input ?? '',
    });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')}: ${errorText(err).trim()}`, { cause: err });
  }
}

function errorText(err: unknown): string {
  const e = err as { stderr?: string | Buffer; message?: string };
  const stderr = e.stderr === undefined ? '' : String(e.stderr);
  return stderr !== '' ? stderr : (e.message ?? String(err));
}
