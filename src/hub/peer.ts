import type { ChatEvent } from './events.js';
import type { Lang, LeaveReason } from './messages.js';

/** Which transport a peer came in on; shown in logs and used for per-transport rules. */
export type TransportKind = 'tcp' | 'udp' | 'tls' | 'irc' | 'ws';

/**
 * What the hub knows about one connection. Transports implement it; the hub never sees a socket.
 *
 * Contract:
 * - `deliver` never blocks and never throws: the transport renders the event with its encoder
 *   (src/encode/) and queues the bytes or, past its byte bound, closes the peer as a slow
 *   consumer.
 * - `close` ends the connection after flushing what was already sent. It must not call back into
 *   the hub synchronously: the transport reports the departure later (`hub.leave`), so a peer
 *   closed in the middle of a broadcast never changes the room under the broadcast's feet.
 */
export interface Peer {
  /** Stable for the connection's life, for logs: "tcp 127.0.0.1:53122". */
  readonly id: string;
  readonly transport: TransportKind;
  /** The remote address (no port), for per-address limits. */
  readonly address: string;
  /** The language this peer's lines are rendered in. */
  readonly lang: Lang;
  /**
   * The longest line, in UTF-8 bytes without its terminator, this peer's transport carries: a
   * stream's `--max-line-bytes`, a UDP peer's datagram bound (`UDP_MAX_DATAGRAM_BYTES` at most).
   * Long replies (`/listar`, the welcome) are cut or shortened to fit it; chat lines are not
   * checked (they arrived within the same bound).
   */
  readonly maxLineBytes: number;
  /**
   * True while nothing shows that this peer's address receives what is sent to it (a UDP source
   * that has not echoed an address-validation token): such a user gives way to anyone else when
   * the server or its address is full, so forged registrations cannot lock people out.
   */
  readonly provisional?: boolean;
  /**
   * True for a UDP peer that speaks ARQ (`charla client --udp --fiable`): what it is sent is
   * resent until acknowledged. `/listar` marks it ("lee (fiable)").
   */
  readonly reliable?: boolean;
  /**
   * Hands the peer one event. The same event object goes to every receiver of a broadcast, so
   * the transport's encoder can render it once for all who share its protocol and language.
   * Room notices (`isNotice`) may be held a few milliseconds to share a write with others; order
   * is kept. Replies (`isReply`) are told apart from the room's traffic by a transport that
   * bounds what it sends to unproven addresses (UDP).
   */
  deliver(event: ChatEvent): void;
  /** Ends the connection for `reason`; the transport then reports it with `hub.leave`. */
  close(reason: LeaveReason): void;
}
