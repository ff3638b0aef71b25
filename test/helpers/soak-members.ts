import { type Pacer, pause, SoakTcp, SoakUdp } from './soak-sockets.js';
import { CHAT, readLeave, UNSAFE, WIRE } from './soak-wire.js';

/**
 * The soak's well-behaved clients ("members"): they join before the chaos, stay to the end, keep
 * under the rate limit, and check every line they receive as it arrives: messages of other members
 * in order and without gaps, the room's notices applied to their own copy of the user list, no
 * control characters, nothing a stranger sent. They keep counters, never the lines.
 */

/** One thing a member does during the chaos phase, `atMs` after the phase starts. */
export type MemberAction =
  | { atMs: number; kind: 'chat'; filler: string }
  | { atMs: number; kind: 'private'; to: string }
  | { atMs: number; kind: 'push'; to: string }
  | { atMs: number; kind: 'rename'; to: string };

/** What one member will do, fixed by the seed. */
export interface MemberPlan {
  sid: number;
  transport: 'tcp' | 'udp';
  name: string;
  actions: MemberAction[];
}

/** What all members share: who is a member, the long text for pushes, and the violation sink. */
export interface Roll {
  /** The member id behind a member's name (first or later), if it is one. */
  sidOf(name: string): number | undefined;
  /** True when member `sid` is on UDP (a gap in its messages is a UDP loss, counted apart). */
  onUdp(sid: number): boolean;
  /** True for a slow reader's name: "no such user" for it is expected once it was cut. */
  isSlow(name: string): boolean;
  /** Longest line a member may legitimately receive, in UTF-16 units. */
  maxLineChars: number;
  fail(message: string): void;
}

/** A member: a well-behaved TCP or UDP client that checks what it receives. */
export class Member {
  readonly plan: MemberPlan;
  readonly link: SoakTcp | SoakUdp;
  readonly #roll: Roll;
  /** The current name (it changes when the member's own rename notice arrives). */
  name: string;
  chatSent = 0;
  privatesSent = 0;
  /** Per sender id: the next sequence number expected (one past the last that arrived). */
  readonly nextSeq = new Map<number, number>();
  /** Per sender id: how many of its messages arrived. */
  readonly got = new Map<number, number>();
  /** The room as this member has seen it: its first /listar answer, then every notice. */
  roster: Set<string> | undefined;
  /** /listar answers not yet taken by `list()`. */
  readonly #answers: string[] = [];
  /** Texts of the private messages received ("p 3 7", "q 12 1"). */
  readonly privatesIn = new Set<string>();
  /** Private messages the server confirmed (its echo to the sender): target name and text. */
  readonly privatesOut: Array<{ to: string; text: string }> = [];
  /** Bytes of private messages to slow readers that the server confirmed. */
  pushedBytes = 0;
  gotGoodbye = false;
  linesIn = 0;
  /** Observer only: leave reasons and join counts by name, and lines watched for. */
  readonly leaves = new Map<string, string[]>();
  readonly joins = new Map<string, number>();
  readonly watched = new Set<string>();
  readonly #observer: boolean;

  private constructor(plan: MemberPlan, link: SoakTcp | SoakUdp, roll: Roll, observer: boolean) {
    this.plan = plan;
    this.link = link;
    this.name = plan.name;
    this.#roll = roll;
    this.#observer = observer;
    link.onLine = (line) => this.#onLine(line);
  }

  /** Connects (TCP) or binds (UDP), sends the name and waits for the welcome. */
  static async join(plan: MemberPlan, ports: { tcp: number; udp: number }, roll: Roll, options: { observer: boolean; waitMs: number; keepAliveMs: number }): Promise<Member> {
    const link =
      plan.transport === 'tcp'
        ? await SoakTcp.connect(ports.tcp, { keep: false, ms: options.waitMs })
        : await SoakUdp.open(ports.udp, { keep: false, ms: options.waitMs, recvBufferBytes: 4 << 20 });
    const member = new Member(plan, link, roll, options.observer);
    let welcomed = false;
    link.onLine = (line) => {
      if (!welcomed && WIRE.welcome.test(line)) welcomed = true;
      else member.#onLine(line);
    };
    link.sendLine(plan.name);
    if (link instanceof SoakUdp) link.keepAlive(options.keepAliveMs);
    await link.until(`${plan.name}'s welcome`, () => welcomed, options.waitMs);
    return member;
  }

