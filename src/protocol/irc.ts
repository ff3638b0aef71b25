/**
 * IRC messages as text: a parser and a serializer (Modern IRC, RFC 1459/2812 as clients use them
 * today, with IRCv3 message tags), and the byte budget of a line. Pure: no sockets, no timers.
 *
 *   [@tags SPACE] [:source SPACE] COMMAND *( SPACE param ) [SPACE :trailing]
 *
 * A line is at most `IRC_LINE_BYTES` (512) bytes with its CR LF, tags not counted (they have
 * their own budget, `IRC_TAG_BYTES`). Text too long for one line is cut by `splitUtf8` at
 * character boundaries: never inside a UTF-8 sequence, never between the halves of a surrogate
 * pair.
 */

/** The longest IRC line, CR LF included, tags not counted. */
export const IRC_LINE_BYTES = 512;
/** The longest IRC line's content: `IRC_LINE_BYTES` less CR LF. */
export const IRC_CONTENT_BYTES = IRC_LINE_BYTES - 2;
/** The most bytes of tags a client may send (IRCv3 message-tags: 4094 + "@" + " ", and the server's 8191). */
export const IRC_TAG_BYTES = 8191;

/** One IRC message. `command` is upper-cased ("privmsg" -> "PRIVMSG"); numerics stay digits. */
export interface IrcMessage {
  /** IRCv3 tags, unescaped; a tag with no value maps to "". */
  readonly tags: ReadonlyMap<string, string> | undefined;
  /** The prefix without its ':' (`nick!user@host` or a server name), if any. */
  readonly source: string | undefined;
  readonly command: string;
  readonly params: readonly string[];
}

const SPACE = 0x20;
const COLON = 0x3a;

/**
 * Parses one line (without its CR LF). Runs of spaces separate as one; a param that starts with
 * ':' is the trailing one, and takes the rest of the line, spaces and all. Returns undefined for a
 * line with no command (empty, only spaces, only tags or a prefix).
 */
export function parseIrc(line: string): IrcMessage | undefined {
  let i = 0;
  const n = line.length;
  let tags: Map<string, string> | undefined;
  let source: string | undefined;
  while (i < n && line.charCodeAt(i) === SPACE) i++;
  if (line.charCodeAt(i) === 0x40 /* @ */) {
    const end = indexOfOr(line, ' ', i, n);
    tags = parseTags(line.slice(i + 1, end));
    i = skipSpaces(line, end);
  }
  if (line.charCodeAt(i) === COLON) {
    const end = indexOfOr(line, ' ', i, n);
    source = line.slice(i + 1, end);
    i = skipSpaces(line, end);
  }
  if (i >= n) return undefined;
  const cmdEnd = indexOfOr(line, ' ', i, n);
  const command = line.slice(i, cmdEnd).toUpperCase();
  i = skipSpaces(line, cmdEnd);
  const params: string[] = [];
  while (i < n) {
    if (line.charCodeAt(i) === COLON) {
      params.push(line.slice(i + 1));
      break;
    }
    const end = indexOfOr(line, ' ', i, n);
    params.push(line.slice(i, end));
    i = skipSpaces(line, end);
  }
  return { tags, source, command, params };
}

function indexOfOr(s: string, ch: string, from: number, or: number): number {
  const at = s.indexOf(ch, from);
  return at === -1 ? or : at;
}

function skipSpaces(s: string, from: number): number {
  let i = from;
  while (i < s.length && s.charCodeAt(i) === SPACE) i++;
  return i;
}

const TAG_UNESCAPES: Readonly<Record<string, string>> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

function parseTags(raw: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of raw.split(';')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    if (eq === -1) {
      tags.set(part, '');
      continue;
    }
    tags.set(part.slice(0, eq), unescapeTag(part.slice(eq + 1)));
  }
  return tags;
}

/** An IRCv3 tag value, unescaped (`\:` -> `;`, `\s` -> space, ...; a lone trailing `\` is dropped). */
export function unescapeTag(value: string): string {
  if (!value.includes('\\')) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = value[++i];
    if (next === undefined) break;
    out += TAG_UNESCAPES[next] ?? next;
  }
  return out;
}

/** An IRCv3 tag value, escaped for the wire. */
export function escapeTag(value: string): string {
  return value.replace(/[\\; \r\n]/g, (c) => (c === '\\' ? '\\\\' : c === ';' ? '\\:' : c === ' ' ? '\\s' : c === '\r' ? '\\r' : '\\n'));
}

/**
 * One message as a line (no CR LF). The last param is written as a trailing one (`:text`) when
 * it must be (empty, has a space, starts with ':'), or always with `trailing`. Params other than
 * the last must be non-empty and have no space nor a leading ':'.
 */
export function formatIrc(msg: { tags?: ReadonlyMap<string, string> | undefined; source?: string | undefined; command: string; params: readonly string[] }, trailing = false): string {
  let out = '';
  if (msg.tags !== undefined && msg.tags.size > 0) {
    const parts: string[] = [];
    for (const [k, v] of msg.tags) parts.push(v === '' ? k : `${k}=${escapeTag(v)}`);
    out = `@${parts.join(';')} `;
  }
  if (msg.source !== undefined) out += `:${msg.source} `;
  out += msg.command;
  const { params } = msg;
  for (let i = 0; i < params.length; i++) {
    const p = params[i] as string;
    if (i === params.length - 1 && (trailing || p === '' || p.includes(' ') || p.charCodeAt(0) === COLON)) out += ` :${p}`;
    else out += ` ${p}`;
  }
  return out;
}

/** UTF-8 bytes of `s` (no allocation). */
export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * Cuts `text` into pieces of at most `maxBytes` UTF-8 bytes each, at character boundaries (a
 * code point is never split, so neither is its UTF-8 sequence nor a surrogate pair); prefers to
 * cut after a space in the last quarter of a piece. Concatenated, the pieces are `text`. A text
 * that fits is returned as is; `maxBytes` below 4 is raised to 4 (one code point always fits).
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  const max = Math.max(4, maxBytes);
  if (text.length * 3 <= max || utf8Bytes(text) <= max) return [text];
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let bytes = 0;
    let i = start;
    let lastSpace = -1;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      const isPair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      const size = c < 0x80 ? 1 : c < 0x800 ? 2 : isPair ? 4 : 3;
      if (bytes + size > max) break;
      bytes += size;
      i += isPair ? 2 : 1;
      if (c === SPACE) lastSpace = i;
    }
    let end = i;
    if (end < text.length && lastSpace > start && bytes - utf8Bytes(text.slice(start, lastSpace)) <= max / 4) end = lastSpace;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** CTCP ACTION (`/me`): the text of `\x01ACTION text\x01`, or undefined when `text` is not one. */
export function ctcpAction(text: string): string | undefined {
  if (text.charCodeAt(0) !== 1 || !text.startsWith('\x01ACTION')) return undefined;
  const body = text.slice(7).replace(/\x01$/, '');
  return body.startsWith(' ') ? body.slice(1) : body;
}

/** True for a CTCP request other than ACTION (VERSION, PING, ...): `\x01WORD...`. */
export function isCtcp(text: string): boolean {
  return text.charCodeAt(0) === 1;
}
