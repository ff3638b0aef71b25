/**
 * charla in the browser: the name prompt, the room's messages, its users and the rooms, over the
 * WebSocket protocol of src/protocol/ws-frames.ts. Every line typed goes to the server as it
 * would from the terminal (`/salas`, `/msg ana hola`...); the server answers with frames whose
 * `text` is already in the connection's language.
 *
 * After a drop the page rejoins by itself with the resume token and, per room, the last message
 * id it has shown (`since`): the server sends what came after it, and ids at or below the last
 * one shown are never shown again, so each message appears exactly once.
 */
import { parseCommand } from '../src/protocol/command.js';
import { foldName } from '../src/hub/fold-name.js';
import {
  type HelloFrame,
  type HistoryFrame,
  type JoinFrame,
  type MessageFrame,
  type ServerFrame,
  type WelcomeFrame,
  type WsLang,
  WS_PATH,
  WS_PROTOCOL_VERSION,
} from '../src/protocol/ws-frames.js';
import { Connection } from './connection.js';
import { pickLang, ui, type UiKey } from './i18n.js';
import { appendWithNames, element, item, LogView, nameSpan, Roster } from './view.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const page = {
  status: $<HTMLSpanElement>('status'),
  lang: $<HTMLButtonElement>('lang'),
  login: $<HTMLFormElement>('login'),
  name: $<HTMLInputElement>('name'),
  passwordRow: $<HTMLDivElement>('password-row'),
  password: $<HTMLInputElement>('password'),
  loginError: $<HTMLParagraphElement>('login-error'),
  chat: $<HTMLElement>('chat'),
  log: $<HTMLOListElement>('log'),
  marker: $<HTMLButtonElement>('new-marker'),
  composer: $<HTMLFormElement>('composer'),
  line: $<HTMLInputElement>('line'),
  side: $<HTMLDetailsElement>('side'),
  refreshRooms: $<HTMLButtonElement>('refresh-rooms'),
};

function stored(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
function store(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // private mode: not remembered, nothing else changes
  }
}

let lang: WsLang = pickLang(stored('charla.lang'), navigator.languages ?? [navigator.language]);
const t = (key: UiKey, args?: Readonly<Record<string, string>>): string => ui(lang, key, args);

// --- state ------------------------------------------------------------------------------------

type Phase = 'login' | 'joining' | 'joined' | 'quit';
let phase: Phase = 'login';
let hello: HelloFrame | undefined;
/** What the login form asked for, sent once the server's hello has come. */
let wanted: { name: string; password: string } | undefined;
/** The name this page holds on the server, kept to rejoin after a drop. */
let me: string | undefined;
let password = '';
let resumeToken: string | undefined;
let room = '';
/** Per room (folded name): the largest message id shown. Nothing at or below it is shown again. */
const lastId = new Map<string, number>();
/** The join in flight is a rejoin after a drop: its history frame is what was missed. */
let rejoining = false;
/** Lists the page asked for itself (not typed): their answers update the panel, silently. */
let quietUsers = 0;
let quietRooms = 0;
/** `/historial` typed: its answer is shown in full, even the messages already on screen. */
let askedHistory = 0;
/** Own messages shown at once (the server does not echo them), not yet matched to an id. */
const ownPending: { text: string; li: HTMLLIElement }[] = [];
const OWN_PENDING_MAX = 50;
/** Lines typed, for ArrowUp / ArrowDown. */
const recall: string[] = [];
let recallAt = 0;
let probe: ReturnType<typeof setTimeout> | undefined;

const sameName = (a: string, b: string | undefined): boolean => b !== undefined && foldName(a) === foldName(b);
const roomKey = (name: string): string => foldName(name);

const view = new LogView(page.log, page.marker);
const roster = new Roster(
  $<HTMLUListElement>('users'),
  $<HTMLUListElement>('rooms'),
  $<HTMLElement>('side-summary'),
  $<HTMLElement>('room-name'),
  { users: () => t('users'), privateTo: (name) => t('user_private', { name }), goTo: (r) => t('join_room', { room: r }) },
  (name) => {
    page.line.value = `/msg ${name} `;
    page.line.focus();
  },
  (target) => {
    if (!sameName(target, room)) sendLine(`/sala ${target}`);
    page.line.focus();
  },
);

