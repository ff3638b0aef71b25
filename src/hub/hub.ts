import { createHash, timingSafeEqual } from 'node:crypto';
import { parseCommand } from '../protocol/command.js';
import { sanitize } from '../protocol/sanitize.js';
import { type Clock, monotonic, turnWallClock } from '../util/clock.js';
import { runCommand } from './commands.js';
import { confusableKey } from './confusables.js';
import { splitUtf8 } from '../protocol/irc.js';
import { type ChatEvent, type EventArgs, type Refusal, refusal, reply, type RoomList, type Welcome, WELCOME_LIST_MAX } from './events.js';
import { type Lang, type LeaveReason, type MessageKey, type Translate, translator } from './messages.js';
import { checkName, foldName, ircNick, ircNickKey, isRoomName, MAX_MARKS_PER_BASE, MAX_ROOM_NAME_LENGTH, normalizeName, type NameProblem } from './names.js';
import type { BusEvent, BusUser, HubBus } from './bus.js';
import type { Peer } from './peer.js';
import { RemotePeer } from './remote-peer.js';
import { Room } from './room.js';
import { RoomSet } from './room-set.js';
import { RoomLog } from './room-log.js';
import type { RoomMessage } from './events.js';
import type { HistoryStore } from './store/history-store.js';

/**
 * What a hub counts over its life, for `/metrics` (src/transport/status.ts). Each counter moves
 * once per message, connection or departure, never once per delivery: `deliveries` adds a
 * room's size per message.
 */
export interface HubCounters {
  /** Connections the hub took (named or not; refused ones are not counted). */
  connections: number;
  /** Chat messages this node's users sent to a room (accepted: not muted). */
  messages: number;
  /** Room messages handed to this node's users (each message counts its receivers). */
  deliveries: number;
  /** Departures of named users and of connections that never took a name, by reason. */
  readonly leaves: Record<LeaveReason, number>;
}

/** Every leave reason, in a fixed order (the metric's label values). */
export const LEAVE_REASONS: readonly LeaveReason[] = [
  'quit', 'disconnected', 'connection_lost', 'timeout', 'slow', 'flood', 'kicked', 'server_shutdown', 'error', 'unreachable', 'echo', 'displaced', 'no_ack', 'resumed', 'removed',
];

/** Options of the chat itself (transport limits live with the transports). */
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
  /** When set, `/admin KEY` with this key makes a user an operator. */
  adminPassword: string | undefined;
  /** Most rooms at once, `general` included. */
  maxRooms: number;
  /** Messages each room keeps (0 = no history), and the most bytes they may take. */
  history: number;
  historyBytes: number;
  /** Messages replayed to a user entering a room (0 = none: line clients see what they always saw). */
  replayOnJoin: number;
  /** Where room history survives restarts (--data-dir); undefined = in memory only. */
  store: HistoryStore | undefined;
  /** Server console, one line per call; the hub logs joins, leaves and refusals. */
  log: (line: string) => void;
  /** Monotonic clock: mutes, the wrong-key delay. */
  now: Clock;
  /** Wall clock, ms since the epoch: the server time of each message (by default read once per event-loop turn). */
  wallClock: () => number;
  /** Runs `fn` after `ms` (the wrong-operator-key delay); injected so tests can move time. */
  schedule: (ms: number, fn: () => void) => void;
  /**
   * The cluster this hub is one node of (src/cluster/, `--redis`): local users' room events go
   * through it and come back in the cluster's order (hub/bus.ts). Undefined: this hub is the
   * whole chat, and delivers everything at once.
   */
  bus: HubBus | undefined;
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
  adminPassword: undefined,
  maxRooms: 100,
  history: 200,
  historyBytes: 256 * 1024,
  replayOnJoin: 0,
  store: undefined,
  log: noLog,
  now: monotonic,
  wallClock: turnWallClock,
  schedule: (ms, fn) => void setTimeout(fn, ms).unref(),
  bus: undefined,
};

/** Lines a session may send while its name claim is out to the cluster; more are dropped. */
export const MAX_HELD_LINES = 64;

/** The seed's one room: everyone starts here, and it never goes away. */
export const GENERAL_ROOM = 'general';

/** Lines `/historial` replays when it is not told how many. */
export const DEFAULT_HISTORY_ASK = 20;
/** Minutes `/silenciar` mutes for when it is not told. */
export const DEFAULT_MUTE_MINUTES = 10;
/**
 * Longest topic, in UTF-8 bytes (IRC's TOPICLEN): a longer one is cut at a character boundary,
 * so that `:nick!nick@host TOPIC #room :text` and the 332 that shows it fit one IRC line.
 */
export const TOPIC_MAX_BYTES = 300;
/** A wrong operator key is answered after this long, and no other attempt is taken meanwhile. */
export const ADMIN_RETRY_DELAY_MS = 2000;

/** One connection as the hub sees it; named once `name` is set. */
export interface Session {
  readonly peer: Peer;
  /** Undefined until the first valid name line. */
  name: string | undefined;
  /** `foldName(name)`: the key that makes names unique. */
  key: string | undefined;
  /** `ircNick(name)`: how IRC clients see this user (hub/names.ts); unique like the name. */
  nick: string | undefined;
  /** True once the server password was given (always true when there is none). */
  authenticated: boolean;
  /** The room a line user is in (undefined until named). */
  room: Room | undefined;
  /** Every room the user is in (a line user: just `room`; IRC clients may JOIN several). */
  readonly rooms: RoomSet<Room>;
  /** Gave the operator key. */
  operator: boolean;
  /** The cluster node this user is on, when it is not this one (the peer is then a RemotePeer). */
  node: string | undefined;
  /**
   * What few users ever have (a mute, a farewell, a pending operator key...), made on first
   * need (`extraOf`): an idle user costs the server none of it, and a server holds thousands.
   */
  extra: SessionExtra | undefined;
}

/** The rarely used part of a Session. */
export interface SessionExtra {
  /** What an IRC user said as they left (QUIT :text, PART :text), for the notice. */
  farewell: string | undefined;
  /** Muted until this time on the hub's clock (0: not muted). */
  mutedUntil: number;
  /** A wrong operator key is being answered (after a delay). */
  adminPending: boolean;
  /** Who removed this user, and why, for the room's notice. */
  removedBy: string | undefined;
  removedBecause: string | undefined;
  /** Lines that arrived while a name claim was out to the cluster, handled once it is answered. */
  held: string[] | undefined;
}

