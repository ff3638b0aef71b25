/**
 * The line protocol's encoder (TCP, TLS, UDP): a hub event -> the lines a line client reads,
 * in its language. These are the seed's and today's lines byte for byte (`ana: hola`,
 * `*** ana se ha unido al chat ***`, `Usuarios: ana, bob`), README "Wire protocol".
 *
 * An event bound for many receivers is one object; `line()` renders it once per language and
 * hands every later receiver the same string, so a broadcast costs one rendering, and the
 * transports' own caches (StreamPeer's output arena, the UDP transport's last datagram) then
 * encode those bytes once too.
 *
 * Pure: no sockets, no clock but the one in the events.
 */
import { type ChatEvent, type EventArgs, type History, isAnswer, isNotice, type Refusal, type Reply, type RoomList, type UserList, type Welcome } from '../hub/events.js';
import { packLines } from '../hub/list-lines.js';
import { LANGS, type Lang, type LeaveReason, type Translate, translator } from '../hub/messages.js';

const TRANSLATORS: Record<Lang, Translate> = Object.fromEntries(LANGS.map((lang) => [lang, translator(lang)])) as Record<Lang, Translate>;

/** The line a user leaving for `reason` leaves behind: the seed's plain notice for a goodbye. */
function leaveLine(t: Translate, name: string, reason: LeaveReason, by: string | undefined, because: string | undefined, reasonArgs: EventArgs | undefined): string {
  if (reason === 'quit') return t('user_left', { name });
  if (reason === 'removed' && by !== undefined) {
    return because === undefined ? t('user_removed', { name, by }) : t('user_removed_because', { name, by, because });
  }
  return t('user_left_because', { name, reason: t(`reason_${reason}`, reasonArgs) });
}

/** "12:03", in the server's time zone. */
export function clockTime(at: number): string {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Events that always render as one line: everything but the answers to one user (isAnswer). */
type OneLine = Exclude<ChatEvent, Reply | Refusal | UserList | RoomList | Welcome | History>;

/** True when `event` renders as exactly one line, the same for every receiver of a language. */
export function isOneLine(event: ChatEvent): event is OneLine {
  return !isAnswer(event);
}

/**
 * The one-line event rendered last in one language, its line, and whether it is a room notice:
 * what every receiver of a broadcast after the first takes, by the event's identity. One object
 * per language for the life of the encoder, so a peer can hold its language's.
 */
export class RenderedLine {
  event: ChatEvent | undefined = undefined;
  line = '';
  notice = false;
}

/** Renders events as lines; one instance is shared by every line transport. */
export class LineEncoder {
  readonly #es = new RenderedLine();
  readonly #en = new RenderedLine();

  /** The line of a one-line event; the same string for every receiver of the same event and language. */
  line(event: OneLine, lang: Lang): string {
    const last = this.last(lang);
    if (last.event !== event) {
      last.line = renderOne(event, TRANSLATORS[lang]);
      last.notice = isNotice(event);
      last.event = event;
    }
    return last.line;
  }

  /**
   * What `line()` rendered last in `lang` (always the same object). A receiver checks the
   * event's identity against it without reading the event: events come in a dozen shapes, and
   * reading `kind` from them is a megamorphic load, 3 of them per receiver before (a 5,000-user
   * join storm hands out 12.5 million join events).
   */
  last(lang: Lang): RenderedLine {
    return lang === 'es' ? this.#es : this.#en;
  }

  /** Every line of `event`, for a receiver whose transport carries lines of at most `maxLineBytes`. */
  lines(event: ChatEvent, lang: Lang, maxLineBytes: number): string[] {
    if (isOneLine(event)) return [this.line(event, lang)];
    const t = TRANSLATORS[lang];
    switch (event.kind) {
      case 'reply':
      case 'refusal':
        return t(event.key, event.args).split('\n');
      case 'users': {
        // seed: "Usuarios: a, b, c"; operators marked "@ana" ("@" is never in a name), reliable
        // UDP users "lee (fiable)" (a space is never in a name either).
        const names = event.users.map((u) => {
          const name = u.operator ? `@${u.name}` : u.name;
          return u.reliable === true ? t('user_list_reliable', { name }) : name;
        });
        return packLines(names, (users) => t('user_list', { users }), maxLineBytes);
      }
      case 'rooms': {
        const rooms = event.rooms.map((r) =>
          r.topic === undefined ? t('room_entry', { room: r.name, count: r.users }) : t('room_entry_topic', { room: r.name, count: r.users, topic: r.topic }),
        );
        return packLines(rooms, (list) => t('room_list', { rooms: list }), maxLineBytes);
      }
      case 'welcome':
        return [welcomeLine(t, event, maxLineBytes)];
      case 'history': {
        if (event.entries.length === 0) return [t('history_empty', { room: event.room })];
        const lines = [t('history_header', { count: event.entries.length, room: event.room })];
        for (const e of event.entries) lines.push(t(e.action === true ? 'history_action' : 'history_line', { time: clockTime(e.at), from: e.from, text: e.text }));
        return lines;
      }
    }
  }
}

function renderOne(event: OneLine, t: Translate): string {
  switch (event.kind) {
    case 'message':
      return event.action === true ? `* ${event.from} ${event.text}` : `${event.from}: ${event.text}`; // seed: "name: msg"
    case 'private':
      return event.echo ? t('private_to', { name: event.to, text: event.text }) : t('private_from', { name: event.from, text: event.text });
    case 'joined':
      return event.from === undefined ? t('user_joined', { name: event.name }) : t('user_arrived', { name: event.name, room: event.from });
    case 'left':
      return leaveLine(t, event.name, event.reason, event.by, event.because, event.reasonArgs);
    case 'moved':
      return t('user_moved', { name: event.name, room: event.to });
    case 'renamed':
      return t('user_renamed', { old: event.old, name: event.name });
    case 'topic':
      return event.text === '' ? t('topic_cleared', { by: event.by, room: event.room }) : t('topic_changed', { by: event.by, room: event.room, text: event.text });
    case 'announce':
      return t('announcement', { from: event.from, text: event.text });
    case 'closing':
      return t('server_closing');
  }
}

/**
 * The welcome (or, after a move, the confirmation naming the room): the names of who is there
 * while they are few and the line fits the receiver's bound, else their count.
 */
function welcomeLine(t: Translate, { name, room, count, users, moved }: Extract<ChatEvent, { kind: 'welcome' }>, maxLineBytes: number): string {
  const render = (list: string | number): string => (moved ? t('room_entered', { room, users: list }) : t('welcome', { name, users: list }));
  if (users.length === count && count > 0) {
    const listed = render(users.join(', '));
    if (Buffer.byteLength(listed, 'utf8') <= maxLineBytes) return listed;
  }
  return render(count);
}

/** The encoder every line transport shares. */
export const lineEncoder = new LineEncoder();
