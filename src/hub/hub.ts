import { createHash, timingSafeEqual } from 'node:crypto';
import { parseCommand } from '../protocol/command.js';
import { sanitize } from '../protocol/sanitize.js';
import { runCommand } from './commands.js';
import { confusableKey } from './confusables.js';
import { LIST_SEPARATOR } from './list-lines.js';
import { type Lang, type LeaveReason, type Translate, leaveNotice, translator } from './messages.js';
import { checkName, foldName, MAX_MARKS_PER_BASE, normalizeName, type NameProblem } from './names.js';
import type { Peer } from './peer.js';

/** Options of the chat room itself (transport limits live with the transports). */
export interface HubOptions {
  /** Language of everything the server says. */
  lang: Lang;
  /** Longest name, in code points. */
  maxNameLength: number;
  /** Most named users at once; 0 = no limit. */
  maxUsers: number;
  /** Most connections (named or not) from one address; 0 = no limit. */
  maxConnectionsPerAddress: number;
  /** Addresses exempt from `maxConnectionsPerAddress` (a predicate, so subnets can be allowed). */
  isExemptAddress: (address: string) => boolean;
  /**
   * When set, a connection must send `/pass PASSWORD` before its name. A wrong password closes
   * the connection; nobody in the room ever hears of it.
   */
  password: string | undefined;
  /** Server console, one line per call; the hub logs joins, leaves and refusals. */
  log: (line: string) => void;
}

/** The silent log: with it the hub does not even format its log lines. */
export const noLog = (_line: string): void => {};

export const HUB_DEFAULTS: HubOptions = {
  lang: 'es',
  maxNameLength: 24,
  maxUsers: 0,
  maxConnectionsPerAddress: 0,
  isExemptAddress: () => false,
  password: undefined,
  log: noLog,
};

/** One connection as the hub sees it; named once `name` is set. */
export interface Session {
  readonly peer: Peer;
  /** Undefined until the first valid name line. */
  name: string | undefined;
  /** `foldName(name)`: the key that makes names unique. */
  key: string | undefined;
  /** True once the server password was given (always true when there is none). */
  authenticated: boolean;
}

const NAME_ERRORS: Record<NameProblem, 'name_empty' | 'name_too_long' | 'name_invalid' | 'name_marks' | 'name_reserved'> = {
  empty: 'name_empty',
  too_long: 'name_too_long',
  invalid: 'name_invalid',
  marks: 'name_marks',
  reserved: 'name_reserved',
};

const NOT_BLANK = /\S/;
const SLASH = 0x2f;

/** The password line, `/pass SECRET` (also `/contraseña`, `/clave`). */
const PASS_LINE = /^\/(?:pass|contrase(?:ñ|n)a|clave)\s+(.*)$/i;

/** Users shown by name in the welcome line; past this (or past the peer's line bound) it shows a count. */
const WELCOME_LIST_MAX = 20;

/**
 * The chat room: sessions, names, commands and broadcast. Pure logic: it is driven by
 * `connect` / `input` / `leave` calls from transports and speaks only through `Peer.send`.
 * TCP and UDP users share one hub, so they are in one room.
 */
export class Hub {
  readonly options: HubOptions;
  readonly t: Translate;
  readonly #sessions = new Map<Peer, Session>();
  /** Named sessions in join order (the order /listar shows). */
  readonly #joined = new Map<Peer, Session>();
  readonly #byKey = new Map<string, Session>();
  /** Named sessions by `confusableKey(name)`: a look-alike of a present name is taken too. */
  readonly #byLookalike = new Map<string, Session>();
  readonly #perAddress = new Map<string, number>();
  #closed = false;

  constructor(options: Partial<HubOptions> = {}) {
    this.options = { ...HUB_DEFAULTS, ...options };
    this.t = translator(this.options.lang);
  }

  /** False when the log is `noLog`: callers can skip formatting log lines. */
  get logging(): boolean {
    return this.options.log !== noLog;
  }

  /** Named users now. */
  get userCount(): number {
    return this.#joined.size;
  }

  /** Connections now, named or not. */
  get connectionCount(): number {
    return this.#sessions.size;
  }

