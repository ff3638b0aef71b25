/**
 * Several charla processes, one chat: the hub's bus (hub/bus.ts) over Redis. Glue, like a
 * transport: the hub stays pure and synchronous and never sees Redis.
 *
 * - Events: one Redis Stream, `charla:events`, is the spine. Every node XADDs its local users'
 *   events to it and delivers every event, its own included, when it reads it back (XREAD BLOCK on
 *   a connection of its own), so every node sees one order: per room, and per sender across
 *   rooms (a move and the messages around it). A room message's id is its stream id,
 *   `ms * 1000 + seq` (RoomLog's ids), the same on every node.
 * - History: each room's recent messages also go to a capped stream (`charla:history:ROOM`,
 *   MAXLEN ~ --history) with the same id, in the same script; a node loads them on start.
 * - Names: a Lua script sets a name's three keys (fold, look-alike, IRC nick) all or none, NX,
 *   with a TTL this node refreshes; the value is this node's token for that user, and a name is
 *   released only by a script that checks it.
 * - Presence: per node a heartbeat key with a TTL and a hash of its users (their rooms, transport,
 *   operator mark and name keys), changed in the same script as the event that changes it. A node
 *   starting snapshots the presence and the stream's last id in one script, then reads on from
 *   there; applying an event twice changes nothing. Every node runs the reap script on each
 *   heartbeat: a node whose heartbeat expired has a leave (connection lost) published for each
 *   of its users and its names freed, atomically, by whichever node gets there first.
 * - Outage: no offline queue (commands fail at once). The node is split: its users chat among
 *   themselves (the hub delivers locally), they and the log are told, names that cannot be
 *   reserved are refused. When Redis is back the node takes its users' names again (one taken
 *   meanwhile: that user is told and sent away), rebuilds its presence, tells the others its users
 *   are there, reads what it missed from its last stream id, and tells its users the room is
 *   whole again.
 */
import { randomBytes } from 'node:crypto';
import { createClient, type RedisClientType } from '@redis/client';
import { type BusEvent, type BusUser, type ClaimAnswer, type HubBus } from '../hub/bus.js';
import { busUser, type Hub, type Session } from '../hub/hub.js';
import { confusableKey } from '../hub/confusables.js';
import { foldName, ircNick, ircNickKey, normalizeName } from '../hub/names.js';
import { IDS_PER_MS, keptFrom, type LogEntry, roomMessage } from '../hub/room-log.js';
import type { HistoryStore } from '../hub/store/history-store.js';
import { CLAIM, PUBLISH, REAP, REFRESH, RELEASE, SNAPSHOT } from './scripts.js';

export interface ClusterOptions {
  /** `redis://HOST:PORT/DB`. */
  url: string;
  /** This node's id (default: random). */
  node: string;
  /** Prefix of every key. */
  prefix: string;
  /** How often this node beats (refreshes its heartbeat key) and looks for dead nodes. */
  heartbeatMs: number;
  /** A node whose heartbeat is this old is dead: its users leave, its names are freed. */
  nodeTtlMs: number;
  /** A name key's TTL; the holder refreshes it every third of that. */
  nameTtlMs: number;
  /** Entries the events stream keeps (MAXLEN ~): how far back a node cut off can catch up. */
  eventsMaxLen: number;
  /** Messages each room's history stream keeps (the hub's --history). */
  historyMaxLen: number;
  /** Server console (the split, the rejoin, reaped nodes). */
  log: (line: string) => void;
}

export const CLUSTER_DEFAULTS: Omit<ClusterOptions, 'url' | 'node'> = {
  prefix: 'charla:',
  heartbeatMs: 1000,
  nodeTtlMs: 5000,
  nameTtlMs: 60_000,
  eventsMaxLen: 100_000,
  historyMaxLen: 200,
  log: () => {},
};

