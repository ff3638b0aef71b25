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

  get size(): number {
    return this.members.size;
  }

  /** Member names in join order. */
  names(): string[] {
    const names: string[] = [];
    for (const session of this.members.values()) names.push(session.name as string);
    return names;
  }

  /** Hands `event` to every member but `except`: one event object for all, rendered by each transport's encoder. */
  broadcast(event: ChatEvent, except?: Peer): void {
    for (const peer of this.members.keys()) {
      if (peer !== except) peer.deliver(event);
    }
  }
}
