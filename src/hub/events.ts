/**
 * What the hub tells the transports: typed events, never finished text. The hub decides who
 * hears what; each transport's encoder renders an event for its protocol and its user's language
 * (src/encode/line.ts renders today's lines, byte for byte). An event bound for many receivers
 * is one object, so an encoder can render it once for all of them.
 *
 * Room messages carry their id in the room's ordered log (hub/room-log.ts): history, a browser's
 * "what did I miss since id X" and the multi-node mode all read that one log.
 */
import type { LeaveReason, MessageKey } from './messages.js';

/** Catalogue parameters of a reply or a refusal. */
export type EventArgs = Readonly<Record<string, string | number>>;

/** A chat message in a room: `ana: hola`. */
export interface RoomMessage {
  readonly kind: 'message';
  readonly room: string;
  /** Increasing within the room, unique across restarts (RoomLog). */
  readonly id: number;
  /** Server time, ms since the epoch. */
  readonly at: number;
  readonly from: string;
  readonly text: string;
  /** An action (IRC's `/me`, CTCP ACTION): line users read `* ana saluda`. Absent on plain messages. */
  readonly action?: true;
}

/** A private message: to its receiver, or (`echo`) the confirmation to its sender. */
export interface PrivateMessage {
  readonly kind: 'private';
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly echo: boolean;
}

/** `name` joined `room` (on registering: the seed's "se ha unido al chat"; else from another room). */
export interface Joined {
  readonly kind: 'joined';
  readonly room: string;
  readonly name: string;
  /** The room they came from, when they moved here; undefined when they just arrived. */
  readonly from: string | undefined;
}

/**
 * `name` left the server, for `reason`; `by` and `because` when an operator removed them. With
 * `parted`, they left only this room (an IRC user's PART: the line protocol shows it as a leave).
 */
export interface Left {
  readonly kind: 'left';
  readonly room: string;
  readonly name: string;
  readonly reason: LeaveReason;
  readonly by?: string | undefined;
  readonly because?: string | undefined;
  /** Parameters of the reason's catalogue entry (`reason_no_ack`'s `{retries}`), when it has any. */
  readonly reasonArgs?: EventArgs | undefined;
  /** An IRC user's own words on leaving (QUIT :text, PART :text), shown to IRC receivers. */
  readonly message?: string | undefined;
  readonly parted?: boolean;
}

/** `name` left `room` for the room `to`. */
export interface Moved {
  readonly kind: 'moved';
  readonly room: string;
  readonly name: string;
  readonly to: string;
}

/** `old` is now `name`; `echo` marks the copy to the one who renamed themself. */
export interface Renamed {
  readonly kind: 'renamed';
  readonly old: string;
  readonly name: string;
  readonly echo: boolean;
}

/** The answer to a command, to its asker: a catalogue entry (it may be several lines). */
export interface Reply {
  readonly kind: 'reply';
  readonly key: MessageKey;
  readonly args: EventArgs | undefined;
}

/** Something refused ("Error: ..."), to the one refused. */
export interface Refusal {
  readonly kind: 'refusal';
  readonly key: MessageKey;
  readonly args: EventArgs | undefined;
}

/** The answer to `/listar`: who is in the asker's room, in join order, operators marked. */
export interface UserList {
  readonly kind: 'users';
  readonly room: string;
  /**
   * `reliable`: a UDP user speaking ARQ (`charla client --udp --fiable`). Present only when true,
   * so that a room without one lists exactly as before ("Usuarios: a, b").
   */
  readonly users: readonly { readonly name: string; readonly operator: boolean; readonly reliable?: true }[];
}

/** The answer to `/salas`: every room, how many are in it, and its topic when it has one. */
export interface RoomList {
  readonly kind: 'rooms';
  readonly rooms: readonly { readonly name: string; readonly users: number; readonly topic?: string }[];
}

/**
 * Who is in the room one has just entered: the welcome after a name is taken, or (`moved`) the
 * confirmation of a move to another room. Rendered with the names while they are few, else
 * their count.
 */
