import type { ChatEvent } from './events.js';
import type { Session } from './hub.js';
import type { Peer } from './peer.js';
import type { RoomLog } from './room-log.js';

/** A room's topic: what it is, who set it and when (ms since the epoch). */
export interface Topic {
  readonly text: string;
  readonly by: string;
  readonly at: number;
}

/**
 * One room: its members, its broadcast, and its ordered log (history). The Hub owns what is
 * server-wide (connections, names, limits, operators) and moves sessions between rooms; a Room
 * only knows who is in it. Pure logic: it speaks through `Peer.deliver`.
 */
export class Room {
  /** As first spelled (NFC), shown to users. */
  readonly name: string;
  /** The key that makes room names unique (case-folded). */
  readonly key: string;
  /** The key that makes look-alike room names collide (UTS #39 skeleton, case-folded). */
  readonly lookalike: string;
  /** Members in the order they came in (the order /listar shows). */
  readonly members = new Map<Peer, Session>();
  /**
   * Members on other nodes of the cluster (RemotePeer sessions), by name key, apart from
   * `members` so that a broadcast never loops over them (their own nodes deliver to them).
   */
  readonly remote = new Map<string, Session>();
  readonly log: RoomLog;
  /** Set by an operator (Hub.setTopic); undefined when there is none. Lives as long as the room. */
  topic: Topic | undefined;

  constructor(name: string, key: string, lookalike: string, log: RoomLog) {
    this.name = name;
    this.key = key;
    this.lookalike = lookalike;
    this.log = log;
    this.topic = undefined;
  }

  /** Members here and, in a cluster, on the other nodes. */
  get size(): number {
    return this.members.size + this.remote.size;
  }

  /** Every member: this node's in join order, then the other nodes' in the order this node heard of them. */
  everyone(): Session[] {
    const all = [...this.members.values()];
    for (const session of this.remote.values()) all.push(session);
    return all;
  }

  /** Member names, in the order of `everyone`. */
  names(): string[] {
    const names: string[] = [];
    for (const session of this.members.values()) names.push(session.name as string);
    for (const session of this.remote.values()) names.push(session.name as string);
    return names;
  }

  /** Hands `event` to every member but `except`: one event object for all, rendered by each transport's encoder. */
  broadcast(event: ChatEvent, except?: Peer): void {
    for (const peer of this.members.keys()) {
      if (peer !== except) peer.deliver(event);
    }
  }
}
