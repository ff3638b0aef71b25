/**
 * The IRC encoder: a hub event -> the IRC lines an IRC client reads (Modern IRC).
 *
 *   { kind: 'message', room: 'general', from: 'ana', text: 'hola' }
 *     -> :ana!ana@tcp.charla PRIVMSG #general :hola
 *
 * - A room is the channel `#` + its name (`general` is `#general`).
 * - A user is their IRC nick (`ircNick` in hub/names.ts: `ana` is `ana`, `José` is
 *   `Jose|<tag>`), with the user part the nick too and a host that says how they came:
 *   `tcp.charla` (TCP and TLS line clients), `udp.charla`, `irc.charla`, `web.charla` (browsers, over WebSocket).
 * - The room's traffic (messages, joins, parts, quits, renames, announcements) renders the same
 *   for every IRC receiver: `shared()` renders an event once and hands every later receiver the
 *   same string, all its lines in it (CR LF between, a CR at the end: the stream peer adds the
 *   LF), so a broadcast costs one rendering and one arena encoding, as the line protocol's.
 * - Answers to one user (numerics, which name their receiver) are rendered per receiver by
 *   `answer()`.
 * - A message longer than an IRC line (512 bytes with the prefix) is cut for IRC receivers into
 *   several PRIVMSGs, at character boundaries (protocol/irc.ts `splitUtf8`).
 *
 * Pure but for `hostOf`, which it is handed: no sockets, no clock but the one in the events.
 */
import { type ChatEvent, type History, type Refusal, type Reply, type RoomList, type RoomMessage, type UserList, type Welcome } from '../hub/events.js';
import { LANGS, type Lang, type MessageKey, type Translate, translator } from '../hub/messages.js';
import { ircNick } from '../hub/names.js';
import type { TransportKind } from '../hub/peer.js';
import { formatIrc, IRC_CONTENT_BYTES, splitUtf8, utf8Bytes } from '../protocol/irc.js';
import { clockTime, isOneLine } from './line.js';

/** The server's name in IRC prefixes and numerics. */
export const IRC_SERVER_NAME = 'server.charla';

/** The host part of a user's mask, by the transport they came in on. */
export function ircHost(transport: TransportKind): string {
  switch (transport) {
    case 'tcp':
    case 'tls':
      return 'tcp.charla';
    case 'udp':
      return 'udp.charla';
    case 'irc':
      return 'irc.charla';
    case 'ws':
      return 'web.charla';
  }
}

/** The channel of a room. */
export function ircChannel(room: string): string {
  return `#${room}`;
}

/** `nick!nick@host`. */
export function ircMask(nick: string, host: string): string {
  return `${nick}!${nick}@${host}`;
}

const TRANSLATORS: Record<Lang, Translate> = Object.fromEntries(LANGS.map((lang) => [lang, translator(lang)])) as Record<Lang, Translate>;

/** Refusals that come right before the server closes the connection: an IRC `ERROR` line. */
const CLOSING: ReadonlySet<MessageKey> = new Set<MessageKey>([
  'registration_timeout',
  'idle_timeout',
  'flood_kicked',
  'kicked_you',
  'kicked_you_because',
  'password_wrong',
  'server_full',
  'too_many_connections',
]);

type Answer = Reply | Refusal | UserList | RoomList | Welcome | History;

/** The start of a sender's PRIVMSGs to one channel, `:nick!nick@host PRIVMSG #room :`, and its UTF-8 bytes. */
interface MessageHead {
  readonly host: string;
  readonly room: string;
  readonly head: string;
  readonly bytes: number;
}

/** Senders whose message head is remembered before the cache starts over. */
const MAX_HEADS = 4096;

/** Renders events as IRC lines; one instance per IRC transport (it asks that transport's hub for hosts). */
export class IrcEncoder {
  readonly #hostOf: (name: string) => string;
  #lastEvent: ChatEvent | undefined;
  #lastLang: Lang | undefined;
  #lastBlock = '';
  #taggedEvent: ChatEvent | undefined;
  #taggedBlock = '';
  /**
   * Each sender's message head, by name: a chat line is then one concatenation, not a nick, a
   * mask and a byte count per message. Checked against the sender's host and room each time (a
   * name may come back on another transport, or a sender talk in another channel).
   */
  readonly #heads = new Map<string, MessageHead>();

  /** `hostOf(name)`: the host of the named user (`ircHost` of their transport). */
  constructor(hostOf: (name: string) => string) {
    this.#hostOf = hostOf;
  }

  #mask(name: string): string {
    return ircMask(ircNick(name), this.#hostOf(name));
  }