export interface Welcome {
  readonly kind: 'welcome';
  readonly name: string;
  readonly room: string;
  /** How many are in the room, the newcomer included. */
  readonly count: number;
  /**
   * Their names, in join order, while there are at most WELCOME_LIST_MAX of them; empty past
   * that (the welcome then shows the count), so a join costs O(1) and not one name per user.
   */
  readonly users: readonly string[];
  readonly moved: boolean;
}

/** Users named in a welcome before it shows their count instead (and only while the line fits). */
export const WELCOME_LIST_MAX = 20;

/** Past messages of a room, replayed to one user, each marked as past. */
export interface History {
  readonly kind: 'history';
  readonly room: string;
  /**
   * Set on the answer to a browser's "what did I miss since id X": true when the log no longer
   * holds everything after X (RoomLog.hasAllSince). Undefined on an ordinary replay.
   */
  readonly gap?: boolean;
  /** The room's log entries (RoomMessages: each with its id), oldest first. */
  readonly entries: readonly HistoryEntry[];
}

/** One past message of a History: a room log entry, with its id (the key of "what did I miss"). */
export interface HistoryEntry {
  readonly id: number;
  readonly at: number;
  readonly from: string;
  readonly text: string;
  readonly action?: true;
}

/**
 * The topic of `room` was set (or, `text` empty, cleared) by the operator `by`: to every member
 * of the room, the setter too. Line users read `*** ana ha cambiado el tema de la sala general:
 * ... ***`, IRC users `:ana!ana@tcp.charla TOPIC #general :...`; a JSON encoder would send the
 * fields as they are. The room keeps it (`Room.topic`) for who comes later.
 */
export interface TopicChanged {
  readonly kind: 'topic';
  readonly room: string;
  /** The new topic; '' when it was cleared. */
  readonly text: string;
  readonly by: string;
  /** Server time it was set, ms since the epoch. */
  readonly at: number;
}

/** An operator's announcement, to every room. */
export interface Announcement {
  readonly kind: 'announce';
  readonly from: string;
  readonly text: string;
}

/** The server is shutting down. */
export interface Closing {
  readonly kind: 'closing';
}

export type ChatEvent =
  | RoomMessage
  | PrivateMessage
  | Joined
  | Left
  | Moved
  | Renamed
  | Reply
  | Refusal
  | UserList
  | RoomList
  | Welcome
  | History
  | TopicChanged
  | Announcement
  | Closing;

/**
 * True for the answers to one user (a reply, a refusal, a list, the welcome, a replay): events
 * made for their one receiver, which may render as several lines (the help, a long list).
 */
export function isAnswer(event: ChatEvent): event is Reply | Refusal | UserList | RoomList | Welcome | History {
  switch (event.kind) {
    case 'reply':
    case 'refusal':
    case 'users':
    case 'rooms':
    case 'welcome':
    case 'history':
      return true;
    default:
      return false;
  }
}

/**
 * True for the events a user receives because of something they sent themselves (an answer, or
 * their own rename or private message echoed), as opposed to the room's traffic: a transport
 * that bounds what it sends to unproven addresses (UDP) counts the two apart.
 */
export function isReply(event: ChatEvent): boolean {
  if (isAnswer(event)) return true;
  return (event.kind === 'private' || event.kind === 'renamed') && event.echo;
}

/**
 * True for room notices (joins, leaves, moves, renames), which a transport may hold a few
 * milliseconds to batch with the next ones (StreamPeer's notice window). Order is kept.
 */
export function isNotice(event: ChatEvent): boolean {
  const { kind } = event;
  return kind === 'joined' || kind === 'left' || kind === 'moved' || kind === 'renamed';
}

/** A reply event (no allocation for the common no-argument case beyond the object). */
export function reply(key: MessageKey, args?: EventArgs): Reply {
  return { kind: 'reply', key, args };
}

/** A refusal event. */
export function refusal(key: MessageKey, args?: EventArgs): Refusal {
  return { kind: 'refusal', key, args };
}
