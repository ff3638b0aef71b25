/**
 * The WebSocket protocol's encoder: a hub event -> the JSON text of one frame, per
 * src/protocol/ws-frames.ts (protocol v1). A person's text (`text`) is the line protocol's own
 * line for the event, in the receiver's language: the same words a terminal shows.
 *
 *   { kind: 'message', room: 'general', id: 1, at: 0, from: 'ana', text: 'hola' }
 *     -> {"type":"message","room":"general","id":1,"at":0,"from":"ana","text":"hola"}
 *
 * An event bound for many receivers is one object; `frame()` renders it once per language and
 * hands every later receiver the same string, so a broadcast costs one JSON.stringify (and the
 * transport frames those bytes once too: transport/ws.ts). Answers to one user (a reply, the
 * welcome, a list) are rendered for that one receiver.
 *
 * Pure: no sockets, no clock but the one in the events.
 */
import type { ChatEvent, History, Welcome } from '../hub/events.js';
import { LANGS, type Lang, type Translate, translator } from '../hub/messages.js';
import type { HelloFrame, HistoryFrame, ServerFrame, WelcomeFrame } from '../protocol/ws-frames.js';
import { WS_PROTOCOL_VERSION } from '../protocol/ws-frames.js';
import { isOneLine, lineEncoder } from './line.js';

const TRANSLATORS: Record<Lang, Translate> = Object.fromEntries(LANGS.map((lang) => [lang, translator(lang)])) as Record<Lang, Translate>;

/** Long lists are not cut for a browser: it wraps them itself. */
const NO_LINE_BOUND = Number.MAX_SAFE_INTEGER;

/** Renders events as JSON frames; one instance is shared by every WebSocket connection of a server. */
export class JsonEncoder {
  #esEvent: ChatEvent | undefined;
  #esJson = '';
  #enEvent: ChatEvent | undefined;
  #enJson = '';
  /** How many times an event was actually rendered (tests check a broadcast renders once per language). */
  renders = 0;

  /**
   * The frame of `event` in `lang`. Room traffic (messages, notices, announcements) is the same
   * string for every receiver of the same event and language; answers are rendered each time.
   */
  frame(event: ChatEvent, lang: Lang): string {
    if (!isOneLine(event)) return this.render(event, lang);
    if (lang === 'es') {
      if (this.#esEvent !== event) {
        this.#esJson = this.render(event, 'es');
        this.#esEvent = event;
      }
      return this.#esJson;
    }
    if (this.#enEvent !== event) {
      this.#enJson = this.render(event, 'en');
      this.#enEvent = event;
    }
    return this.#enJson;
  }

  /** The welcome, with the resume token of the connection's first welcome. */
  welcome(event: Welcome, lang: Lang, resume: string | undefined): string {
    this.renders++;
    return JSON.stringify(welcomeFrame(event, lang, resume));
  }

  /** Renders `event` (uncached). */
  render(event: ChatEvent, lang: Lang): string {
    this.renders++;
    return JSON.stringify(toFrame(event, lang));
  }
}

/** The frame object of `event` in `lang` (what `render` stringifies). */
export function toFrame(event: ChatEvent, lang: Lang): ServerFrame {
  const t = TRANSLATORS[lang];
  switch (event.kind) {
    case 'message': {
      const { room, id, at, from, text } = event;
      return event.action === true ? { type: 'message', room, id, at, from, text, action: true } : { type: 'message', room, id, at, from, text };
    }
    case 'private':
      return { type: 'private', from: event.from, to: event.to, text: event.text, echo: event.echo };
    case 'joined': {
      const line = lineEncoder.line(event, lang);
      return event.from === undefined ? { type: 'joined', room: event.room, name: event.name, text: line } : { type: 'joined', room: event.room, name: event.name, from: event.from, text: line };
    }
    case 'left':
      return { type: 'left', room: event.room, name: event.name, reason: event.reason, text: lineEncoder.line(event, lang) };
    case 'moved':
      return { type: 'moved', room: event.room, name: event.name, to: event.to, text: lineEncoder.line(event, lang) };
    case 'renamed':
      return { type: 'renamed', old: event.old, name: event.name, echo: event.echo, text: lineEncoder.line(event, lang) };
    case 'reply':
      return { type: 'reply', key: event.key, text: t(event.key, event.args) };
    case 'refusal':
      return { type: 'refusal', key: event.key, text: t(event.key, event.args) };
    case 'users':
      return { type: 'users', room: event.room, users: event.users, text: lineEncoder.lines(event, lang, NO_LINE_BOUND).join('\n') };
    case 'rooms':
      return { type: 'rooms', rooms: event.rooms, text: lineEncoder.lines(event, lang, NO_LINE_BOUND).join('\n') };
    case 'welcome':
      return welcomeFrame(event, lang, undefined);
    case 'history':
      return historyFrame(event);
    case 'announce':
      return { type: 'announce', from: event.from, text: event.text };
    case 'closing':
      return { type: 'closing', text: lineEncoder.line(event, lang) };
  }
}

function welcomeFrame(event: Welcome, lang: Lang, resume: string | undefined): WelcomeFrame {
  const text = lineEncoder.lines(event, lang, NO_LINE_BOUND)[0] ?? '';
  const { name, room, count, users, moved } = event;
  return resume === undefined ? { type: 'welcome', name, room, count, users, moved, text } : { type: 'welcome', name, room, count, users, moved, resume, text };
}

function historyFrame(event: History): HistoryFrame {
  const messages = event.entries.map((e) =>
    e.action === true ? { room: event.room, id: e.id, at: e.at, from: e.from, text: e.text, action: true as const } : { room: event.room, id: e.id, at: e.at, from: e.from, text: e.text },
  );
  return event.gap === undefined ? { type: 'history', room: event.room, messages } : { type: 'history', room: event.room, messages, gap: event.gap };
}

/** The first frame of every connection. */
export function helloFrame(options: Omit<HelloFrame, 'type' | 'v'>): string {
  const frame: HelloFrame = { type: 'hello', v: WS_PROTOCOL_VERSION, ...options };
  return JSON.stringify(frame);
}