/** `session.extra`, made when it is first needed. */
export function extraOf(session: Session): SessionExtra {
  return (session.extra ??= { farewell: undefined, mutedUntil: 0, adminPending: false, removedBy: undefined, removedBecause: undefined, held: undefined });
}

const NO_EXTRA: Readonly<SessionExtra> = Object.freeze({ farewell: undefined, mutedUntil: 0, adminPending: false, removedBy: undefined, removedBecause: undefined, held: undefined });

/**
 * The hub's Session. It is also the set of its own rooms (`rooms` is the session itself), so
 * that a user in one room costs one object, not a session and a room set: a server holds tens
 * of thousands of idle users.
 */
class HubSession extends RoomSet<Room> implements Session {
  readonly peer: Peer;
  name: string | undefined = undefined;
  key: string | undefined = undefined;
  nick: string | undefined = undefined;
  authenticated: boolean;
  room: Room | undefined = undefined;
  operator: boolean;
  node: string | undefined;
  extra: SessionExtra | undefined = undefined;

  constructor(peer: Peer, authenticated: boolean, operator: boolean, node: string | undefined) {
    super();
    this.peer = peer;
    this.authenticated = authenticated;
    this.operator = operator;
    this.node = node;
  }

  get rooms(): RoomSet<Room> {
    return this;
  }
}