  /** Sends /listar and resolves with the answer (the marker that all before it was handled). */
  async list(pacer: Pacer, signal: AbortSignal, ms: number): Promise<string> {
    await pacer.take(signal);
    this.link.sendLine('/listar');
    await this.link.until(`${this.name}'s /listar answer`, () => this.#answers.length > 0, ms);
    return this.#answers.shift() as string;
  }

  /** Carries out the plan's actions at their times (never faster than `pacer`). */
  async run(pacer: Pacer, signal: AbortSignal, startedAt: number): Promise<void> {
    for (const action of this.plan.actions) {
      await pause(startedAt + action.atMs - performance.now(), signal);
      await pacer.take(signal);
      if (this.link.closed) return;
      switch (action.kind) {
        case 'chat':
          this.link.sendLine(`m ${this.plan.sid} ${this.chatSent++} ${action.filler}`);
          break;
        case 'private':
          this.link.sendLine(`/msg ${action.to} p ${this.plan.sid} ${this.privatesSent++}`);
          break;
        case 'push':
          this.link.sendLine(`/msg ${action.to} ${PUSH_TEXT}`);
          break;
        case 'rename':
          this.link.sendLine(`/nick ${action.to}`);
          break;
      }
    }
  }

  /** Says goodbye and waits for the server to close (TCP) or for the goodbye (UDP, then closes). */
  async quit(pacer: Pacer, signal: AbortSignal, ms: number): Promise<void> {
    await pacer.take(signal);
    this.link.sendLine('/quitar');
    if (this.link instanceof SoakTcp) {
      await this.link.closedWithin(ms, `the server to close ${this.name}'s connection after /quitar`);
    } else {
      await this.link.until(`${this.name}'s goodbye`, () => this.gotGoodbye, ms);
      await this.link.close();
    }
  }

  #fail(message: string): void {
    this.#roll.fail(`${this.name} (${this.plan.transport}): ${message}`);
  }

  #onLine(line: string): void {
    this.linesIn++;
    if (UNSAFE.test(line)) this.#fail(`received a control character: ${JSON.stringify(line.slice(0, 120))}`);
    if (line.includes('STRANGER')) this.#fail(`received a UDP stranger's text: ${JSON.stringify(line.slice(0, 120))}`);
    if (line.length > this.#roll.maxLineChars) this.#fail(`received a ${line.length}-character line, longer than any the server should relay`);
    if (line.startsWith('***')) this.#onNotice(line);
    else if (line.startsWith('(')) this.#onPrivate(line);
    else if (WIRE.list.test(line)) this.#onList(line);
    else if (WIRE.error.test(line)) this.#onError(line);
    else this.#onChat(line);
  }

