/**
 * The WebSocket protocol between charla's server and browsers (or scripts, `websocat`): JSON
 * objects in text frames, one per frame, each with its `type`. This module is the contract both
 * sides compile against: the server's encoder (src/encode/json.ts) and the page (web/) import
 * these types; the README's browser section documents them with examples.
 *
 * Versioning: the first frame the server sends is `hello` with `v`; a client sends `v` in its
 * `join`. A server refuses a `join` of a version it does not speak (refusal `ws_version`), and
 * only adds optional fields within one version.
 *
 * Text that the server renders for a person (a notice, a reply, a refusal) comes in `text`, in
 * the connection's language (the catalogue, src/hub/messages.ts): the page shows it as is and
 * keeps no catalogue of its own for what the server says. Structured fields come beside it, so
 * the page can colour names, mark its own messages and keep the user list without parsing text.
 */

/** The version this module describes. */
export const WS_PROTOCOL_VERSION = 1;

/** The path of the WebSocket endpoint on the HTTP port. */
export const WS_PATH = '/ws';

export type WsLang = 'es' | 'en';

// --- server to client -------------------------------------------------------------------------

/** First frame on every connection, before any name: what the server is and wants. */
export interface HelloFrame {
  readonly type: 'hello';
  readonly v: number;
  /** `charla 0.1.0`. */
  readonly server: string;
  /** The language the server will render in until the join says otherwise. */
  readonly lang: WsLang;
  /** True when the server has a password: the join must carry it. */
  readonly password: boolean;
  /** The longest message text, in UTF-8 bytes (longer ones are refused). */
  readonly maxMessageBytes: number;
  /** The longest name, in characters. */
  readonly maxNameLength: number;
  /** The room a join without `room` enters. */
  readonly defaultRoom: string;
}

/** The join was taken: the name is this connection's, in `room`. */
export interface WelcomeFrame {
  readonly type: 'welcome';
  readonly name: string;
  readonly room: string;
  /** Users in the room, the newcomer included. */
  readonly count: number;
  /** Their names while they are few (see hub/events.ts Welcome), else empty. */
  readonly users: readonly string[];
  /** True when this confirms a move to another room rather than a first join. */
  readonly moved: boolean;
  /**
   * A token to resume this session after a drop: a later `join` that carries it takes the name
   * back even while the server has not yet noticed the old connection is gone. Only on the first
   * welcome of a connection.
   */
  readonly resume?: string;
  readonly text: string;
}

export interface MessageFrame {
  readonly type: 'message';
  readonly room: string;
  /** Increasing within the room, unique across restarts: the key of "what did I miss". */
  readonly id: number;
  /** Server time, ms since the epoch. */
  readonly at: number;
  readonly from: string;
  readonly text: string;
  /** `/me`: shown as `* ana saluda`. */
  readonly action?: true;
}

export interface PrivateFrame {
  readonly type: 'private';
  readonly from: string;
  readonly to: string;
  readonly text: string;
  /** The copy to its sender. */
  readonly echo: boolean;
}

export interface JoinedFrame {
  readonly type: 'joined';
  readonly room: string;
  readonly name: string;
  /** The room they came from, when they moved here. */
  readonly from?: string;
  readonly text: string;
}

export interface LeftFrame {
  readonly type: 'left';
  readonly room: string;
  readonly name: string;
  /** hub/messages.ts LeaveReason: quit, disconnected, connection_lost, timeout, slow, flood, kicked ... */
  readonly reason: string;
  readonly text: string;
}

export interface MovedFrame {
  readonly type: 'moved';
  readonly room: string;
  readonly name: string;
  readonly to: string;
  readonly text: string;
}

export interface RenamedFrame {
  readonly type: 'renamed';
  readonly old: string;
  readonly name: string;
  readonly echo: boolean;
  readonly text: string;
}

/** The answer to a command (`/ayuda`, `/nick`...), or a notice of the server. */
export interface ReplyFrame {
  readonly type: 'reply';
  /** The catalogue key, for scripts; the page shows `text`. */
  readonly key: string;
  readonly text: string;
}

/** Something refused: a name in use, a wrong password, a message too long, a flood warning. */
export interface RefusalFrame {
  readonly type: 'refusal';
  readonly key: string;
  readonly text: string;
}

export interface UsersFrame {
  readonly type: 'users';
  readonly room: string;
  readonly users: readonly { readonly name: string; readonly operator: boolean }[];
  readonly text: string;
}

export interface RoomsFrame {
  readonly type: 'rooms';
  readonly rooms: readonly { readonly name: string; readonly users: number; readonly topic?: string }[];
  readonly text: string;
}

/** Past messages of a room (on entering it, or the ones missed since a resume's `since`). */
export interface HistoryFrame {
  readonly type: 'history';
  readonly room: string;
  readonly messages: readonly Omit<MessageFrame, 'type'>[];
  /**
   * On a resume: true when the log no longer holds everything since the id asked for (more was
   * missed than it keeps), so the page can say that some messages are gone.
   */
  readonly gap?: boolean;
}

/** A room's topic was set (or, `topic` empty, cleared) by an operator. Also sent on entering a room that has one. */
export interface TopicFrame {
  readonly type: 'topic';
  readonly room: string;
  /** The topic; '' when it was cleared. */
  readonly topic: string;
  readonly by: string;
  /** Server time it was set, ms since the epoch. */
  readonly at: number;
  readonly text: string;
}

export interface AnnounceFrame {
  readonly type: 'announce';
  readonly from: string;
  readonly text: string;
}

/** The server is shutting down; a reconnect later may find it again. */
export interface ClosingFrame {
  readonly type: 'closing';
  readonly text: string;
}

export type ServerFrame =
  | HelloFrame
  | WelcomeFrame
  | MessageFrame
  | PrivateFrame
  | JoinedFrame
  | LeftFrame
  | MovedFrame
  | RenamedFrame
  | ReplyFrame
  | RefusalFrame
  | UsersFrame
  | RoomsFrame
  | HistoryFrame
  | TopicFrame
  | AnnounceFrame
  | ClosingFrame;

// --- client to server -------------------------------------------------------------------------

/**
 * Take a name (the first frame a client sends; again after a refusal). A refusal frame answers
 * a join that was not taken, and the client may try again on the same connection.
 */
export interface JoinFrame {
  readonly type: 'join';
  readonly v: number;
  readonly name: string;
  readonly password?: string;
  readonly lang?: WsLang;
  /** The room to enter (default: the server's default room). */
  readonly room?: string;
  /** From an earlier welcome: resume that session (see WelcomeFrame.resume). */
  readonly resume?: string;
  /**
   * The last message id this client saw in `room`: instead of the usual replay on entering, the
   * server sends exactly the messages after it (HistoryFrame, with `gap` when it cannot).
   */
  readonly since?: number;
}

/** One line as typed in the terminal client: chat text, or a `/` command (`/salas`, `/msg`...). */
export interface LineFrame {
  readonly type: 'line';
  readonly text: string;
}

export type ClientFrame = JoinFrame | LineFrame;
