/**
 * Lines -> what the terminal shows. Pure: no terminal, no sockets, so every case is a unit test.
 *
 * Everything from the network goes through `sanitize()` first, so a hostile peer cannot move the
 * cursor, clear the screen, recolour the terminal or fake a line. Colours are added after that,
 * by us: names get a stable colour from a hash of their folded form (so "Ana" and "ana", one
 * user to the server, are one colour), errors are red, notices yellow, private messages magenta.
 */
import { sanitize } from '../protocol/sanitize.js';
import { classify, type LineKind } from './classify.js';
import { nameColor } from './name-color.js';

export { NAME_COLORS, nameColor } from './name-color.js';

/** How to render. */
export interface RenderOptions {
  /** ANSI colours on or off (off for pipes, NO_COLOR, --no-color). */
  readonly color: boolean;
  /** The catalogue's word for "you" (client_you), shown after the user's own name. */
  readonly you: string;
}

/** SGR codes of each line kind's base style ('' = the terminal's default). */
const KIND_STYLE: Record<LineKind, string> = {
  chat: '',
  private: '35',
  notice: '33',
  error: '31',
  list: '',
  past: '2', // dim: a replayed message is not live text
  plain: '',
};

function paint(codes: string, s: string): string {
  return codes === '' || s === '' ? s : `\u001b[${codes}m${s}\u001b[0m`;
}

function paintName(name: string): string {
  return paint(`1;${nameColor(name)}`, name);
}

/** One line from the server as the terminal shows it: sanitised, then coloured if asked. */
export function renderLine(raw: string, options: RenderOptions): string {
  const line = sanitize(raw);
  if (!options.color) return line;
  const { kind, nameSpans } = classify(line);
  const base = KIND_STYLE[kind];
  let out = '';
  let at = 0;
  for (const [start, end] of nameSpans) {
    out += paint(base, line.slice(at, start)) + paintName(line.slice(start, end));
    at = end;
  }
  return out + paint(base, line.slice(at));
}

/**
 * The user's own chat message (the server does not echo it back): `ana (tú): hola`. A name
 * cannot hold a space or "(", so no peer can send a line that looks like this.
 */
export function renderOwn(name: string, message: string, options: RenderOptions): string {
  const who = sanitize(name);
  const text = sanitize(message);
  if (!options.color) return `${who} (${options.you}): ${text}`;
  return `${paintName(who)} ${paint('2', `(${options.you})`)}: ${text}`;
}

/** A line of the client's own (connected, server closed, ...): dim, or red when it is bad news. */
export function renderStatus(message: string, options: RenderOptions & { bad?: boolean }): string {
  return options.color ? paint(options.bad ? '31' : '2', message) : message;
}

/**
 * Whether to colour: only on a terminal, and never when the user said no, through `--no-color`
 * or the NO_COLOR convention (no-color.org: set and not empty), or when TERM is "dumb".
 */
export function colorWanted(isTty: boolean, noColorFlag: boolean, env: NodeJS.ProcessEnv): boolean {
  if (!isTty || noColorFlag) return false;
  if ((env['NO_COLOR'] ?? '') !== '') return false;
  return env['TERM'] !== 'dumb';
}

// East Asian wide and fullwidth characters, and emoji: two terminal columns each.
const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff],
  [0xa000, 0xa4cf], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe30, 0xfe4f], [0xff00, 0xff60],
  [0xffe0, 0xffe6], [0x1f300, 0x1f64f], [0x1f900, 0x1f9ff], [0x20000, 0x3fffd],
];

/**
 * Columns `s` takes in a terminal (no escape sequences in it): combining marks and zero-width
 * characters take none, wide ones two. Close enough to erase the line the user just typed.
 */
export function displayWidth(s: string): number {
  let width = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (/[\p{M}\u200b-\u200f\ufe00-\ufe0f]/u.test(ch)) continue;
    width += WIDE_RANGES.some(([lo, hi]) => cp >= lo && cp <= hi) ? 2 : 1;
  }
  return width;
}