  #onChat(line: string): void {
    const chat = CHAT.exec(line);
    if (chat === null) {
      this.#fail(`received a line that is neither chat nor a notice: ${JSON.stringify(line.slice(0, 120))}`);
      return;
    }
    const from = chat[1] as string;
    if (this.#observer && /^h\d+$/.test(from)) this.watched.add(line);
    const sid = this.#roll.sidOf(from);
    if (sid === undefined) return; // a churner's chat: relayed, not counted
    const m = /^m (\d+) (\d+)(?: |$)/.exec(chat[2] as string);
    if (m === null || Number(m[1]) !== sid) {
      this.#fail(`a line from member ${from} is not one it sent: ${JSON.stringify(line.slice(0, 120))}`);
      return;
    }
    if (sid === this.plan.sid) this.#fail('received its own message back');
    const seq = Number(m[2]);
    const expected = this.nextSeq.get(sid) ?? 0;
    if (seq < expected) this.#fail(`got message ${seq} of ${from} after ${expected - 1} (a repeat or a reorder)`);
    // A gap over TCP both ways is a loss in the server; over UDP it is counted at the end.
    else if (seq > expected && this.plan.transport === 'tcp' && !this.#roll.onUdp(sid)) this.#fail(`got message ${seq} of ${from} when ${expected} was next (a gap)`);
    this.nextSeq.set(sid, Math.max(expected, seq + 1));
    this.got.set(sid, (this.got.get(sid) ?? 0) + 1);
  }

  #onNotice(line: string): void {
    const joined = WIRE.joined.exec(line);
    if (joined) {
      const name = joined[1] as string;
      if (this.#observer) this.joins.set(name, (this.joins.get(name) ?? 0) + 1);
      if (this.roster?.has(name)) this.#fail(`join notice for ${name}, who was already in the room`);
      this.roster?.add(name);
      return;
    }
    const leave = readLeave(line);
    if (leave) {
      if (this.#observer) this.leaves.set(leave.name, [...(this.leaves.get(leave.name) ?? []), leave.reason]);
      if (this.roster !== undefined && !this.roster.delete(leave.name)) this.#fail(`leave notice for ${leave.name}, who was not in the room`);
      return;
    }
    const renamed = WIRE.renamed.exec(line);
    if (renamed) {
      const [, old, name] = renamed as unknown as [string, string, string];
      if (this.roster !== undefined && !this.roster.delete(old)) this.#fail(`rename notice for ${old}, who was not in the room`);
      this.roster?.add(name);
      if (old === this.name) this.name = name;
      return;
    }
    if (WIRE.goodbye.test(line)) {
      this.gotGoodbye = true;
      return;
    }
    this.#fail(`unexpected notice: ${JSON.stringify(line)}`);
  }

  #onPrivate(line: string): void {
    const from = WIRE.privateFrom.exec(line);
    if (from) {
      const text = from[2] as string;
      const sender = /^p (\d+) \d+$/.exec(text);
      if (sender !== null && this.#roll.sidOf(from[1] as string) !== Number(sender[1])) this.#fail(`private message ${text} from ${from[1]}, who did not send it`);
      this.privatesIn.add(text);
      return;
    }
    const echo = WIRE.privateTo.exec(line);
    if (echo) {
      const [, to, text] = echo as unknown as [string, string, string];
      if (this.#roll.isSlow(to)) this.pushedBytes += Buffer.byteLength(line) + 1;
      else this.privatesOut.push({ to, text });
      return;
    }
    this.#fail(`unexpected line: ${JSON.stringify(line.slice(0, 120))}`);
  }

  #onList(line: string): void {
    if (this.roster === undefined) this.roster = new Set(listedNames(line));
    this.#answers.push(line);
  }

  #onError(line: string): void {
    const missing = WIRE.noSuchUser.exec(line);
    if (missing && this.#roll.isSlow(missing[1] as string)) return; // a push after that reader was cut
    this.#fail(`a well-behaved client got an error: ${JSON.stringify(line)}`);
  }
}

/** The names in a /listar answer, in the order shown. */
export function listedNames(answer: string): string[] {
  const m = WIRE.list.exec(answer);
  const users = m?.[1] ?? '';
  return users === '' ? [] : users.split(', ');
}

/**
 * The text of a private message to a slow reader: just under a line's limit, so a few hundred of
 * them overflow the kernel's buffers (megabytes on loopback) and then the server's bound.
 */
export const PUSH_TEXT = `push ${'ñ'.repeat(10)}${'x'.repeat(3960)}`;

/**
 * A client that joins, then never reads again. The room's private messages to it pile up in the
 * kernel and then in the server, which must cut it off at `maxQueuedBytes` ("no leía a tiempo")
 * while everyone else goes on. It never sees its own cut: a paused socket reads no reset.
 */
export class SlowReader {
  readonly name: string;
  readonly link: SoakTcp;

  private constructor(name: string, link: SoakTcp) {
    this.name = name;
    this.link = link;
  }

  static async join(name: string, port: number, waitMs: number): Promise<SlowReader> {
    const link = await SoakTcp.connect(port, { keep: false, ms: waitMs });
    let welcomed = false;
    link.onLine = (line) => {
      welcomed ||= WIRE.welcome.test(line);
    };
    link.sendLine(name);
    await link.until(`${name}'s welcome`, () => welcomed, waitMs);
    link.socket.pause();
    return new SlowReader(name, link);
  }
}
