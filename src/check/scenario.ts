/**
 * What a scenario is and what it has to work with. A scenario drives a few fresh clients
 * against the server under test and returns undefined (PASS) or a Finding (FAIL): what it saw,
 * as a catalogue key and its parameters. The explanation (concept and fix) is the scenario's
 * own catalogue entry, `check_explain_<id>`.
 */
import { randomBytes } from 'node:crypto';
import type { MessageKey } from '../hub/messages.js';
import { showBytes, showText } from './escape.js';
import { type Endpoint, type Inbox, TcpProbe, UdpProbe, sleep } from './probe.js';

export type Group = 'seed' | 'robustness' | 'client';
export type Status = 'pass' | 'fail' | 'skip';
export type Framing = 'lf' | 'crlf' | 'none' | 'unknown';

/** What a failing scenario saw: a `check_found_*` key and its parameters. */
export interface Finding {
  key: MessageKey;
  params: Record<string, string | number>;
}

/** Timing knobs, the same for every scenario of a run. */
export interface Timing {
  /** Pause after each seed-style send, so two sends never share one recv() (ms). */
  pauseMs: number;
  /** How long to wait for something that should arrive (ms). */
  waitMs: number;
  /** How long to watch for something that should not arrive (ms). */
  quietMs: number;
}

export const TIMING_DEFAULTS: Timing = { pauseMs: 100, waitMs: 2000, quietMs: 300 };

/** What the run learns as it goes (how the server frames its output). */
export interface RunState {
  framing: Framing;
}

/** The evidence lines of one scenario and the clients to close when it ends. */
export class Ctx {
  readonly tcp: Endpoint | undefined;
  readonly udp: Endpoint | undefined;
  readonly signal: AbortSignal;
  readonly timing: Timing;
  readonly state: RunState;
  readonly evidence: string[] = [];
  readonly #probes: Inbox[] = [];
  readonly #names = new Set<string>();

  constructor(tcp: Endpoint | undefined, udp: Endpoint | undefined, signal: AbortSignal, timing: Timing, state: RunState) {
    this.tcp = tcp;
    this.udp = udp;
    this.signal = signal;
    this.timing = timing;
    this.state = state;
  }

  /** A fresh name: `prefix` and 4 random letters and digits (valid for any reasonable server). */
  name(prefix: string): string {
    for (let i = 0; i < 10; i++) {
      const name = `${prefix}${randomBytes(4).readUInt32BE(0).toString(36).slice(0, 4)}`;
      if (!this.#names.has(name)) {
        this.#names.add(name);
        return name;
      }
    }
    return `${prefix}${this.#names.size}`;
  }

  /** A fresh word to look for in the stream. */
  token(prefix = 'm'): string {
    return `${prefix}${randomBytes(5).toString('hex')}`;
  }

  get seconds(): number {
    return Math.round(this.timing.waitMs / 100) / 10;
  }

  /** A TCP client, closed when the scenario ends. */
  async connect(label: string): Promise<TcpProbe> {
    if (this.tcp === undefined) throw new Error('no TCP target');
    const probe = await TcpProbe.connect(label, this.tcp, this.timing.pauseMs, this.signal);
    this.#probes.push(probe);
    return probe;
  }

  /** Joins like the seed's client: connect, send the name alone, wait for the greeting to end. */
  async join(name: string): Promise<TcpProbe> {
    const probe = await this.connect(name);
    await this.sendBare(probe, name);
    await probe.quiet(150, 1500);
    return probe;
  }

  /** Joins several at once (their join notices to each other are not what is checked). */
  async joinAll(names: string[]): Promise<TcpProbe[]> {
    const probes = await Promise.all(
      names.map(async (name) => {
        const probe = await this.connect(name);
        await this.sendBare(probe, name, false);
        return probe;
      }),
    );
    await Promise.all(probes.map((p) => p.quiet(150, 2000)));
    return probes;
  }

  /** Joins like netcat or telnet: the name as a line. */
  async joinLine(name: string, eol = '\n'): Promise<TcpProbe> {
    const probe = await this.connect(name);
    await this.sendLine(probe, name, eol);
    await sleep(this.timing.pauseMs, this.signal);
    await probe.quiet(150, 1500);
    return probe;
  }

  /** A UDP client that has sent its name. */
  async udpJoin(name: string): Promise<UdpProbe> {
    if (this.udp === undefined) throw new Error('no UDP target');
    const probe = await UdpProbe.open(name, this.udp, this.timing.pauseMs, this.signal);
    this.#probes.push(probe);
    await this.sendBare(probe, name);
    return probe;
  }

  async sendBare(probe: TcpProbe | UdpProbe, text: string, log = true): Promise<void> {
    if (log) this.sent(probe, Buffer.from(text, 'utf8'));
    await probe.sendBare(text);
  }

  async sendLine(probe: TcpProbe, text: string, eol = '\n'): Promise<void> {
    this.sent(probe, Buffer.from(text + eol, 'utf8'));
    await probe.sendLine(text, eol);
  }

  async write(probe: TcpProbe, bytes: Uint8Array): Promise<void> {
    this.sent(probe, bytes);
    await probe.write(bytes);
  }

  /** Evidence: what `probe` sent. */
  sent(probe: Inbox, bytes: Uint8Array): void {
    this.evidence.push(`${probe.label} → ${showBytes(bytes)}`);
  }

  /** Evidence: what `probe` received since `mark` (or "nothing"). */
  saw(probe: Inbox, mark: number): string {
    const got = probe.since(mark);
    const shown = showText(got);
    this.evidence.push(`${probe.label} ← ${got === '' ? '∅' : shown}${probe.closed && probe.closedBy !== 'us' ? ' [closed]' : ''}`);
    return shown;
  }

  /** Evidence: a line of its own. */
  note(line: string): void {
    this.evidence.push(line);
  }

  /**
   * Closes every client of the scenario. With `graceMs`, the TCP clients still open and reading
   * first half-close (a FIN) and wait, at most that long, for the server to close them in turn:
   * a server is then done letting this scenario's clients go when the next scenario's come. (A
   * threaded server that walks its list of clients while another thread removes one, as the
   * seed's does, can break a client joining at that moment, and the next scenario would fail
   * for this one.) A client that stopped reading is closed at once: that is what frees a server
   * blocked on it.
   */
  async close(graceMs = 0): Promise<void> {
    if (graceMs > 0 && !this.signal.aborted) {
      const open: TcpProbe[] = [];
      for (const p of this.#probes) {
        if (p instanceof TcpProbe && !p.closed && !p.socket.isPaused()) {
          p.finish();
          open.push(p);
        } else p.destroy();
      }
      await Promise.all(open.map((p) => p.waitClosed(graceMs)));
    }
    for (const p of this.#probes) p.destroy();
  }
}

/** One scenario: a stable id, its group and transport, its deadline and its traffic bound. */
export interface Scenario {
  id: string;
  group: Group;
  transport: 'tcp' | 'udp';
  deadlineMs: number;
  /** Most bytes it sends, connections it opens, datagrams it sends (said before a remote run). */
  traffic: { bytes: number; connections: number; datagrams: number };
  run(ctx: Ctx): Promise<Finding | undefined>;
}