/** What a stream entry carries besides the event: who published it. */
interface Envelope {
  /** The node that published it. */
  node: string;
  /** That node's number for the local session that did it (0: none). */
  sid: number;
  /** A private message's node. */
  toNode?: string;
}

type WireEvent = BusEvent & Envelope;

/** A presence hash value: the user, their name keys, and the token those keys hold. */
interface PresenceValue {
  u: BusUser;
  k: string[];
  tok: string;
}

/** The numeric id of a stream id `ms-seq`: RoomLog's `ms * 1000 + seq`. */
export function streamIdNumber(id: string): number {
  const dash = id.indexOf('-');
  return Number(id.slice(0, dash)) * IDS_PER_MS + Number(id.slice(dash + 1));
}

/** The room messages of each room, as the cluster's history streams hold them: what a RoomLog loads when a room opens here. */
class ClusterHistory implements HistoryStore {
  readonly #rooms = new Map<string, LogEntry[]>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  load(room: string): LogEntry[] {
    const entries = this.#rooms.get(room) ?? [];
    return entries.slice(keptFrom(entries, { maxEntries: this.#max, maxBytes: Number.MAX_SAFE_INTEGER }));
  }

  /** A local message of a split node (numbered by its RoomLog). */
  append(room: string, entry: LogEntry): void {
    this.add(room, entry);
  }

  /** Keeps `entry` when newer than what the room has (a message read twice is kept once). */
  add(room: string, entry: LogEntry): void {
    if (this.#max === 0) return;
    let entries = this.#rooms.get(room);
    if (entries === undefined) {
      entries = [];
      this.#rooms.set(room, entries);
    }
    const last = entries[entries.length - 1];
    if (last !== undefined && !(entry.id > last.id)) return;
    entries.push(entry);
    if (entries.length > 2 * this.#max) entries.splice(0, entries.length - this.#max);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** One node's link to the cluster: the HubBus of its hub. */
export class RedisBus implements HubBus {
  readonly node: string;
  readonly options: ClusterOptions;
  /** What the hub's RoomLogs load when a room opens here (`HubOptions.store`). */
  readonly history: ClusterHistory;
  readonly #cmd: RedisClientType;
  readonly #reader: RedisClientType;
  readonly #keys: { events: string; nodes: string; rooms: string; presence: string; alive: string };
  #hub: Hub | undefined;
  #whole = false;
  #healing = false;
  #closing = false;
  #lastId = '0-0';
  #snapshot: Map<string, BusUser[]> = new Map();
  #nextSid = 1;
  readonly #sids = new WeakMap<Session, number>();
  readonly #bySid = new Map<number, Session>();
  readonly #tokens = new WeakMap<Session, string>();
  /** The name keys each local user holds. */
  readonly #held = new Map<Session, string[]>();
  /** Local users' leaves while split (by folded name): the others hear them, with their reasons, on rejoining. */
  readonly #leftWhileSplit = new Map<string, BusEvent & { t: 'leave' }>();
  readonly #sha = new Map<string, string>();
  #beat: NodeJS.Timeout | undefined;
  #lastRefresh = 0;
  /** When set, the time after which users of nodes that have not rejoined are forgotten. */
  #confirmAt: number | undefined;
  #reading: Promise<void> | undefined;
  /** Events published, and read back (for tests and the bench: the stream's lag is their difference). */
  published = 0;
  applied = 0;
  /** The last heartbeat's round trip to Redis, in ms (undefined before the first). */
  rttMs: number | undefined;
  /** How long the last event applied had been in the stream (its id's time to its reading), in ms. */
  lagMs: number | undefined;

  private constructor(options: ClusterOptions) {
    this.options = options;
    this.node = options.node;
    this.history = new ClusterHistory(options.historyMaxLen);
    const p = options.prefix;
    this.#keys = { events: `${p}events`, nodes: `${p}nodes`, rooms: `${p}rooms`, presence: `${p}presence:${this.node}`, alive: `${p}alive:${this.node}` };
    const socket = { reconnectStrategy: (retries: number) => Math.min(50 + retries * 100, 1000), connectTimeout: 2000 };
    this.#cmd = createClient({ url: options.url, disableOfflineQueue: true, socket }) as RedisClientType;
    this.#reader = createClient({ url: options.url, disableOfflineQueue: true, socket }) as RedisClientType;
    for (const client of [this.#cmd, this.#reader]) client.on('error', (err: Error) => this.#split(err));
    this.#cmd.on('ready', () => {
      if (!this.#whole && this.#hub !== undefined) void this.#heal();
    });
  }

  /**
   * Connects to Redis and reads what a node needs before its hub is made: the presence and the
   * stream's position (one instant), then the rooms' history. Rejects when Redis cannot be
   * reached.
   */
  static async connect(options: Partial<ClusterOptions> & { url: string }): Promise<RedisBus> {
    const bus = new RedisBus({ ...CLUSTER_DEFAULTS, node: randomBytes(6).toString('hex'), ...options });
    try {
      await Promise.all([bus.#cmd.connect(), bus.#reader.connect()]);
      await bus.#takeSnapshot(true);
      await bus.#loadHistory();
    } catch (err) {
      bus.#cmd.destroy();
      bus.#reader.destroy();
      throw err;
    }
    return bus;
  }

  get connected(): boolean {
    return this.#whole;
  }

  /** Users on other nodes this node knows of when it started (its hub learns them in `attach`). */
  get remoteUsersAtStart(): number {
    let n = 0;
    for (const [node, users] of this.#snapshot) if (node !== this.node) n += users.length;
    return n;
  }

  /** Joins the hub to the cluster: the others' users, then the stream from the snapshot on, then the heartbeat. */
  async attach(hub: Hub): Promise<void> {
    this.#hub = hub;
    hub.syncPresence(this.#snapshot, false);
    await this.#beatOnce();
    this.#whole = true;
    this.#reading = this.#readLoop();
    this.#beat = setInterval(() => void this.#tick(), this.options.heartbeatMs);
    this.#beat.unref();
  }

  /** Leaves the cluster: this node's users are announced gone (server shut down), its names freed. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#beat);
    if (this.#cmd.isReady) {
      await this.#eval(REAP, [this.#keys.nodes, this.#keys.events], [this.options.prefix, String(this.options.eventsMaxLen), this.node, 'server_shutdown']).catch(() => {});
    }
    this.#reader.destroy();
    await this.#reading?.catch(() => {});
    await this.#cmd.close().catch(() => this.#cmd.destroy());
  }

  /** Cuts this node off as a dead one would be (tests): no heartbeat, no reads, nothing said. */
  kill(): void {
    this.#closing = true;
    clearInterval(this.#beat);
    this.#reader.destroy();
    this.#cmd.destroy();
  }

  publish(event: BusEvent, origin: Session): boolean {
    if (!this.#whole) {
      if (event.t === 'leave') this.#leftWhileSplit.set(foldName(event.name), event);
      return false;
    }
    const sid = this.#sidOf(origin);
    const wire: WireEvent = { ...event, node: this.node, sid };
    const { events, rooms, presence } = this.#keys;
    let history = events;
    let roomKey = '';
    if (event.t === 'msg' && this.options.historyMaxLen > 0) {
      roomKey = foldName(normalizeName(event.room));
      history = `${this.options.prefix}history:${roomKey}`;
    }
    let del = '';
    let set = '';
    let value = '';
    switch (event.t) {
      case 'join':
      case 'hello':
      case 'part':
      case 'op':
      case 'move':
        set = origin.name as string;
        value = this.#presenceValue(origin, event.t === 'move' ? event.to : undefined);
        break;
      case 'rename':
        del = event.old;
        set = event.name;
        value = this.#presenceValue(origin, undefined);
        break;
      case 'leave':
        del = event.name;
        break;
      default:
        break;
    }
    this.published++;
    this.#eval(PUBLISH, [events, history, presence, rooms], [String(this.options.eventsMaxLen), String(this.options.historyMaxLen), JSON.stringify(wire), del, set, value, roomKey]).catch(
      (err: unknown) => this.#split(err),
    );
    return true;
  }

  forward(node: string, event: BusEvent & { t: 'pm' }): boolean {
    if (!this.#whole) return false;
    const wire: WireEvent = { ...event, node: this.node, sid: 0, toNode: node };
    this.published++;
    this.#eval(PUBLISH, [this.#keys.events, this.#keys.events, this.#keys.presence, this.#keys.rooms], [String(this.options.eventsMaxLen), '0', JSON.stringify(wire), '', '', '', '']).catch(
      (err: unknown) => this.#split(err),
    );
    return true;
  }

  claim(session: Session, name: string, done: (answer: ClaimAnswer) => void): void {
    if (!this.#whole) {
      done('unavailable');
      return;
    }
    const keys = this.#nameKeys(name);
    this.#eval(CLAIM, keys, [this.#tokenOf(session), String(this.options.nameTtlMs)]).then(
      (won) => {
        if (won === 1) this.#held.set(session, [...new Set([...(this.#held.get(session) ?? []), ...keys])]);
        done(won === 1 ? 'ok' : 'taken');
      },
      (err: unknown) => {
        this.#split(err);
        done('unavailable');
      },
    );
  }

  release(session: Session, name: string, keep?: string): void {
    const kept = keep === undefined ? [] : this.#nameKeys(keep);
    const gone = this.#nameKeys(name).filter((k) => !kept.includes(k));
    if (keep === undefined) {
      this.#held.delete(session);
      const sid = this.#sids.get(session);
      if (sid !== undefined) this.#bySid.delete(sid);
    } else this.#held.set(session, (this.#held.get(session) ?? []).filter((k) => !gone.includes(k)));
    if (!this.#whole || gone.length === 0) return; // a split node's names expire, or are taken back on rejoining
    this.#eval(RELEASE, gone, [this.#tokenOf(session)]).catch((err: unknown) => this.#split(err));
  }

  #nameKeys(name: string): string[] {
    const p = `${this.options.prefix}name:`;
    return [`${p}f:${foldName(name)}`, `${p}l:${confusableKey(name)}`, `${p}n:${ircNickKey(ircNick(name))}`];
  }

  #tokenOf(session: Session): string {
    let token = this.#tokens.get(session);
    if (token === undefined) {
      token = `${this.node}/${randomBytes(9).toString('base64url')}`;
      this.#tokens.set(session, token);
    }
    return token;
  }

  #sidOf(session: Session): number {
    let sid = this.#sids.get(session);
    if (sid === undefined) {
      sid = this.#nextSid++;
      this.#sids.set(session, sid);
      this.#bySid.set(sid, session);
    }
    return sid;
  }

  #presenceValue(session: Session, alsoIn: string | undefined): string {
    const user = busUser(session);
    const value: PresenceValue = {
      u: alsoIn === undefined ? user : { ...user, rooms: [...user.rooms, alsoIn] },
      k: this.#held.get(session) ?? [],
      tok: this.#tokenOf(session),
    };
    return JSON.stringify(value);
  }

  async #eval(script: string, keys: string[], args: string[]): Promise<unknown> {
    let sha = this.#sha.get(script);
    if (sha !== undefined) {
      try {
        return await this.#cmd.sendCommand(['EVALSHA', sha, String(keys.length), ...keys, ...args]);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      }
    }
    sha = (await this.#cmd.sendCommand(['SCRIPT', 'LOAD', script])) as string;
    this.#sha.set(script, sha);
    return this.#cmd.sendCommand(['EVALSHA', sha, String(keys.length), ...keys, ...args]);
  }

  /** Reads the cluster's presence; on start (`atStart`) also where the stream stands, to read on from. */
  async #takeSnapshot(atStart = false): Promise<void> {
    const reply = (await this.#eval(SNAPSHOT, [this.#keys.events, this.#keys.nodes], [this.options.prefix])) as unknown[];
    if (atStart) this.#lastId = String(reply[0]);
    const nodes = new Map<string, BusUser[]>();
    for (let i = 1; i + 1 < reply.length; i += 2) {
      const users: BusUser[] = [];
      for (const raw of reply[i + 1] as string[]) {
        const user = parsePresence(raw);
        if (user !== undefined) users.push(user);
      }
      nodes.set(String(reply[i]), users);
    }
    this.#snapshot = nodes;
  }

  async #loadHistory(): Promise<void> {
    const max = this.options.historyMaxLen;
    if (max === 0) return;
    const rooms = (await this.#cmd.sendCommand(['SMEMBERS', this.#keys.rooms])) as string[];
    for (const room of rooms) {
      const entries = (await this.#cmd.sendCommand(['XREVRANGE', `${this.options.prefix}history:${room}`, '+', '-', 'COUNT', String(max)])) as [string, string[]][];
      for (let i = entries.length - 1; i >= 0; i--) {
        const [id, fields] = entries[i]!;
        const event = parseWire(fields[1]);
        if (event?.t === 'msg') this.history.add(room, roomMessage(event.room, streamIdNumber(id), Number(id.slice(0, id.indexOf('-'))), event.from, event.text, event.action === true));
      }
    }
  }

  /** Reads the events stream from the last id, applying each entry in order, until closed. */
  async #readLoop(): Promise<void> {
    for (let round = 0; !this.#closing; round++) {
      let reply: unknown;
      try {
        reply = await this.#reader.sendCommand(['XREAD', 'COUNT', '1000', 'BLOCK', '1000', 'STREAMS', this.#keys.events, this.#lastId]);
      } catch (err) {
        if (this.#closing) return;
        this.#split(err);
        await pause(100); // the client reconnects meanwhile; commands fail at once until it has
        continue;
      }
      if (reply === null || typeof reply !== 'object') continue;
      // RESP2 gives [[stream, entries]]; RESP3 a map, which the client hands over as an object.
      const streams = Array.isArray(reply) ? (reply as [string, [string, string[]][]][]).map(([, e]) => e) : (Object.values(reply) as [string, string[]][][]);
      for (const entries of streams) {
        for (const [id, fields] of entries) {
          this.#lastId = id;
          this.#apply(id, fields[1]);
        }
      }
    }
  }

  #apply(id: string, raw: string | undefined): void {
    const hub = this.#hub;
    const event = parseWire(raw);
    if (hub === undefined || event === undefined) return;
    this.applied++;
    this.lagMs = Math.max(0, Date.now() - Number(id.slice(0, id.indexOf('-'))));
    const own = event.node === this.node;
    if (event.t === 'pm' && event.toNode !== this.node) return;
    // A leave of this node's that no session of it published (this node taken for dead by a
    // reaper, or its own word on rejoining for someone who left while it was cut off): its
    // users heard it already, or the user is in fact still here.
    if (own && event.t === 'leave' && event.sid === 0) return;
    const origin = own && event.sid !== 0 ? this.#bySid.get(event.sid) : undefined;
    if (event.t === 'msg') {
      const room = hub.room(event.room);
      const key = foldName(normalizeName(event.room));
      const entry = roomMessage(room?.name ?? event.room, streamIdNumber(id), Number(id.slice(0, id.indexOf('-'))), event.from, event.text, event.action === true);
      this.history.add(key, entry);
      hub.applyBusEvent(event, event.node, origin, entry);
      return;
    }
    hub.applyBusEvent(event, event.node, origin);
    if (event.t === 'leave' && !own) this.#reapedNotice(event);
  }

  #reapedNotice(_event: BusEvent): void {}

  #split(err: unknown): void {
    if (this.#closing || !this.#whole) return;
    this.#whole = false;
    this.#hub?.clusterSplit(true, err instanceof Error ? err.message : String(err));
  }

  /** Back in touch: names taken again, presence rebuilt, the others told, the room whole again. */
  async #heal(): Promise<void> {
    const hub = this.#hub;
    if (this.#healing || this.#closing || hub === undefined) return;
    this.#healing = true;
    try {
      for (let attempt = 0; attempt < 100 && !this.#closing; attempt++) {
        try {
          await this.#rejoin(hub);
          break;
        } catch {
          await pause(200);
        }
      }
    } finally {
      this.#healing = false;
    }
  }

  async #rejoin(hub: Hub): Promise<void> {
    const lost = await this.#refreshNames(hub.localSessions());
    for (const session of lost) hub.evict(session);
    // Users who left while this node was cut off: the others have not heard (after a Redis
    // restart there is no old presence, and nothing to say).
    const before = (await this.#cmd.sendCommand(['HVALS', this.#keys.presence])) as string[];
    const here = new Set(hub.localSessions().map((s) => s.name as string));
    for (const raw of before) {
      const user = parsePresence(raw);
      if (user !== undefined && !here.has(user.name)) await this.#publishGone(user, raw);
    }
    this.#leftWhileSplit.clear();
    await this.#rebuildPresence(hub);
    await this.#takeSnapshot();
    // Nodes not in the snapshot may just not have rejoined yet: their users are confirmed (or
    // forgotten) one node TTL later.
    hub.syncPresence(this.#snapshot, true, true);
    this.#confirmAt = Date.now() + this.options.nodeTtlMs;
    this.#whole = true;
    // The others learn this node's users again, with their rooms now (a user they know, in the
    // rooms they knew, changes nothing).
    for (const session of hub.localSessions()) this.publish({ t: 'hello', user: busUser(session) }, session);
    hub.clusterSplit(false);
  }

  /**
   * Publishes that `user` (`raw`: their presence value), of this node, left while this node was
   * cut off: with the leave as it happened here (its reason, a farewell), or as a disconnection
   * when this node no longer knows it. Their name keys are released (each only if it still holds
   * their token), so the name is free now rather than when its TTL runs out.
   */
  async #publishGone(user: BusUser, raw: string): Promise<void> {
    const left = this.#leftWhileSplit.get(foldName(user.name));
    const event: BusEvent & { t: 'leave' } = left ?? { t: 'leave', rooms: user.rooms, name: user.name, reason: 'disconnected' };
    const wire: WireEvent = { ...event, rooms: user.rooms, node: this.node, sid: 0 };
    const { events, presence, rooms } = this.#keys;
    await this.#eval(PUBLISH, [events, events, presence, rooms], [String(this.options.eventsMaxLen), '0', JSON.stringify(wire), user.name, '', '', '']);
    const { k, tok } = JSON.parse(raw) as Partial<PresenceValue>;
    if (Array.isArray(k) && k.length > 0 && typeof tok === 'string') await this.#eval(RELEASE, k, [tok]);
  }

  /** Refreshes (or takes again) every local user's name keys; returns the users whose names are now someone else's. */
  async #refreshNames(sessions: readonly Session[]): Promise<Session[]> {
    const keys: string[] = [];
    const tokens: string[] = [];
    const owners: Session[] = [];
    for (const session of sessions) {
      const held = this.#held.get(session) ?? this.#nameKeys(session.name as string);
      this.#held.set(session, held);
      for (const k of held) {
        keys.push(k);
        tokens.push(this.#tokenOf(session));
        owners.push(session);
      }
    }
    if (keys.length === 0) return [];
    const lost = (await this.#eval(REFRESH, keys, [...tokens, String(this.options.nameTtlMs)])) as number[];
    this.#lastRefresh = Date.now();
    return [...new Set(lost.map((i) => owners[i - 1]!))];
  }

  async #rebuildPresence(hub: Hub): Promise<void> {
    const fields: string[] = [];
    for (const session of hub.localSessions()) fields.push(session.name as string, this.#presenceValue(session, undefined));
    const multi = this.#cmd.multi();
    multi.addCommand(['DEL', this.#keys.presence]);
    if (fields.length > 0) multi.addCommand(['HSET', this.#keys.presence, ...fields]);
    multi.addCommand(['SET', this.#keys.alive, '1', 'PX', String(this.options.nodeTtlMs)]);
    multi.addCommand(['SADD', this.#keys.nodes, this.node]);
    await multi.exec();
  }

  async #beatOnce(): Promise<void> {
    const sentAt = performance.now();
    await this.#cmd.sendCommand(['SET', this.#keys.alive, '1', 'PX', String(this.options.nodeTtlMs)]);
    this.rttMs = performance.now() - sentAt;
    await this.#cmd.sendCommand(['SADD', this.#keys.nodes, this.node]);
  }

  /** The heartbeat: this node's key refreshed, dead nodes reaped, names refreshed now and then, lost state noticed. */
  async #tick(): Promise<void> {
    const hub = this.#hub;
    if (!this.#whole || this.#closing || hub === undefined) return;
    try {
      const multi = this.#cmd.multi();
      multi.addCommand(['SET', this.#keys.alive, '1', 'PX', String(this.options.nodeTtlMs)]);
      multi.addCommand(['SADD', this.#keys.nodes, this.node]);
      multi.addCommand(['HLEN', this.#keys.presence]);
      const sentAt = performance.now();
      const replies = (await multi.exec()) as unknown[];
      this.rttMs = performance.now() - sentAt;
      const local = hub.localSessions();
      if (Number(replies[2]) === 0 && local.length > 0) {
        // Our presence is gone (Redis restarted without persistence, or we were taken for dead):
        // rejoin as after an outage.
        this.#whole = false;
        hub.clusterSplit(true, 'presence lost');
        await this.#heal();
        return;
      }
      const reaped = (await this.#eval(REAP, [this.#keys.nodes, this.#keys.events], [this.options.prefix, String(this.options.eventsMaxLen), '', 'connection_lost'])) as unknown[];
      for (let i = 0; i + 1 < reaped.length; i += 2) this.options.log(hub.t('log_cluster_reaped', { node: String(reaped[i]), users: Number(reaped[i + 1]) }));
      if (this.#confirmAt !== undefined && Date.now() > this.#confirmAt) {
        this.#confirmAt = undefined;
        await this.#takeSnapshot();
        hub.syncPresence(this.#snapshot, true);
      }
      if (Date.now() - this.#lastRefresh > this.options.nameTtlMs / 3) {
        const lost = await this.#refreshNames(local);
        for (const session of lost) hub.evict(session);
      }
    } catch (err) {
      this.#split(err);
    }
  }
}

function parseWire(raw: string | undefined): WireEvent | undefined {
  if (raw === undefined) return undefined;
  try {
    const event = JSON.parse(raw) as WireEvent;
    if (typeof event !== 'object' || event === null || typeof event.t !== 'string' || typeof event.node !== 'string') return undefined;
    // Lua's cjson writes an empty list as {}.
    if (event.t === 'leave' && !Array.isArray(event.rooms)) return { ...event, rooms: [] };
    return event;
  } catch {
    return undefined;
  }
}

function parsePresence(raw: string): BusUser | undefined {
  try {
    const value = JSON.parse(raw) as PresenceValue;
    const u = value.u;
    if (typeof u?.name !== 'string') return undefined;
    return { name: u.name, rooms: Array.isArray(u.rooms) ? u.rooms : [], transport: u.transport, operator: u.operator === true };
  } catch {
    return undefined;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