/** A session just connected, not named yet. */
function newSession(peer: Peer, authenticated: boolean, operator: boolean, node: string | undefined): Session {
  return new HubSession(peer, authenticated, operator, node);
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

/**
 * The chat: sessions, names, limits, operators, and the rooms. Pure logic: it is driven by
 * `connect` / `input` / `leave` calls from transports and speaks only through `Peer.deliver`,
 * in events that each transport renders (src/encode/). TCP, UDP (and every later transport)
 * users share one hub, so they meet in the same rooms.
 */
export class Hub {
  readonly options: HubOptions;
  readonly t: Translate;
  /**
   * Local sessions not named yet. Named ones are in #joined only: one map entry per user, not
   * two (a map entry is some 40 bytes, and a server holds tens of thousands of idle users).
   */
  readonly #unnamed = new Map<Peer, Session>();
  /** Named sessions in join order, this node's and (in a cluster) the other nodes'. */
  readonly #joined = new Map<Peer, Session>();
  /** How many of #joined are other nodes' users. */
  #remoteUsers = 0;
  readonly #byKey = new Map<string, Session>();
  /** Named sessions by `confusableKey(name)`: a look-alike of a present name is taken too. */
  readonly #byLookalike = new Map<string, Session>();
  /** Named sessions by `ircNickKey(ircNick(name))`: a name whose IRC nick is someone else's is taken too. */
  readonly #byNick = new Map<string, Session>();
  readonly #perAddress = new Map<string, number>();
  /** Rooms by `foldName` of their name; `general` first and always there. */
  readonly #rooms = new Map<string, Room>();
  readonly #general: Room;
  readonly #bus: HubBus | undefined;
  #closed = false;
  /** Its counters over its life (read by `/metrics`). */
  readonly counters: HubCounters = {
    connections: 0,
    messages: 0,
    deliveries: 0,
    leaves: Object.fromEntries(LEAVE_REASONS.map((r) => [r, 0])) as Record<LeaveReason, number>,
  };

  constructor(options: Partial<HubOptions> = {}) {
    this.options = { ...HUB_DEFAULTS, ...options };
    this.#bus = this.options.bus;
    this.t = translator(this.options.lang);
    this.#general = this.#openRoom(GENERAL_ROOM);
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
    return this.#unnamed.size + this.#joined.size - this.#remoteUsers;
  }

  /** Connections now from `address` (named or not): what `maxConnectionsPerAddress` counts. */
  connectionsFrom(address: string): number {
    return this.#perAddress.get(address) ?? 0;
  }

  /** Every named user's name, server-wide, in join order. */
  names(): string[] {
    return [...this.#joined.values()].map((s) => s.name as string);
  }

  /** The rooms now, `general` first, then in the order they were made. */
  rooms(): Room[] {
    return [...this.#rooms.values()];
  }

  /** The room called `name` (any case), if it exists. */
  room(name: string): Room | undefined {
    return this.#rooms.get(foldName(normalizeName(name)));
  }

  /** The session of `peer`, if it is connected. */
  session(peer: Peer): Session | undefined {
    return this.#local(peer);
  }

  /** The local session of `peer`, named or not (another node's user is not one). */
  #local(peer: Peer): Session | undefined {
    const named = this.#joined.get(peer);
    if (named !== undefined) return named.node === undefined ? named : undefined;
    return this.#unnamed.get(peer);
  }

  /** The named session called `name` (any case), if any. */
  findByName(name: string): Session | undefined {
    return this.#byKey.get(foldName(normalizeName(name)));
  }

  /**
   * The named session called exactly `name` (as the hub stores it: what events carry), if any:
   * one fold and one map lookup, for an encoder that looks up the sender of every message (IRC's
   * host). No map by exact name: a server of 20,000 users saves its entries.
   */
  sessionNamed(name: string): Session | undefined {
    const session = this.#byKey.get(foldName(name));
    return session !== undefined && session.name === name ? session : this.findByName(name);
  }

  /** The named session shown on IRC as `nick` (ASCII case ignored), if any. */
  findByNick(nick: string): Session | undefined {
    return this.#byNickKey(ircNickKey(nick));
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
      return this.#refuse(peer, refusal('server_full', { max: maxUsers }));
    }
    if (
      maxConnectionsPerAddress > 0 &&
      (this.#perAddress.get(peer.address) ?? 0) >= maxConnectionsPerAddress &&
      !this.options.isExemptAddress(peer.address) &&
      !this.#makeRoom(peer, peer.address)
    ) {
      return this.#refuse(peer, refusal('too_many_connections', { max: maxConnectionsPerAddress }));
    }
    this.#perAddress.set(peer.address, (this.#perAddress.get(peer.address) ?? 0) + 1);
    this.#unnamed.set(peer, newSession(peer, this.options.password === undefined, false, undefined));
    this.counters.connections++;
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
    const isVictim = (session: Session): boolean => session.peer.provisional === true && (address === undefined || session.peer.address === address);
    let victim: Session | undefined;
    for (const session of this.#joined.values()) {
      if (isVictim(session)) {
        victim = session;
        break;
      }
    }
    // A full address may be full of connections that never gave a name, too.
    if (victim === undefined && address !== undefined) {
      for (const session of this.#unnamed.values()) {
        if (isVictim(session)) {
          victim = session;
          break;
        }
      }
    }
    if (victim === undefined) return false;
    victim.peer.close('displaced');
    this.leave(victim.peer, 'displaced');
    return true;
  }

  #refuse(peer: Peer, event: Refusal): false {
    peer.deliver(event);
    peer.close('kicked');
    if (this.logging) this.options.log(this.t('log_dropped', { peer: peer.id, reason: this.t('reason_kicked') }));
    return false;
  }

  /** Tells `session` `key` (a reply to what it asked). */
  reply(session: Session, key: MessageKey, args?: EventArgs): void {
    session.peer.deliver(reply(key, args));
  }

  /** Tells `session` that something was refused (`Error: ...`). */
  refuse(session: Session, key: MessageKey, args?: EventArgs): void {
    session.peer.deliver(refusal(key, args));
  }

  /** One line (TCP) or datagram (UDP) from `peer`, decoded but not yet sanitised. */
  input(peer: Peer, raw: string): void {
    const session = this.#local(peer);
    if (session === undefined) return; // already gone: a late line after close
    const held = session.extra?.held;
    if (held !== undefined) {
      // A name claim is out to the cluster: what follows waits for its answer, in order.
      if (held.length < MAX_HELD_LINES) held.push(raw);
      return;
    }
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

  /**
   * A chat message from `session` to everyone else in its room: logged in the room's history
   * (which gives it its id and server time), then handed to each member as one event.
   */
  relay(session: Session, text: string): void {
    if (this.isMuted(session)) return;
    const room = session.room as Room;
    this.counters.messages++;
    if (this.#bus !== undefined && this.#bus.publish({ t: 'msg', room: room.name, from: session.name as string, text }, session)) return;
    this.counters.deliveries += room.members.size - 1; // every member but the sender
    room.broadcast(room.log.append(session.name as string, text), session.peer); // seed: not echoed
  }

  /** True (after telling them so) when `session` is muted. A mute whose time is up is lifted here. */
  isMuted(session: Session): boolean {
    const extra = session.extra;
    if (extra === undefined || extra.mutedUntil === 0) return false;
    const left = extra.mutedUntil - this.options.now();
    if (left <= 0) {
      extra.mutedUntil = 0;
      return false;
    }
    this.refuse(session, 'muted', { minutes: Math.ceil(left / 60_000) });
    return true;
  }

  /** Hands `event` to every named user, in every room, once each. */
  broadcastAll(event: ChatEvent): void {
    for (const peer of this.#joined.keys()) peer.deliver(event);
  }

  /** Hands `event` to everyone in the rooms `session` is in (once each), but `session` itself. */
  broadcastAround(session: Session, event: ChatEvent): void {
    if (session.rooms.size <= 1) {
      for (const room of session.rooms) room.broadcast(event, session.peer);
      return;
    }
    const told = new Set<Peer>([session.peer]);
    for (const room of session.rooms) {
      for (const peer of room.members.keys()) {
        if (told.has(peer)) continue;
        told.add(peer);
        peer.deliver(event);
      }
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
      peer.deliver(refusal('server_full', { max: maxUsers }));
      peer.close('kicked');
      return;
    }
    const name = normalizeName(line);
    const error = this.nameError(name, session);
    if (error !== undefined) {
      peer.deliver(error);
      return;
    }
    this.#claim(session, name, (refused) => {
      if (refused !== undefined) peer.deliver(refused);
      else this.#admit(session, name);
    });
  }

  /** A line user's name is theirs: into `general`, welcomed, and the room hears of it. */
  #admit(session: Session, name: string): void {
    const { peer } = session;
    this.#name(session, name);
    const room = this.#general;
    this.#enter(session, room);
    peer.deliver(welcome(name, room, false));
    this.tellTopic(session, room, false);
    if (!this.#publish({ t: 'join', room: room.name, user: busUser(session) }, session)) {
      room.broadcast({ kind: 'joined', room: room.name, name, from: undefined }, peer); // seed: everyone else hears the join
    }
    this.#replay(session, room, this.options.replayOnJoin);
    if (this.logging) this.options.log(this.t('log_joined', { name, peer: peer.id }));
  }

  /** Hands `event` of the local `session` to the cluster; false when there is none or it is split (deliver here, now). */
  #publish(event: BusEvent, session: Session): boolean {
    return this.#bus !== undefined && this.#bus.publish(event, session);
  }

  /**
   * Claims `name` (checked locally) for `session` cluster-wide and then calls `done` with
   * undefined, or with the refusal: at once without a cluster; in a cluster once it answers,
   * holding the session's further lines until then (and not at all if the session is gone by then).
   */
  #claim(session: Session, name: string, done: (refused: Refusal | undefined) => void): void {
    const bus = this.#bus;
    if (bus === undefined) {
      done(undefined);
      return;
    }
    const extra = extraOf(session);
    extra.held = [];
    bus.claim(session, name, (answer) => {
      const held = extra.held ?? [];
      extra.held = undefined;
      const here = this.#local(session.peer) === session;
      // Someone may have come by this name meanwhile (a remote user this node heard of late).
      const refused =
        answer === 'unavailable'
          ? refusal('name_unavailable_split', { name })
          : answer === 'taken'
            ? refusal('name_taken', { name })
            : here
              ? this.nameError(name, session)
              : undefined;
      if (answer === 'ok' && (refused !== undefined || !here)) bus.release(session, name, session.name);
      if (!here) return;
      done(refused);
      for (let i = 0; i < held.length; i++) {
        const again = extra.held as string[] | undefined; // set again by a line below
        if (again !== undefined) {
          // Another claim went out (a second /nick): the rest waits for that one.
          again.push(...held.slice(i));
          break;
        }
        this.input(session.peer, held[i] as string);
      }
    });
  }

  #authenticate(session: Session, line: string): void {
    const m = PASS_LINE.exec(line);
    if (m === null) {
      session.peer.deliver(refusal('password_required'));
      return;
    }
    if (!samePassword(m[1] ?? '', this.options.password ?? '')) {
      session.peer.deliver(refusal('password_wrong'));
      session.peer.close('kicked');
      return;
    }
    session.authenticated = true;
  }

  /**
   * Why `name` (normalised) is refused, or undefined when `session` may take it (with no session:
   * when a newcomer could take it).
   */
  nameError(name: string, session?: Session): Refusal | undefined {
    const problem = checkName(name, this.options.maxNameLength);
    if (problem !== undefined) {
      return refusal(NAME_ERRORS[problem], { name, max: this.options.maxNameLength, marks: MAX_MARKS_PER_BASE });
    }
    const holder = this.#byKey.get(foldName(name)) ?? this.#byLookalikeKey(confusableKey(name)) ?? this.#byNickKey(ircNickKey(ircNick(name)));
    if (holder !== undefined && holder !== session) return refusal('name_taken', { name });
    return undefined;
  }

  #name(session: Session, name: string): void {
    this.#setName(session, name);
    this.#unnamed.delete(session.peer);
    this.#joined.set(session.peer, session);
  }

  // A name's look-alike key and IRC nick key are most often its key itself (`ana`, `bob`): then
  // the session is found through #byKey, and #byLookalike / #byNick hold only the ones that
  // differ, which saves two map entries (and two strings) per user. The look-alike key is not
  // kept in the session either: it is worked out again when needed (a name checked, a user
  // leaving), which is rare next to the memory of every idle user.
  #setName(session: Session, name: string): void {
    const key = foldName(name);
    const lookalike = confusableKey(name);
    const nick = ircNick(name);
    session.name = name;
    session.key = key === name ? name : key;
    session.nick = nick === name ? name : nick;
    this.#byKey.set(session.key, session);
    if (lookalike !== key) this.#byLookalike.set(lookalike, session);
    const nickKey = ircNickKey(session.nick);
    if (nickKey !== session.key) this.#byNick.set(nickKey, session);
  }

  #forgetName(session: Session): void {
    const { key, name, nick } = session;
    if (key !== undefined && this.#byKey.get(key) === session) this.#byKey.delete(key);
    const lookalike = name === undefined ? undefined : confusableKey(name);
    if (lookalike !== undefined && lookalike !== key && this.#byLookalike.get(lookalike) === session) this.#byLookalike.delete(lookalike);
    if (nick !== undefined) {
      const nickKey = ircNickKey(nick);
      if (this.#byNick.get(nickKey) === session) this.#byNick.delete(nickKey);
    }
  }

  /** The named session whose look-alike key is `lookalike`, if any. */
  #byLookalikeKey(lookalike: string): Session | undefined {
    const session = this.#byLookalike.get(lookalike) ?? this.#byKey.get(lookalike);
    return session !== undefined && session.name !== undefined && confusableKey(session.name) === lookalike ? session : undefined;
  }

  /** The named session whose IRC nick key (`ircNickKey`) is `nickKey`, if any. */
  #byNickKey(nickKey: string): Session | undefined {
    const session = this.#byNick.get(nickKey) ?? this.#byKey.get(nickKey);
    return session !== undefined && session.nick !== undefined && ircNickKey(session.nick) === nickKey ? session : undefined;
  }

  /**
   * Renames a named session (the name already checked with `nameError`; in a cluster, once the
   * cluster grants it); its rooms hear of it.
   */
  rename(session: Session, name: string): void {
    this.#claim(session, name, (refused) => {
      if (refused !== undefined) session.peer.deliver(refused);
      else this.#rename(session, name);
    });
  }

  #rename(session: Session, name: string): void {
    const old = session.name as string;
    if (session.name === undefined) return;
    this.#bus?.release(session, old, name);
    this.#forgetName(session);
    this.#setName(session, name);
    if (!this.#publish({ t: 'rename', old, name, rooms: [...session.rooms].map((r) => r.name) }, session)) {
      this.broadcastAround(session, { kind: 'renamed', old, name, echo: false });
    }
    // The renamed user's copy is the answer to their command (a transport that bounds replies
    // to unproven addresses counts it so).
    session.peer.deliver({ kind: 'renamed', old, name, echo: true });
  }

  /**
   * Moves a line user to the room called `name`, making it if needed: the old room hears that
   * they left for it, the new one that they came, and they get who is there.
   */
  moveTo(session: Session, rawName: string): void {
    const name = normalizeName(rawName);
    const from = session.room as Room;
    if (isRoomName(name) && this.#rooms.get(foldName(name)) === from) {
      this.refuse(session, 'room_same', { room: from.name });
      return;
    }
    const to = this.#roomFor(name);
    if (!(to instanceof Room)) {
      session.peer.deliver(to);
      return;
    }
    const who = session.name as string;
    this.#exit(session, from);
    const published = this.#publish({ t: 'move', room: from.name, to: to.name, name: who }, session);
    if (!published) from.broadcast({ kind: 'moved', room: from.name, name: who, to: to.name });
    this.#closeIfEmpty(from);
    this.#enter(session, to);
    if (!published) to.broadcast({ kind: 'joined', room: to.name, name: who, from: from.name }, session.peer);
    session.peer.deliver(welcome(who, to, true));
    this.tellTopic(session, to, false);
    this.#replay(session, to, this.options.replayOnJoin);
  }

  /**
   * The room called `name` (normalised), made if needed; or why it cannot be: an invalid name, a
   * look-alike of a room there is, --max-rooms reached. The checks of every way into a room.
   */
  #roomFor(name: string): Room | Refusal {
    if (!isRoomName(name)) return refusal('room_invalid', { max: MAX_ROOM_NAME_LENGTH });
    const room = this.#rooms.get(foldName(name));
    if (room !== undefined) return room;
    const lookalike = this.#lookalikeRoom(name);
    if (lookalike !== undefined) return refusal('room_lookalike', { room: name, existing: lookalike.name });
    if (this.#rooms.size >= this.options.maxRooms) return refusal('room_too_many', { max: this.options.maxRooms });
    return this.#openRoom(name);
  }

  /**
   * Names a session that registers by other means than a name line (an IRC client's NICK/USER):
   * the same checks as a name line (server full, the name's rules, taken, look-alikes, IRC
   * nicks), and no room: such a user joins rooms themself (`joinRoom`). Returns the refusal
   * (the session stays unnamed) or undefined once named. Without a cluster only (`requestName`).
   */
  registerName(session: Session, rawName: string): Refusal | undefined {
    let answer: Refusal | undefined | null = null;
    this.requestName(session, rawName, (refused) => {
      answer = refused;
    });
    if (answer === null) throw new Error('registerName answers at once only without a cluster: use requestName');
    return answer;
  }

  /**
   * `registerName`, answered through `done`: at once, or in a cluster once the cluster has
   * answered (never, if the session is gone by then).
   */
  requestName(session: Session, rawName: string, done: (refused: Refusal | undefined) => void): void {
    const { maxUsers } = this.options;
    if (maxUsers > 0 && this.#joined.size >= maxUsers && !this.#makeRoom(session.peer, undefined)) {
      done(refusal('server_full', { max: maxUsers }));
      return;
    }
    const name = normalizeName(rawName);
    const error = this.nameError(name, session);
    if (error !== undefined) {
      done(error);
      return;
    }
    this.#claim(session, name, (refused) => {
      if (refused === undefined) {
        this.#name(session, name);
        this.#publish({ t: 'hello', user: busUser(session) }, session);
        if (this.logging) this.options.log(this.t('log_joined', { name, peer: session.peer.id }));
      }
      done(refused);
    });
  }

  /** Checks the server password for `session` (a client that sends it apart, as IRC's PASS): true when right, or when there is none. */
  authenticate(session: Session, given: string | undefined): boolean {
    if (this.options.password === undefined) return true;
    session.authenticated = given !== undefined && samePassword(given, this.options.password);
    return session.authenticated;
  }

  /**
   * A user who may be in several rooms (IRC) joins the room called `rawName`, made if needed,
   * with the checks of `moveTo`. Everyone in it, the joiner too (an IRC client waits for its own
   * JOIN), hears the join. Returns the room (also when they were in it already: nothing is said
   * then) or the refusal. The transport then says who is there and calls `replayJoin`.
   */
  joinRoom(session: Session, rawName: string): Room | Refusal {
    const room = this.#roomFor(normalizeName(rawName));
    if (!(room instanceof Room) || room.members.has(session.peer)) return room;
    this.#enter(session, room);
    const joined: ChatEvent = { kind: 'joined', room: room.name, name: session.name as string, from: undefined };
    if (this.#publish({ t: 'join', room: room.name, user: busUser(session) }, session)) session.peer.deliver(joined);
    else room.broadcast(joined);
    return room;
  }

  /** The replay --replay-on-join gives whoever enters `room`, to `session` (after `joinRoom`). */
  replayJoin(session: Session, room: Room): void {
    this.#replay(session, room, this.options.replayOnJoin);
  }

  /** `session` leaves `room` (not the server), in its own words: the room, the leaver too, hears it. */
  partRoom(session: Session, room: Room, message: string | undefined): void {
    if (!room.members.has(session.peer)) return;
    const left: ChatEvent = { kind: 'left', room: room.name, name: session.name as string, reason: 'quit', message, parted: true };
    this.#exit(session, room);
    // The leaver hears their own PART too (an IRC client waits for it).
    if (!this.#publish({ t: 'part', room: room.name, name: session.name as string, ...(message === undefined ? {} : { message }) }, session)) room.broadcast(left);
    session.peer.deliver(left);
    if (session.room === undefined) for (const other of session.rooms) session.room = other;
    this.#closeIfEmpty(room);
  }

  /**
   * A chat message from a member of `room` (which need not be their current room: IRC users are
   * in several), as `relay` does for the current one: logged, then to every other member.
   */
  say(session: Session, room: Room, text: string, action = false): void {
    if (this.isMuted(session)) return;
    this.counters.messages++;
    if (this.#bus !== undefined && this.#bus.publish(action ? { t: 'msg', room: room.name, from: session.name as string, text, action } : { t: 'msg', room: room.name, from: session.name as string, text }, session)) return;
    this.counters.deliveries += room.members.size - (room.members.has(session.peer) ? 1 : 0);
    room.broadcast(room.log.append(session.name as string, text, action), session.peer);
  }

  /** A private message from `session` to `to` (another named user), with its echo to the sender. Never in any history. */
  tell(session: Session, to: Session, text: string): void {
    if (this.isMuted(session)) return;
    const from = session.name as string;
    const receiver = to.name as string;
    if (to.node !== undefined && this.#bus?.connected !== true) {
      this.refuse(session, 'private_split', { name: receiver });
      return;
    }
    to.peer.deliver({ kind: 'private', from, to: receiver, text, echo: false });
    session.peer.deliver({ kind: 'private', from, to: receiver, text, echo: true });
  }

  /** Replays the last `count` messages of `room` to `session` only, marked as past. */
  replay(session: Session, count: number): void {
    this.#replay(session, session.room as Room, count, true);
  }

  #replay(session: Session, room: Room, count: number, always = false): void {
    if (count <= 0) return;
    const entries = room.log.last(count);
    if (entries.length === 0 && !always) return;
    session.peer.deliver({ kind: 'history', room: room.name, entries });
  }

  #openRoom(name: string): Room {
    const key = foldName(name);
    const { history, historyBytes, store, wallClock } = this.options;
    const room = new Room(name, key, lookalikeKey(name), new RoomLog({ room: key, name, maxEntries: history, maxBytes: historyBytes, now: wallClock, store, externalIds: this.#bus !== undefined }));
    this.#rooms.set(key, room);
    return room;
  }

  #lookalikeRoom(name: string): Room | undefined {
    const key = lookalikeKey(name);
    for (const room of this.#rooms.values()) if (room.lookalike === key) return room;
    return undefined;
  }

  #enter(session: Session, room: Room): void {
    room.members.set(session.peer, session);
    session.rooms.add(room);
    session.room = room;
  }

  #exit(session: Session, room: Room): void {
    room.members.delete(session.peer);
    session.rooms.delete(room);
    if (session.room === room) session.room = undefined;
  }

  /** A room other than `general` goes away with its last user (its history file stays). */
  #closeIfEmpty(room: Room): void {
    if (room.size === 0 && room !== this.#general) this.#rooms.delete(room.key);
  }

  /**
   * The operator `by` sets the topic of `room` (cut to TOPIC_MAX_BYTES; blank clears it): the
   * room keeps it and every member, `by` too, hears of it. The caller checks that `by` may.
   */
  setTopic(by: Session, room: Room, rawText: string): void {
    const trimmed = rawText.trim();
    const text = trimmed === '' ? '' : (splitUtf8(trimmed, TOPIC_MAX_BYTES)[0] as string).trimEnd();
    const name = by.name as string;
    const at = this.options.wallClock();
    room.topic = text === '' ? undefined : { text, by: name, at };
    room.broadcast({ kind: 'topic', room: room.name, text, by: name, at });
    if (this.logging) this.options.log(this.t('log_topic', { name, room: room.name, text }));
  }

  /** Tells `session` the topic of `room` (a line user entering it, or asking); with `always`, also that there is none. */
  tellTopic(session: Session, room: Room, always: boolean): void {
    const { topic } = room;
    if (topic !== undefined) this.reply(session, 'room_topic', { room: room.name, text: topic.text });
    else if (always) this.reply(session, 'room_no_topic', { room: room.name });
  }

  /** The answer to `/salas` (and IRC's LIST): every room, its users, its topic. */
  roomList(): RoomList {
    const rooms: { name: string; users: number; topic?: string }[] = [];
    for (const r of this.#rooms.values()) rooms.push(r.topic === undefined ? { name: r.name, users: r.size } : { name: r.name, users: r.size, topic: r.topic.text });
    return { kind: 'rooms', rooms };
  }

  /** Grants operator rights for the right key; a wrong one is logged and answered after a delay. */
  admin(session: Session, key: string): void {
    const expected = this.options.adminPassword;
    if (expected === undefined) {
      this.refuse(session, 'admin_none');
      return;
    }
    if (session.operator) {
      this.refuse(session, 'admin_already');
      return;
    }
    if (session.extra?.adminPending === true) return; // one guess at a time: the last is still being answered
    const { peer } = session;
    if (samePassword(key, expected)) {
      session.operator = true;
      this.#publish({ t: 'op', name: session.name as string }, session);
      this.reply(session, 'admin_granted');
      this.options.log(this.t('log_admin_granted', { name: session.name as string, peer: peer.id }));
      return;
    }
    const extra = extraOf(session);
    extra.adminPending = true;
    this.options.log(this.t('log_admin_wrong', { name: session.name as string, peer: peer.id }));
    this.options.schedule(ADMIN_RETRY_DELAY_MS, () => {
      extra.adminPending = false;
      if (this.#local(peer) === session) this.refuse(session, 'admin_wrong');
    });
  }

  /** An operator removes `target`: told why, disconnected, and their rooms hear who and why. */
  remove(by: Session, target: Session, because: string | undefined): void {
    if (target.node !== undefined) {
      // On another node: that node removes them, when the cluster hands it this.
      if (!this.#publish({ t: 'kick', name: target.name as string, by: by.name as string, ...(because === undefined ? {} : { because }) }, by)) {
        this.refuse(by, 'private_split', { name: target.name as string });
        return;
      }
    } else this.#remove(by.name as string, target, because);
    if (by !== target) this.reply(by, 'kick_done', { name: target.name as string });
  }

  #remove(by: string, target: Session, because: string | undefined): void {
    target.peer.deliver(because === undefined ? refusal('kicked_you', { by }) : refusal('kicked_you_because', { by, because }));
    const extra = extraOf(target);
    extra.removedBy = by;
    extra.removedBecause = because;
    this.options.log(this.t('log_removed', { name: target.name as string, by, because: because ?? '-' }));
    this.leave(target.peer, 'removed');
    target.peer.close('removed');
  }

  /** An operator mutes `target` for `minutes`, or lifts a mute in force. */
  mute(by: Session, target: Session, minutes: number): void {
    const byName = by.name as string;
    // Every node keeps the same view of who is muted (the target's own node enforces it).
    this.#publish({ t: 'mute', name: target.name as string, by: byName, minutes }, by);
    if (this.#toggleMute(byName, target, minutes, by !== target)) {
      this.reply(by, 'mute_done', { name: target.name as string, minutes });
      this.options.log(this.t('log_muted', { name: target.name as string, by: byName, minutes }));
    } else this.reply(by, 'unmute_done', { name: target.name as string });
  }

  /** Lifts `target`'s mute in force, or mutes them for `minutes`, telling them (`tell`); true when now muted. */
  #toggleMute(by: string, target: Session, minutes: number, tell: boolean): boolean {
    const now = this.options.now();
    const extra = extraOf(target);
    if (extra.mutedUntil > now) {
      extra.mutedUntil = 0;
      if (tell) target.peer.deliver(reply('unmuted_you', { by }));
      return false;
    }
    extra.mutedUntil = now + minutes * 60_000;
    if (tell) target.peer.deliver(reply('muted_you', { by, minutes }));
    return true;
  }

  /**
   * `peer` is gone (or is being sent away) for `reason`: forget it and tell its rooms once.
   * Idempotent: a second call for the same peer does nothing, so the hub and the transport can
   * both report a departure without a double notice.
   */
  leave(peer: Peer, reason: LeaveReason, reasonArgs?: EventArgs): void {
    const session = this.#local(peer);
    if (session === undefined) return;
    if (session.name === undefined) this.#unnamed.delete(peer);
    else this.#joined.delete(peer);
    this.counters.leaves[reason]++;
    const left = (this.#perAddress.get(peer.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(peer.address, left);
    else this.#perAddress.delete(peer.address);
    if (session.name === undefined) {
      if (this.logging) this.options.log(this.t('log_dropped', { peer: peer.id, reason: this.t(`reason_${reason}`, reasonArgs) }));
      return;
    }
    const rooms = [...session.rooms];
    for (const room of rooms) this.#exit(session, room);
    if (this.#closed) {
      this.#forgetName(session);
      return;
    }
    const { name, extra } = session;
    const { removedBy: by, removedBecause: because, farewell: message } = extra ?? NO_EXTRA;
    const published = this.#publish(
      {
        t: 'leave',
        rooms: rooms.map((r) => r.name),
        name,
        reason,
        ...(by === undefined ? {} : { by }),
        ...(because === undefined ? {} : { because }),
        ...(message === undefined ? {} : { message }),
        ...(reasonArgs === undefined ? {} : { reasonArgs }),
      },
      session,
    );
    // The name is forgotten after the notices, so an encoder can still find who left (an IRC
    // receiver shows their host).
    if (published) for (const room of rooms) this.#closeIfEmpty(room);
    else this.#tellLeft(rooms, name, reason, by, because, message, reasonArgs);
    this.#forgetName(session);
    this.#bus?.release(session, name);
    if (this.logging) this.options.log(this.t('log_left', { name, reason: this.t(`reason_${reason}`, reasonArgs) }));
  }

  /** Tells the local members of `rooms` that `name` left (once each: an IRC user may share several), and closes the rooms left empty. */
  #tellLeft(rooms: readonly Room[], name: string, reason: LeaveReason, by: string | undefined, because: string | undefined, message: string | undefined, reasonArgs?: EventArgs): void {
    const told = rooms.length > 1 ? new Set<Peer>() : undefined;
    for (const room of rooms) {
      const event: ChatEvent = { kind: 'left', room: room.name, name, reason, by, because, reasonArgs, message };
      if (told === undefined) room.broadcast(event);
      else {
        for (const member of room.members.keys()) {
          if (told.has(member)) continue;
          told.add(member);
          member.deliver(event);
        }
      }
      this.#closeIfEmpty(room);
    }
  }

  /** An operator's announcement to every room (in a cluster, every node's). */
  announce(session: Session, text: string): void {
    if (!this.#publish({ t: 'announce', from: session.name as string, text }, session)) this.broadcastAll({ kind: 'announce', from: session.name as string, text });
  }

  /** The named users connected to this node (not the cluster's others), in join order. */
  localSessions(): Session[] {
    const out: Session[] = [];
    for (const session of this.#joined.values()) if (session.node === undefined) out.push(session);
    return out;
  }

  /** The users this hub knows on other nodes. */
  remoteSessions(): Session[] {
    const out: Session[] = [];
    for (const session of this.#joined.values()) if (session.node !== undefined) out.push(session);
    return out;
  }

  /**
   * An event the cluster hands back, in its one order (hub/bus.ts): from `node` (this one or
   * another), with `origin` the local session that did it when it came from here and is still
   * connected, and `entry` the numbered message of a `msg`. Applied idempotently: a join of a
   * user known to be there, or a leave of one unknown, changes nothing.
   */
  applyBusEvent(event: BusEvent, node: string, origin: Session | undefined, entry?: RoomMessage): void {
    const bus = this.#bus;
    if (bus === undefined || this.#closed) return;
    const own = node === bus.node;
    const except = origin?.peer;
    switch (event.t) {
      case 'msg': {
        const room = this.#rooms.get(foldName(event.room));
        if (room === undefined || entry === undefined) return;
        room.log.add(entry);
        this.counters.deliveries += room.members.size - (except === undefined ? 0 : 1); // the sender is a member
        room.broadcast(entry, except);
        return;
      }
      case 'hello': {
        // Who a user is and which rooms they are in (an IRC user registering; a node rejoining
        // after a split, whose users may have moved meanwhile): rooms are made to match.
        const session = own ? undefined : this.#remoteSession(node, event.user);
        if (session === undefined) return;
        const wanted = new Set(event.user.rooms.map((r) => foldName(r)));
        for (const room of [...session.rooms]) {
          if (wanted.has(room.key)) continue;
          this.#remoteExit(session, room.name);
          room.broadcast({ kind: 'left', room: room.name, name: session.name as string, reason: 'quit', parted: true });
          this.#closeIfEmpty(room);
        }
        for (const name of event.user.rooms) {
          const room = this.#remoteEnter(session, name);
          room?.broadcast({ kind: 'joined', room: room.name, name: session.name as string, from: undefined });
        }
        session.operator = event.user.operator;
        return;
      }
      case 'join': {
        const joined: ChatEvent = { kind: 'joined', room: event.room, name: event.user.name, from: undefined };
        if (own) {
          this.#rooms.get(foldName(event.room))?.broadcast(joined, except);
          return;
        }
        const session = this.#remoteSession(node, event.user);
        if (session === undefined) return;
        const room = this.#remoteEnter(session, event.room);
        if (room !== undefined) room.broadcast({ ...joined, room: room.name });
        return;
      }
      case 'move': {
        if (own) {
          this.#rooms.get(foldName(event.room))?.broadcast({ kind: 'moved', room: event.room, name: event.name, to: event.to });
          this.#rooms.get(foldName(event.to))?.broadcast({ kind: 'joined', room: event.to, name: event.name, from: event.room }, except);
          return;
        }
        const session = this.#remoteNamed(node, event.name);
        if (session === undefined) return;
        const from = this.#remoteExit(session, event.room);
        from?.broadcast({ kind: 'moved', room: from.name, name: event.name, to: event.to });
        if (from !== undefined) this.#closeIfEmpty(from);
        const to = this.#remoteEnter(session, event.to);
        to?.broadcast({ kind: 'joined', room: to.name, name: event.name, from: event.room });
        return;
      }
      case 'part': {
        const left: ChatEvent = { kind: 'left', room: event.room, name: event.name, reason: 'quit', message: event.message, parted: true };
        if (own) {
          this.#rooms.get(foldName(event.room))?.broadcast(left, except);
          return;
        }
        const session = this.#remoteNamed(node, event.name);
        const room = session === undefined ? undefined : this.#remoteExit(session, event.room);
        if (room === undefined) return;
        room.broadcast({ ...left, room: room.name });
        this.#closeIfEmpty(room);
        return;
      }
      case 'leave': {
        if (own) {
          const rooms: Room[] = [];
          for (const name of event.rooms) {
            const room = this.#rooms.get(foldName(name));
            if (room !== undefined) rooms.push(room);
          }
          this.#tellLeft(rooms, event.name, event.reason, event.by, event.because, event.message, event.reasonArgs);
          return;
        }
        const session = this.#remoteNamed(node, event.name);
        if (session === undefined) return;
        this.#forgetRemote(session, event.reason, event.by, event.because, event.message, true, event.reasonArgs);
        return;
      }
      case 'rename': {
        const renamed: ChatEvent = { kind: 'renamed', old: event.old, name: event.name, echo: false };
        if (own) {
          const told = new Set<Peer>();
          if (except !== undefined) told.add(except);
          for (const name of event.rooms) {
            const room = this.#rooms.get(foldName(name));
            if (room === undefined) continue;
            for (const peer of room.members.keys()) {
              if (told.has(peer)) continue;
              told.add(peer);
              peer.deliver(renamed);
            }
          }
          return;
        }
        const session = this.#remoteNamed(node, event.old);
        if (session === undefined) return;
        this.#forgetName(session);
        if (this.#byKey.has(foldName(event.name))) {
          // The new name is someone else's here (a conflict the reservations should rule out): forget them.
          session.name = event.old;
          this.#forgetRemote(session, 'connection_lost', undefined, undefined, undefined, true);
          return;
        }
        this.#setName(session, event.name);
        this.broadcastAround(session, renamed);
        return;
      }
      case 'pm': {
        const to = this.findByName(event.to);
        if (to !== undefined && to.node === undefined) to.peer.deliver({ kind: 'private', from: event.from, to: to.name as string, text: event.text, echo: false });
        return;
      }
      case 'announce':
        for (const session of this.#joined.values()) if (session.node === undefined) session.peer.deliver({ kind: 'announce', from: event.from, text: event.text });
        return;
      case 'op': {
        const session = own ? undefined : this.#remoteNamed(node, event.name);
        if (session !== undefined) session.operator = true;
        return;
      }
      case 'mute': {
        if (own) return; // applied when it was done
        const target = this.findByName(event.name);
        if (target !== undefined) this.#toggleMute(event.by, target, event.minutes, target.node === undefined && target.name !== event.by);
        return;
      }
      case 'kick': {
        if (own) return;
        const target = this.findByName(event.name);
        if (target !== undefined && target.node === undefined) this.#remove(event.by, target, event.because);
        return;
      }
    }
  }

  /**
   * Makes what this hub knows of other nodes' users match `users` (the cluster's presence, by
   * node): unknown ones are added to their rooms, known ones no longer there leave (connection
   * lost). With `announce`, local members hear of each change; without (a node starting), not.
   * With `onlyListedNodes`, the users of nodes `users` does not list are kept (a node rejoining
   * after a Redis restart: the others may not have rebuilt their presence yet).
   */
  syncPresence(users: ReadonlyMap<string, readonly BusUser[]>, announce: boolean, onlyListedNodes = false): void {
    if (this.#bus === undefined) return;
    const seen = new Set<Session>();
    for (const [node, list] of users) {
      if (node === this.#bus.node) continue;
      for (const user of list) {
        const session = this.#remoteSession(node, user);
        if (session === undefined) continue;
        seen.add(session);
        for (const name of user.rooms) {
          const known = this.#rooms.get(foldName(name));
          if (known?.remote.get(session.key as string) === session) continue;
          const room = this.#remoteEnter(session, name);
          if (announce) room?.broadcast({ kind: 'joined', room: room.name, name: user.name, from: undefined });
        }
      }
    }
    for (const session of this.remoteSessions()) {
      if (seen.has(session) || (onlyListedNodes && !users.has(session.node as string))) continue;
      this.#forgetRemote(session, 'connection_lost', undefined, undefined, undefined, announce);
    }
  }

  /**
   * The cluster is out of reach (`split`) or back: every local user and the log are told. While
   * split, local users keep chatting among themselves (the bus refuses events, so they are
   * delivered here).
   */
  clusterSplit(split: boolean, error = ''): void {
    const notice = reply(split ? 'cluster_split' : 'cluster_whole');
    for (const session of this.localSessions()) session.peer.deliver(notice);
    this.options.log(split ? this.t('log_cluster_split', { error }) : this.t('log_cluster_whole'));
  }

  /** Sends away a local user whose name another node took while this one was split (its claim failed on rejoining). */
  evict(session: Session): void {
    if (session.node !== undefined || this.#local(session.peer) !== session) return;
    session.peer.deliver(refusal('cluster_name_lost', { name: session.name as string }));
    this.leave(session.peer, 'kicked');
    session.peer.close('kicked');
  }

  /** The session of `user` on `node`, made when new; undefined when the name is someone else's here. */
  #remoteSession(node: string, user: BusUser): Session | undefined {
    const known = this.#byKey.get(foldName(user.name));
    if (known !== undefined) return known.node === node ? known : undefined;
    const peer = new RemotePeer(node, user.name, user.transport, this.options.lang, this.#bus as HubBus);
    const session = newSession(peer, true, user.operator, node);
    this.#setName(session, user.name);
    this.#joined.set(peer, session);
    this.#remoteUsers++;
    return session;
  }

  /** The known user called `name` on `node`, if any. */
  #remoteNamed(node: string, name: string): Session | undefined {
    const session = this.#byKey.get(foldName(name));
    return session?.node === node ? session : undefined;
  }

  /** Puts a remote user in the room called `name` (made here if need be: it exists in the cluster); undefined when they were in it. */
  #remoteEnter(session: Session, name: string): Room | undefined {
    const key = foldName(name);
    const room = this.#rooms.get(key) ?? this.#openRoom(normalizeName(name));
    if (room.remote.has(session.key as string)) return undefined;
    room.remote.set(session.key as string, session);
    session.rooms.add(room);
    session.room = room;
    return room;
  }

  /** Takes a remote user out of the room called `name`; the room, or undefined when they were not in it. */
  #remoteExit(session: Session, name: string): Room | undefined {
    const room = this.#rooms.get(foldName(name));
    if (room === undefined || room.remote.get(session.key as string) !== session) return undefined;
    room.remote.delete(session.key as string);
    session.rooms.delete(room);
    if (session.room === room) session.room = undefined;
    for (const other of session.rooms) session.room = other;
    return room;
  }

  /** A remote user is gone: out of every room (whose local members hear it, with `announce`) and every map. */
  #forgetRemote(session: Session, reason: LeaveReason, by: string | undefined, because: string | undefined, message: string | undefined, announce: boolean, reasonArgs?: EventArgs): void {
    const rooms = [...session.rooms];
    for (const room of rooms) {
      room.remote.delete(session.key as string);
      session.rooms.delete(room);
    }
    session.room = undefined;
    if (this.#joined.delete(session.peer)) this.#remoteUsers--;
    if (announce) this.#tellLeft(rooms, session.name as string, reason, by, because, message, reasonArgs);
    else for (const room of rooms) this.#closeIfEmpty(room);
    this.#forgetName(session);
  }

  /**
   * Server shutdown: every connection is told and closed. Later `leave` calls announce nothing
   * (everyone is leaving) and later `connect` calls are refused.
   */
  shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    const notice: ChatEvent = { kind: 'closing' };
    this.options.log(this.t('log_shutdown', { users: this.localSessions().length }));
    for (const session of [...this.localSessions(), ...this.#unnamed.values()]) {
      if (session.name !== undefined) session.peer.deliver(notice);
      session.peer.close('server_shutdown');
    }
  }
}

/** `session` as other nodes learn of it (src/cluster/ keeps it in the presence). */
export function busUser(session: Session): BusUser {
  return { name: session.name as string, rooms: [...session.rooms].map((r) => r.name), transport: session.peer.transport, operator: session.operator };
}

/** The key that makes look-alike room names collide: the UTS #39 skeleton, case ignored (hub/confusables.ts). */
function lookalikeKey(name: string): string {
  return confusableKey(name);
}

/** The welcome to `room` (or, `moved`, the confirmation of a move there): its names only while they are few. */
function welcome(name: string, room: Room, moved: boolean): Welcome {
  const count = room.size;
  return { kind: 'welcome', name, room: room.name, count, users: count <= WELCOME_LIST_MAX ? room.names() : [], moved };
}

/** Compares passwords in constant time (through fixed-length digests). */
function samePassword(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
