/**
 * What the page shows, built with textContent only: no name, message or server text is ever
 * parsed as HTML, so `<img src=x onerror=alert(1)>` is shown as those characters. Links stay
 * text: nothing a peer sends makes the page load anything.
 */
import { nameColorClass } from '../src/client/name-color.js';
import { foldName } from '../src/hub/fold-name.js';

/** Most items kept in the list; older ones are dropped from the top. */
const MAX_ITEMS = 1500;
/** How close to the bottom (px) still counts as "at the bottom". */
const BOTTOM_SLACK_PX = 32;

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (cls !== undefined) el.className = cls;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A name in its colour (the terminal client's, by the same hash). */
export function nameSpan(name: string): HTMLSpanElement {
  return element('span', `who ${nameColorClass(name)}`, name);
}

export function clock(at: number): string {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

export function item(cls: string, at?: number): HTMLLIElement {
  const li = element('li', cls);
  if (at !== undefined) {
    const time = element('time', 'time', clock(at));
    time.dateTime = new Date(at).toISOString();
    li.append(time);
  }
  return li;
}

/**
 * Appends `text` to `parent`, with the first occurrence of each of `names` (at most a few) in
 * its colour: a server notice ("*** ana se ha unido ***") gets its names coloured without the
 * page parsing the catalogue's wording.
 */
export function appendWithNames(parent: HTMLElement, text: string, names: readonly string[]): void {
  let rest = text;
  const left = names.filter((n) => n !== '');
  for (let round = 0; round < 4 && left.length > 0; round++) {
    let at = -1;
    let which = -1;
    for (let i = 0; i < left.length; i++) {
      const found = rest.indexOf(left[i] as string);
      if (found !== -1 && (at === -1 || found < at)) {
        at = found;
        which = i;
      }
    }
    if (which === -1) break;
    const name = left.splice(which, 1)[0] as string;
    if (at > 0) parent.append(rest.slice(0, at));
    parent.append(nameSpan(name));
    rest = rest.slice(at + name.length);
  }
  if (rest !== '') parent.append(rest);
}

/** The message list: keeps a reader where they are, and says when something new came below. */
export class LogView {
  constructor(
    private readonly list: HTMLOListElement,
    private readonly marker: HTMLButtonElement,
  ) {
    list.addEventListener('scroll', () => {
      if (!marker.hidden && this.atBottom()) marker.hidden = true;
    });
    marker.addEventListener('click', () => {
      this.toBottom();
      list.focus();
    });
  }

  /** Adds items at the bottom; follows them only if the reader was at the bottom (or `follow`). */
  add(items: readonly HTMLLIElement[], follow = false): void {
    if (items.length === 0) return;
    const stick = follow || this.atBottom();
    this.list.append(...items);
    for (let extra = this.list.childElementCount - MAX_ITEMS; extra > 0; extra--) this.list.firstElementChild?.remove();
    if (stick) this.toBottom();
    else this.marker.hidden = false;
  }

  toBottom(): void {
    this.list.scrollTop = this.list.scrollHeight;
    this.marker.hidden = true;
  }

  private atBottom(): boolean {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight <= BOTTOM_SLACK_PX;
  }
}

export interface RosterUser {
  readonly name: string;
  readonly operator: boolean;
}

/**
 * The side panel: the current room's users and the rooms. Kept as data, drawn once per frame
 * (requestAnimationFrame), so a burst of joins costs one redraw.
 */
export class Roster {
  private users = new Map<string, RosterUser>();
  private rooms: { name: string; users: number }[] = [];
  private room = '';
  private me = '';
  private queued = false;

  constructor(
    private readonly usersList: HTMLUListElement,
    private readonly roomsList: HTMLUListElement,
    private readonly summary: HTMLElement,
    private readonly roomTitle: HTMLElement,
    private readonly labels: { users: () => string; privateTo: (name: string) => string; goTo: (room: string) => string },
    private readonly pickUser: (name: string) => void,
    private readonly pickRoom: (room: string) => void,
  ) {}

  setMe(name: string): void {
    this.me = name;
    this.draw();
  }

  setRoom(room: string): void {
    if (foldName(room) !== foldName(this.room)) this.users.clear();
    this.room = room;
    this.draw();
  }

  setUsers(users: readonly RosterUser[]): void {
    this.users = new Map(users.map((u) => [foldName(u.name), u]));
    this.draw();
  }

  add(name: string): void {
    const key = foldName(name);
    if (!this.users.has(key)) this.users.set(key, { name, operator: false });
    this.draw();
  }

  remove(name: string): void {
    this.users.delete(foldName(name));
    this.draw();
  }

  rename(old: string, name: string): void {
    const before = this.users.get(foldName(old));
    if (before === undefined) return;
    const next = new Map<string, RosterUser>();
    for (const [key, user] of this.users) {
      if (user === before) next.set(foldName(name), { name, operator: before.operator });
      else next.set(key, user);
    }
    this.users = next;
    this.draw();
  }

  setRooms(rooms: readonly { name: string; users: number }[]): void {
    this.rooms = rooms.map((r) => ({ name: r.name, users: r.users }));
    this.draw();
  }

  /** Redraw everything (the language changed). */
  draw(): void {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.render();
    });
  }

  private render(): void {
    const meKey = foldName(this.me);
    const userItems = [...this.users.values()].map((u) => {
      const li = element('li');
      const b = element('button', `${u.operator ? 'op' : ''}${foldName(u.name) === meKey ? ' me' : ''}`.trim());
      b.type = 'button';
      b.append(nameSpan(u.name));
      b.title = this.labels.privateTo(u.name);
      b.setAttribute('aria-label', this.labels.privateTo(u.name));
      b.addEventListener('click', () => this.pickUser(u.name));
      li.append(b);
      return li;
    });
    this.usersList.replaceChildren(...userItems);
    const roomKey = foldName(this.room);
    const rooms = this.rooms.some((r) => foldName(r.name) === roomKey) || this.room === '' ? this.rooms : [{ name: this.room, users: this.users.size }, ...this.rooms];
    this.roomsList.replaceChildren(
      ...rooms.map((r) => {
        const li = element('li');
        const current = foldName(r.name) === roomKey;
        const b = element('button', undefined, `${r.name} (${current ? this.users.size : r.users})`);
        b.type = 'button';
        b.setAttribute('aria-current', String(current));
        b.setAttribute('aria-label', this.labels.goTo(r.name));
        b.addEventListener('click', () => this.pickRoom(r.name));
        li.append(b);
        return li;
      }),
    );
    this.roomTitle.textContent = this.room;
    this.summary.textContent = `${this.room} · ${this.labels.users()}: ${this.users.size}`;
  }
}