  /** Names in join order. */
  names(): string[] {
    return [...this.#joined.values()].map((s) => s.name as string);
  }

  /** The session of `peer`, if it is connected. */
  session(peer: Peer): Session | undefined {
    return this.#sessions.get(peer);
  }

  /** The named session called `name` (any case), if any. */
  findByName(name: string): Session | undefined {
    return this.#byKey.get(foldName(normalizeName(name)));
  }

  /**
   * A new connection, not yet named. Returns false (after telling the peer why and closing it)
   * when the server is full or its address has too many connections.
   */
  connect(peer: Peer): boolean {
    const { maxUsers, maxConnectionsPerAddress } = this.options;
    if (this.#closed) {
      peer.close('server_shutdown');
      return false;
    }
    if (maxUsers > 0 && this.#joined.size >= maxUsers && !this.#makeRoom(peer, undefined)) {
      return this.#refuse(peer, this.t('server_full', { max: maxUsers }));
    }
    if (
      maxConnectionsPerAddress > 0 &&
      (this.#perAddress.get(peer.address) ?? 0) >= maxConnectionsPerAddress &&
      !this.options.isExemptAddress(peer.address) &&
      !this.#makeRoom(peer, peer.address)
    ) {
      return this.#refuse(peer, this.t('too_many_connections', { max: maxConnectionsPerAddress }));
    }
    this.#perAddress.set(peer.address, (this.#perAddress.get(peer.address) ?? 0) + 1);
    this.#sessions.set(peer, { peer, name: undefined, key: undefined, authenticated: this.options.password === undefined });
    return true;
  }

  /**
   * A full server (or, with `address`, a full address) makes room for `newcomer` by sending away
   * the oldest provisional user (a UDP address never shown to receive: perhaps forged), so that
   * forged registrations can never lock out anyone whose address is proven. A provisional
   * newcomer gets no room. True when room was made.
   */
  #makeRoom(newcomer: Peer, address: string | undefined): boolean {
    if (newcomer.provisional === true) return false;
    let victim: Session | undefined;
    for (const session of address === undefined ? this.#joined.values() : this.#sessions.values()) {
      if (session.peer.provisional === true && (address === undefined || session.peer.address === address)) {
        victim = session;
        break;
      }
    }
    if (victim === undefined) return false;
    victim.peer.close('displaced');
    this.leave(victim.peer, 'displaced');
    return true;
  }

  #refuse(peer: Peer, line: string): false {
    peer.send(line);
    peer.close('kicked');
    if (this.logging) this.options.log(this.t('log_dropped', { peer: peer.id, reason: this.t('reason_kicked') }));
    return false;
  }

  /** One line (TCP) or datagram (UDP) from `peer`, decoded but not yet sanitised. */
  input(peer: Peer, raw: string): void {
    const session = this.#sessions.get(peer);
    if (session === undefined) return; // already gone: a late line after close
    const line = sanitize(raw);
    if (session.name === undefined) {
      this.#register(session, line);
      return;
    }
    if (!NOT_BLANK.test(line)) return; // an empty line is nothing to relay (the seed sent "name: ")
    if (line.charCodeAt(0) !== SLASH) {
      this.relay(session, line); // the common case, without building a Command for it
      return;
    }
    runCommand(this, session, parseCommand(line));
  }

  /** A chat message from `session` to everyone else. */
  relay(session: Session, text: string): void {
    this.broadcast(`${session.name}: ${text}`, session.peer); // seed: "name: msg", not echoed
  }

  /**
   * Sends `line` to every named user but `except`. `lazy` marks a room notice (join, leave,
   * rename) that the transport may batch with the next ones.
   */
  broadcast(line: string, except?: Peer, lazy = false): void {
    for (const peer of this.#joined.keys()) {
      if (peer !== except) peer.send(line, lazy, true);
    }
  }

  #register(session: Session, line: string): void {
    const { peer } = session;
    const first = parseCommand(line.trim());
    if (first.kind === 'quit') {
      peer.close('quit');
      return;
    }
    if (!session.authenticated) {
      this.#authenticate(session, line.trim());
      return;
    }
    // A client set up with a password (or a leftover CHARLA_PASSWORD) talking to a server
    // without one: its /pass line is not a name attempt, and needs no answer.
    if (PASS_LINE.test(line.trim())) return;
    const { maxUsers } = this.options;
    if (maxUsers > 0 && this.#joined.size >= maxUsers && !this.#makeRoom(peer, undefined)) {
      // Checked again here: several connections may have been let in before any named itself.
      peer.send(this.t('server_full', { max: maxUsers }));
      peer.close('kicked');
      return;
    }
    const name = normalizeName(line);
    const error = this.nameError(name, session);
    if (error !== undefined) {
      peer.send(error);
      return;
    }
    this.#name(session, name);
    peer.send(this.#welcome(peer, name));
    this.broadcast(this.t('user_joined', { name }), peer, true); // seed: everyone else hears the join
    if (this.logging) this.options.log(this.t('log_joined', { name, peer: peer.id }));
  }