  /**
   * The lines of a room-traffic event (every event but the answers), the same for every IRC
   * receiver of a language: one string (CR LF between lines, a CR at the end), or '' when IRC
   * shows nothing (the echo of one's own private message: no echo-message here).
   */
  shared(event: ChatEvent, lang: Lang): string {
    if (this.#lastEvent === event && this.#lastLang === lang) return this.#lastBlock;
    if (event.kind === 'message' && event.action !== true) {
      // The hot path: a chat line that fits one IRC line (the same in every language).
      const { head, bytes } = this.#head(event.from, event.room);
      const { text } = event;
      if (text.length * 3 <= IRC_CONTENT_BYTES - bytes || utf8Bytes(text) <= IRC_CONTENT_BYTES - bytes) {
        this.#lastBlock = `${head}${text}\r`;
        this.#lastEvent = event;
        this.#lastLang = lang;
        return this.#lastBlock;
      }
    }
    const lines = this.#render(event, TRANSLATORS[lang]);
    this.#lastBlock = lines.length === 0 ? '' : `${lines.join('\r\n')}\r`;
    this.#lastEvent = event;
    this.#lastLang = lang;
    return this.#lastBlock;
  }

  /**
   * A room message for receivers that asked for `server-time`: its lines with `@time=` (the
   * server time the room's log gave it), rendered once for all of them too.
   */
  sharedTagged(event: RoomMessage): string {
    if (this.#taggedEvent === event) return this.#taggedBlock;
    const tag = `@time=${new Date(event.at).toISOString()} `;
    this.#taggedBlock = `${this.#privmsg(this.#mask(event.from), ircChannel(event.room), event.text, event.action === true)
      .map((line) => tag + line)
      .join('\r\n')}\r`;
    this.#taggedEvent = event;
    return this.#taggedBlock;
  }

  /**
   * Replayed history for a receiver with `server-time`: each entry as the PRIVMSG it was, at its
   * time, so the client files it where it belongs. (Without it: NOTICEs, see `answer`.)
   */
  historyTagged(event: History): string[] {
    const channel = ircChannel(event.room);
    const lines: string[] = [];
    for (const e of event.entries) {
      const tag = `@time=${new Date(e.at).toISOString()} `;
      for (const line of this.#privmsg(this.#mask(e.from), channel, e.text, e.action === true)) lines.push(tag + line);
    }
    return lines;
  }

  #head(from: string, room: string): MessageHead {
    const host = this.#hostOf(from);
    const known = this.#heads.get(from);
    if (known !== undefined && known.host === host && known.room === room) return known;
    const head = `:${ircMask(ircNick(from), host)} PRIVMSG ${ircChannel(room)} :`;
    const made: MessageHead = { host, room, head, bytes: utf8Bytes(head) };
    if (this.#heads.size >= MAX_HEADS) this.#heads.clear();
    this.#heads.set(from, made);
    return made;
  }

  #render(event: ChatEvent, t: Translate): string[] {
    switch (event.kind) {
      case 'message':
        return this.#privmsg(this.#mask(event.from), ircChannel(event.room), event.text, event.action === true);
      case 'private':
        return event.echo ? [] : this.#privmsg(this.#mask(event.from), ircNick(event.to), event.text);
      case 'joined':
        return [`:${this.#mask(event.name)} JOIN ${ircChannel(event.room)}`];
      case 'left': {
        const mask = this.#mask(event.name);
        if (event.parted === true) {
          return [formatIrc({ source: mask, command: 'PART', params: event.message === undefined ? [ircChannel(event.room)] : [ircChannel(event.room), event.message] }, event.message !== undefined)];
        }
        return [formatIrc({ source: mask, command: 'QUIT', params: [quitReason(t, event)] }, true)];
      }
      case 'moved':
        return [formatIrc({ source: this.#mask(event.name), command: 'PART', params: [ircChannel(event.room), t('irc_moved_to', { room: event.to })] }, true)];
      case 'renamed':
        return [`:${ircMask(ircNick(event.old), this.#hostOf(event.name))} NICK ${ircNick(event.name)}`];
      case 'topic':
        return [formatIrc({ source: this.#mask(event.by), command: 'TOPIC', params: [ircChannel(event.room), event.text] }, true)];
      case 'announce':
        return serverNotice('*', t('announcement', { from: event.from, text: event.text }));
      case 'closing':
        return [...serverNotice('*', t('server_closing')), `ERROR :${t('irc_closing_link', { reason: t('reason_server_shutdown') })}`];
      default:
        return this.answer(event, 'es', '*'); // not reached: answers go through answer()
    }
  }

  /** `:mask PRIVMSG target :text`, cut into as many lines as the text needs. */
  #privmsg(mask: string, target: string, text: string, action = false): string[] {
    const head = `:${mask} PRIVMSG ${target} :`;
    if (action) {
      const room = IRC_CONTENT_BYTES - utf8Bytes(head) - 9; // \x01ACTION ... \x01
      return splitUtf8(text, room).map((piece) => `${head}\x01ACTION ${piece}\x01`);
    }
    const room = IRC_CONTENT_BYTES - utf8Bytes(head);
    if (text.length * 3 <= room) return [head + text];
    return splitUtf8(text, room).map((piece) => head + piece);
  }

  /** The lines of an answer to one user (numerics name their receiver, `me`). */
  answer(event: Answer | ChatEvent, lang: Lang, me: string): string[] {
    const t = TRANSLATORS[lang];
    if (isOneLine(event)) {
      const block = this.shared(event, lang);
      return block === '' ? [] : block.slice(0, -1).split('\r\n');
    }
    switch (event.kind) {
      case 'reply':
        // The operator key (OPER, or /admin) was right: IRC's "you are an operator".
        if (event.key === 'admin_granted') return [numeric('381', me, [t('irc_oper_granted')])];
        return t(event.key, event.args).split('\n').flatMap((line) => serverNotice(me, line));
      case 'refusal': {
        const text = t(event.key, event.args);
        if (CLOSING.has(event.key)) return [`ERROR :${t('irc_closing_link', { reason: text })}`];
        if (event.key === 'admin_wrong') return [numeric('464', me, [t('irc_password_wrong')])];
        if (event.key === 'admin_none') return [numeric('491', me, [t('irc_no_oper')])];
        if (event.key === 'line_too_long') return [numeric('417', me, [t('irc_input_too_long')])];
        return text.split('\n').flatMap((line) => serverNotice(me, line));
      }
      case 'users':
        return namesReply(me, event.room, event.users.map((u) => (u.operator ? `@${ircNick(u.name)}` : ircNick(u.name))), t);
      case 'rooms':
        return [
          numeric('321', me, ['Channel', t('irc_list_start')]),
          ...event.rooms.map((r) => numeric('322', me, [ircChannel(r.name), String(r.users), r.topic ?? ''])),
          numeric('323', me, [t('irc_end_of_list')]),
        ];
      case 'welcome':
        return serverNotice(me, t(event.moved ? 'room_entered' : 'welcome', { name: event.name, room: event.room, users: event.users.length === event.count ? event.users.map(ircNick).join(', ') : event.count }));
      case 'history': {
        const channel = ircChannel(event.room);
        if (event.entries.length === 0) return serverNotice(channel, t('history_empty', { room: event.room }));
        const lines = serverNotice(channel, t('history_header', { count: event.entries.length, room: event.room }));
        for (const e of event.entries) {
          lines.push(...serverNotice(channel, t(e.action === true ? 'history_action' : 'history_line', { time: clockTime(e.at), from: ircNick(e.from), text: e.text })));
        }
        return lines;
      }
    }
    return [];
  }
}

/** The QUIT text of a user who left the server. */
function quitReason(t: Translate, event: Extract<ChatEvent, { kind: 'left' }>): string {
  if (event.message !== undefined) return t('irc_quit', { message: event.message });
  if (event.reason === 'removed' && event.by !== undefined) {
    return event.because === undefined ? `${t('reason_removed')} (${ircNick(event.by)})` : `${t('reason_removed')} (${ircNick(event.by)}): ${event.because}`;
  }
  if (event.reason === 'slow') return t('irc_sendq');
  return t(`reason_${event.reason}`, event.reasonArgs);
}

/** A numeric from the server to `me`: `:server.charla 433 me ana :Nickname is already in use`. The last param is trailing. */
export function numeric(code: string, me: string, params: readonly string[]): string {
  return formatIrc({ source: IRC_SERVER_NAME, command: code, params: [me, ...params] }, true);
}

/** A NOTICE from the server to `target`, cut to fit lines. */
export function serverNotice(target: string, text: string): string[] {
  const head = `:${IRC_SERVER_NAME} NOTICE ${target} :`;
  return splitUtf8(text, IRC_CONTENT_BYTES - utf8Bytes(head)).map((piece) => head + piece);
}

/**
 * The topic of a channel as IRC shows it, to `me`: 332 (the text) and 333 (who set it, when, in
 * seconds since the epoch); 331 when there is none.
 */
export function topicReply(me: string, room: string, topic: { readonly text: string; readonly by: string; readonly at: number } | undefined, t: Translate): string[] {
  const channel = ircChannel(room);
  if (topic === undefined) return [numeric('331', me, [channel, t('irc_no_topic')])];
  return [numeric('332', me, [channel, topic.text]), numeric('333', me, [channel, ircNick(topic.by), String(Math.floor(topic.at / 1000))])];
}

/** 353 lines (names packed to fit) and the 366 that ends them. */
export function namesReply(me: string, room: string, nicks: readonly string[], t: Translate): string[] {
  const channel = ircChannel(room);
  const head = `:${IRC_SERVER_NAME} 353 ${me} = ${channel} :`;
  const room353 = IRC_CONTENT_BYTES - utf8Bytes(head);
  const lines: string[] = [];
  let line = '';
  for (const nick of nicks) {
    if (line.length > 0 && utf8Bytes(line) + 1 + utf8Bytes(nick) > room353) {
      lines.push(head + line);
      line = '';
    }
    line = line.length === 0 ? nick : `${line} ${nick}`;
  }
  if (line.length > 0) lines.push(head + line);
  lines.push(numeric('366', me, [channel, t('irc_end_of_names')]));
  return lines;
}
