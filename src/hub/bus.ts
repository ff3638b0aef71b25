/**
 * The hub's side of the cluster (several charla processes, one chat: src/cluster/): what the hub
 * hands it and what it gets back. Types only: the hub stays pure and synchronous, and knows
 * nothing of Redis.
 *
 * Submit, then deliver. What a local user does that other users see (a room message, a join, a
 * leave, a move, a rename, an announcement, an operator's act) is published as a {@link BusEvent};
 * every node, the origin included, delivers it when the bus hands it back in the cluster's one
 * order (`Hub.applyBusEvent`). The actor's own copy (an IRC user's JOIN echo, a rename's echo, a
 * private message's echo) is delivered at once, as without a cluster. When the bus cannot take
 * an event (it is split from the others), `publish` returns false and the hub delivers it locally
 * at once, as a hub with no bus does.
 */
import type { EventArgs, RoomMessage } from './events.js';
import type { Session } from './hub.js';
import type { LeaveReason } from './messages.js';
import type { TransportKind } from './peer.js';

/** A user as other nodes learn of them: what their listings, IRC masks and operator marks need. */
export interface BusUser {
  readonly name: string;
  readonly rooms: readonly string[];
  readonly transport: TransportKind;
  readonly operator: boolean;
}

/** A local user's doing, as it crosses nodes: facts, never rendered lines. */
export type BusEvent =
  | { readonly t: 'msg'; readonly room: string; readonly from: string; readonly text: string; readonly action?: true }
  /** `name` came into `room` (from the room `from`, when they moved; `user` says who they are). */
  | { readonly t: 'join'; readonly room: string; readonly user: BusUser }
  /** A user with no room yet (an IRC client before its first JOIN): known, so names and private messages reach them. */
  | { readonly t: 'hello'; readonly user: BusUser }
  | { readonly t: 'move'; readonly room: string; readonly to: string; readonly name: string }
  | { readonly t: 'part'; readonly room: string; readonly name: string; readonly message?: string }
  | {
      readonly t: 'leave';
      readonly rooms: readonly string[];
      readonly name: string;
      readonly reason: LeaveReason;
      readonly by?: string;
      readonly because?: string;
      readonly message?: string;
      /** Parameters of the reason's words (UDP's `no_ack`: how many retries). */
      readonly reasonArgs?: EventArgs;
    }
  | { readonly t: 'rename'; readonly old: string; readonly name: string; readonly rooms: readonly string[] }
  | { readonly t: 'pm'; readonly from: string; readonly to: string; readonly text: string }
  | { readonly t: 'announce'; readonly from: string; readonly text: string }
  | { readonly t: 'op'; readonly name: string }
  | { readonly t: 'mute'; readonly name: string; readonly by: string; readonly minutes: number }
  | { readonly t: 'kick'; readonly name: string; readonly by: string; readonly because?: string };

/** The answer to a name claim: held cluster-wide, taken by someone (somewhere), or the cluster cannot be asked. */
export type ClaimAnswer = 'ok' | 'taken' | 'unavailable';

/** What the hub asks of the cluster (src/cluster/redis-bus.ts implements it). */
export interface HubBus {
  /** This node's id, as remote users' sessions carry it (`Session.node`). */
  readonly node: string;
  /** False while the node cannot reach the cluster (split): events are then delivered locally. */
  readonly connected: boolean;
  /**
   * Hands the bus a local user's event, to be delivered when it comes back ordered (true), or
   * refuses it because the node is split (false: the hub delivers it here, now). `origin` is the
   * local session that did it, so its node can leave it out of what the others hear.
   */
  publish(event: BusEvent, origin: Session): boolean;
  /** A private message for a user on `node`; false when it cannot go (split). */
  forward(node: string, event: BusEvent & { t: 'pm' }): boolean;
  /**
   * Claims `name` (normalised, already checked locally) for the local `session`, all of its keys
   * (the fold, the look-alike and the IRC nick) or none. `done` runs later, once.
   */
  claim(session: Session, name: string, done: (answer: ClaimAnswer) => void): void;
  /** `session` no longer holds `name` (it left, or took another name: the keys both share stay held). */
  release(session: Session, name: string, keep?: string): void;
}

/** A room message as the bus hands it back: the entry, numbered by the cluster (the same id on every node). */
export type BusMessage = RoomMessage;