  /** The welcome line: the names online when they are few and fit `peer`'s line bound, else their count. */
  #welcome(peer: Peer, name: string): string {
    const count = this.#joined.size;
    if (count <= WELCOME_LIST_MAX) {
      const listed = this.t('welcome', { name, users: this.names().join(LIST_SEPARATOR) });
      if (Buffer.byteLength(listed, 'utf8') <= peer.maxLineBytes) return listed;
    }
    return this.t('welcome', { name, users: count });
  }

  #authenticate(session: Session, line: string): void {
    const m = PASS_LINE.exec(line);
    if (m === null) {
      session.peer.send(this.t('password_required'));
      return;
    }
    if (!samePassword(m[1] ?? '', this.options.password ?? '')) {
      session.peer.send(this.t('password_wrong'));
      session.peer.close('kicked');
      return;
    }
    session.authenticated = true;
  }

  /**
   * The error line for `name` (normalised), or undefined when `session` may take it (with no
   * session: when a newcomer could take it).
   */
  nameError(name: string, session?: Session): string | undefined {
    const problem = checkName(name, this.options.maxNameLength);
    if (problem !== undefined) {
      return this.t(NAME_ERRORS[problem], { name, max: this.options.maxNameLength, marks: MAX_MARKS_PER_BASE });
    }
    const holder = this.#byKey.get(foldName(name));
    if (holder !== undefined && holder !== session) return this.t('name_taken', { name });
    const lookalike = this.#byLookalike.get(confusableKey(name));
    if (lookalike !== undefined && lookalike !== session) return this.t('name_taken', { name });
    return undefined;
  }

  #name(session: Session, name: string): void {
    session.name = name;
    session.key = foldName(name);
    this.#byKey.set(session.key, session);
    this.#byLookalike.set(confusableKey(name), session);
    this.#joined.set(session.peer, session);
  }

  /** Renames a named session (the name already checked with `nameError`). */
  rename(session: Session, name: string): void {
    if (session.key !== undefined) this.#byKey.delete(session.key);
    if (session.name !== undefined) this.#forgetLookalike(session);
    session.name = name;
    session.key = foldName(name);
    this.#byKey.set(session.key, session);
    this.#byLookalike.set(confusableKey(name), session);
  }

  #forgetLookalike(session: Session): void {
    const key = confusableKey(session.name as string);
    if (this.#byLookalike.get(key) === session) this.#byLookalike.delete(key);
  }

  /**
   * `peer` is gone (or is being sent away) for `reason`: forget it and tell the room once.
   * Idempotent: a second call for the same peer does nothing, so the hub and the transport can
   * both report a departure without a double notice.
   */
  leave(peer: Peer, reason: LeaveReason): void {
    const session = this.#sessions.get(peer);
    if (session === undefined) return;
    this.#sessions.delete(peer);
    const left = (this.#perAddress.get(peer.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(peer.address, left);
    else this.#perAddress.delete(peer.address);
    if (session.name === undefined) {
      if (this.logging) this.options.log(this.t('log_dropped', { peer: peer.id, reason: this.t(`reason_${reason}`) }));
      return;
    }
    this.#joined.delete(peer);
    if (session.key !== undefined && this.#byKey.get(session.key) === session) this.#byKey.delete(session.key);
    this.#forgetLookalike(session);
    if (this.#closed) return;
    this.broadcast(leaveNotice(this.t, session.name, reason), undefined, true);
    if (this.logging) this.options.log(this.t('log_left', { name: session.name, reason: this.t(`reason_${reason}`) }));
  }

  /**
   * Server shutdown: every connection is told and closed. Later `leave` calls announce nothing
   * (everyone is leaving) and later `connect` calls are refused.
   */
  shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    const notice = this.t('server_closing');
    this.options.log(this.t('log_shutdown', { users: this.#joined.size }));
    for (const session of [...this.#sessions.values()]) {
      if (session.name !== undefined) session.peer.send(notice);
      session.peer.close('server_shutdown');
    }
  }
}

/** Compares passwords in constant time (through fixed-length digests). */
function samePassword(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