const wsUrl = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${WS_PATH}`;
const conn = new Connection(wsUrl, { frame: onFrame, closed: onClosed });

// --- the static text ----------------------------------------------------------------------------

function applyLang(): void {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll<HTMLElement>('[data-ui]')) el.textContent = t(el.dataset['ui'] as UiKey);
  page.log.setAttribute('aria-label', t('messages'));
  page.line.placeholder = t('line_placeholder');
  page.lang.textContent = t('lang_toggle');
  page.lang.lang = lang === 'es' ? 'en' : 'es';
  roster.draw();
  showStatus();
}

let statusKey: UiKey | undefined = 'connecting';
let statusBad = false;
function setStatus(key: UiKey | undefined, bad = false): void {
  statusKey = key;
  statusBad = bad;
  showStatus();
}
function showStatus(): void {
  page.status.textContent = statusKey === undefined ? '' : t(statusKey);
  page.status.classList.toggle('bad', statusBad);
}

// --- frames from the server ---------------------------------------------------------------------

function onFrame(f: ServerFrame): void {
  if (probe !== undefined) {
    clearTimeout(probe);
    probe = undefined;
  }
  switch (f.type) {
    case 'hello':
      hello = f;
      page.passwordRow.hidden = !f.password;
      if (me !== undefined && phase === 'joined') sendJoin(me, true);
      else if (wanted !== undefined) sendJoin(wanted.name, false);
      else setStatus(undefined);
      return;
    case 'welcome':
      return onWelcome(f);
    case 'refusal':
      if (phase === 'joined' && !rejoining) return say('error', f.text);
      // A join not taken, a first one or a rejoin after a drop (the name was taken meanwhile, e.g.
      // on another node of a cluster): back to the prompt, which says why; the same socket takes
      // another try.
      rejoining = false;
      me = undefined;
      wanted = undefined;
      setStatus(undefined);
      showLogin(f.text);
      return;
    case 'message':
      return onMessages(f.room, [f], false);
    case 'history':
      return onHistory(f);
    case 'private': {
      const li = item('private', Date.now());
      const tag = element('span', 'tag');
      if (f.echo) appendWithNames(tag, t('private_to', { name: f.to }), [f.to]);
      else tag.textContent = t('private_from');
      li.append(tag, ' ');
      if (!f.echo) li.append(nameSpan(f.from));
      li.append(': ', f.text);
      view.add([li], f.echo);
      return;
    }
    case 'joined':
      if (sameName(f.room, room)) {
        roster.add(f.name);
        notice(f.text, [f.name]);
      }
      return;
    case 'left':
      if (sameName(f.room, room)) {
        roster.remove(f.name);
        notice(f.text, [f.name]);
      }
      return;
    case 'moved':
      if (sameName(f.room, room) && !sameName(f.name, me)) {
        roster.remove(f.name);
        notice(f.text, [f.name]);
      }
      return;
    case 'renamed':
      roster.rename(f.old, f.name);
      if (f.echo || sameName(f.old, me)) {
        me = f.name;
        roster.setMe(f.name);
        store('charla.name', f.name);
      }
      notice(f.text, [f.old, f.name]);
      return;
    case 'reply':
      return say('reply', f.text);
    case 'users':
      if (sameName(f.room, room)) roster.setUsers(f.users);
      if (quietUsers > 0) quietUsers--;
      else say('reply', f.text);
      return;
    case 'rooms':
      roster.setRooms(f.rooms);
      if (quietRooms > 0) quietRooms--;
      else say('reply', f.text);
      return;
    case 'announce': {
      const li = item('announce', Date.now());
      li.append(element('span', 'tag', t('announce', { name: f.from })), ' ', f.text);
      view.add([li]);
      return;
    }
    case 'closing':
      return say('notice', f.text);
    case 'topic':
      return notice(f.text, [f.by]);
    default:
      return; // a frame type of a later version: nothing to show
  }
}

function onWelcome(f: WelcomeFrame): void {
  const first = phase !== 'joined';
  phase = 'joined';
  me = f.name;
  if (f.resume !== undefined) resumeToken = f.resume;
  wanted = undefined;
  conn.settled();
  setStatus('connected');
  store('charla.name', f.name);
  roster.setMe(f.name);
  const moved = !sameName(f.room, room);
  room = f.room;
  roster.setRoom(f.room);
  if (f.users.length === f.count) roster.setUsers(f.users.map((name) => ({ name, operator: false })));
  // The operators, or everyone when the welcome only gave a count; and the rooms, for the switcher.
  quietLine('/listar', 'users');
  quietLine('/salas', 'rooms');
  if (first) {
    page.login.hidden = true;
    page.chat.hidden = false;
    page.loginError.textContent = '';
    page.line.focus();
  }
  if (moved || !rejoining) notice(f.text, [f.name]);
}

function onHistory(f: HistoryFrame): void {
  if (askedHistory > 0 && !rejoining) {
    askedHistory--;
    const key = roomKey(f.room);
    for (const m of f.messages) if (m.id > (lastId.get(key) ?? -Infinity)) lastId.set(key, m.id);
    if (f.messages.length === 0) say('reply', t('history_empty'));
    else view.add(f.messages.map((m) => messageItem(m, sameName(m.from, me), true)), true);
    return;
  }
  const missed = rejoining;
  rejoining = false;
  onMessages(f.room, f.messages, true, missed);
  if (f.gap === true) say('notice', t('gap'));
}

/** Room messages, live or past: each id shown at most once, own ones marked. */
function onMessages(inRoom: string, messages: readonly Omit<MessageFrame, 'type'>[], past: boolean, missed = false): void {
  const key = roomKey(inRoom);
  let last = lastId.get(key) ?? -Infinity;
  const items: HTMLLIElement[] = [];
  for (const m of messages) {
    if (!(m.id > last)) continue;
    last = m.id;
    const own = sameName(m.from, me);
    if (own) {
      // The copy the page showed when it was typed: give it its id instead of showing it twice.
      const at = ownPending.findIndex((p) => p.text === m.text);
      if (at !== -1) {
        const [pending] = ownPending.splice(0, at + 1);
        (pending as { li: HTMLLIElement }).li.dataset['id'] = String(m.id);
        continue;
      }
    }
    items.push(messageItem(m, own, past));
  }
  lastId.set(key, last);
  if (items.length > 0 && missed) {
    const divider = item('divider');
    divider.textContent = t('missed');
    items.unshift(divider);
  }
  view.add(items);
}

function messageItem(m: { id?: number; at: number; from: string; text: string; action?: true }, own: boolean, past: boolean): HTMLLIElement {
  const li = item(`msg${own ? ' own' : ''}${past ? ' past' : ''}`, m.at);
  if (m.id !== undefined) li.dataset['id'] = String(m.id);
  li.dataset['from'] = m.from;
  if (past) li.title = t('past');
  if (m.action === true) li.append('* ', nameSpan(m.from), ` ${m.text}`);
  else {
    li.append(nameSpan(m.from));
    if (own) li.append(element('span', 'tag', `(${t('you')})`));
    li.append(': ', m.text);
  }
  return li;
}

function notice(text: string, names: readonly string[]): void {
  const li = item('notice', Date.now());
  appendWithNames(li, text, names);
  view.add([li]);
}

function say(kind: 'reply' | 'error' | 'notice', text: string): void {
  const li = item(kind, Date.now());
  li.append(text);
  view.add([li], kind !== 'notice');
}

// --- sending --------------------------------------------------------------------------------------

function sendJoin(name: string, rejoin: boolean): void {
  const since = rejoin ? lastId.get(roomKey(room)) : undefined;
  const frame: JoinFrame = {
    type: 'join',
    v: WS_PROTOCOL_VERSION,
    name,
    lang,
    ...(hello?.password === true ? { password: rejoin ? password : (wanted?.password ?? '') } : {}),
    ...(rejoin && room !== '' ? { room } : {}),
    ...(rejoin && resumeToken !== undefined ? { resume: resumeToken } : {}),
    ...(since !== undefined && Number.isFinite(since) ? { since } : {}),
  };
  if (!rejoin) password = wanted?.password ?? '';
  rejoining = rejoin;
  phase = rejoin ? phase : 'joining';
  conn.send(frame);
}

function quietLine(text: string, kind: 'users' | 'rooms'): void {
  if (!conn.send({ type: 'line', text })) return;
  if (kind === 'users') quietUsers++;
  else quietRooms++;
}

function sendLine(text: string): boolean {
  if (phase !== 'joined' || !conn.send({ type: 'line', text })) {
    say('error', t('not_connected'));
    return false;
  }
  rejoining = false;
  const command = parseCommand(text);
  if (command.kind === 'message') {
    const li = messageItem({ at: Date.now(), from: me as string, text: command.text }, true, false);
    ownPending.push({ text: command.text, li });
    if (ownPending.length > OWN_PENDING_MAX) ownPending.shift();
    view.add([li], true);
  } else if (command.kind === 'history') {
    askedHistory++;
  } else if (command.kind === 'quit') {
    phase = 'quit';
    conn.stop();
  }
  return true;
}

// --- the connection's life ------------------------------------------------------------------------

function onClosed(retryMs: number | undefined): void {
  const wasPassword = hello?.password === true;
  hello = undefined;
  quietUsers = 0;
  quietRooms = 0;
  askedHistory = 0;
  if (phase === 'quit') {
    conn.stop();
    me = undefined;
    resumeToken = undefined;
    showLogin('');
    setStatus('offline');
    return;
  }
  if (phase === 'login') {
    // Nobody is waiting for this socket (the server closes unnamed ones after a while): the
    // next one opens when the form is sent. The password field stays as the server wanted it.
    conn.stop();
    page.passwordRow.hidden = !wasPassword && page.passwordRow.hidden;
    setStatus(undefined);
    return;
  }
  setStatus(retryMs === undefined ? 'offline' : 'reconnecting', true);
}

function showLogin(error: string): void {
  phase = 'login';
  page.chat.hidden = true;
  page.login.hidden = false;
  page.loginError.textContent = error;
  page.name.value = page.name.value || (stored('charla.name') ?? '');
  page.name.focus();
  page.name.select();
}

/** The page is back in view (a phone woke up, a tab came back): reconnect now, or check the socket still answers. */
function wake(): void {
  if (phase === 'login' || phase === 'quit') return;
  if (!conn.isOpen) return conn.wake();
  if (phase !== 'joined' || probe !== undefined) return;
  quietLine('/listar', 'users');
  probe = setTimeout(() => {
    probe = undefined;
    conn.restart();
  }, 5000);
}

// --- wiring ---------------------------------------------------------------------------------------

page.login.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = page.name.value.trim();
  if (name === '') return;
  wanted = { name, password: page.password.value };
  page.loginError.textContent = '';
  phase = 'joining';
  if (hello !== undefined && conn.isOpen) sendJoin(name, false);
  else {
    setStatus('connecting');
    if (!conn.running) conn.start();
  }
});

page.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = page.line.value;
  if (text.trim() === '') return;
  if (!sendLine(text)) return;
  page.line.value = '';
  if (recall[recall.length - 1] !== text) recall.push(text);
  if (recall.length > 50) recall.shift();
  recallAt = recall.length;
});

page.line.addEventListener('keydown', (event) => {
  if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return;
  if (recall.length === 0) return;
  event.preventDefault();
  recallAt = Math.max(0, Math.min(recall.length, recallAt + (event.key === 'ArrowUp' ? -1 : 1)));
  page.line.value = recall[recallAt] ?? '';
});

page.refreshRooms.addEventListener('click', () => sendLine('/salas'));

page.lang.addEventListener('click', () => {
  lang = lang === 'es' ? 'en' : 'es';
  store('charla.lang', lang);
  applyLang();
});

const wide = matchMedia('(min-width: 720px)');
page.side.open = wide.matches;
wide.addEventListener('change', () => (page.side.open = wide.matches));

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') wake();
});
window.addEventListener('pageshow', wake);
window.addEventListener('online', wake);

applyLang();
page.name.value = stored('charla.name') ?? '';
page.name.focus();
conn.start();
