/**
 * Evidence as a person can read it: bytes and text shown with their invisible parts escaped
 * ("\n", "\r", "\xc3", "\u001b"), and shortened so a megabyte of input is one line of output.
 * Pure: no sockets, no timers.
 */

/** Most characters of one piece of evidence; the rest is counted, not shown. */
export const EVIDENCE_CHARS = 96;

/** Escapes a string: controls, DEL, C1, U+FFFD and line separators as escapes; the rest as is. */
export function escapeText(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code === 0xfffd || code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/**
 * Escapes bytes: each valid UTF-8 character as text (escaped as {@link escapeText} does), each
 * byte that is not part of one as \xNN, so a character cut in two shows as "\xc3" | "\xa9".
 */
export function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    let ok = len > 0 && i + len <= bytes.length;
    for (let k = 1; ok && k < len; k++) ok = ((bytes[i + k] as number) & 0xc0) === 0x80;
    if (ok) {
      const ch = Buffer.from(bytes.subarray(i, i + len)).toString('utf8');
      if (ch !== '\ufffd') {
        out += escapeText(ch);
        i += len;
        continue;
      }
    }
    out += `\\x${b.toString(16).padStart(2, '0')}`;
    i += 1;
  }
  return out;
}

/**
 * `"escaped"`, at most `max` characters of it; a longer one keeps its start and its end and
 * says how much was left out: `"xxxx…(+1048000)…xxxx"`.
 */
export function quote(escaped: string, max = EVIDENCE_CHARS): string {
  const chars = Array.from(escaped);
  if (chars.length <= max) return `"${escaped}"`;
  const head = Math.ceil((max * 2) / 3);
  const tail = max - head;
  return `"${chars.slice(0, head).join('')}…(+${chars.length - head - tail})…${chars.slice(chars.length - tail).join('')}"`;
}

/** Shown text: escaped and shortened. */
export function showText(text: string, max = EVIDENCE_CHARS): string {
  // Escaping a megabyte only to cut it: cut first (generously), then escape.
  if (text.length > max * 4) text = `${text.slice(0, max * 2)}${text.slice(text.length - max)}`;
  return quote(escapeText(text), max);
}

/** Shown bytes: escaped and shortened; the size is said when it was shortened. */
export function showBytes(bytes: Uint8Array, max = EVIDENCE_CHARS): string {
  if (bytes.length > max * 4) {
    const head = escapeBytes(bytes.subarray(0, max));
    const tail = escapeBytes(bytes.subarray(bytes.length - Math.floor(max / 3)));
    return `"${head.slice(0, Math.ceil((max * 2) / 3))}…(${bytes.length} bytes)…${tail.slice(-Math.floor(max / 3))}"`;
  }
  return quote(escapeBytes(bytes), max);
}

/** Removes ANSI/VT escape sequences (colours, cursor moves, titles). Complete ones only. */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b(?:\[[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[PX^_][^\u001b]*\u001b\\|[\u0020-\u002f]*[\u0030-\u004f\u0051-\u0057\u0059\u005a\u005c\u0060-\u007e])|\u009b[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]/g;
/** An escape sequence that may still be going on at the end of a chunk. */
// eslint-disable-next-line no-control-regex
const OPEN_ESCAPE = /(?:\u001b(?:\[[\u0030-\u003f]*[\u0020-\u002f]*|\][^\u0007\u001b]*|[PX^_][^\u001b]*|[\u0020-\u002f]*)|\u009b[\u0030-\u003f]*[\u0020-\u002f]*)$/;

/**
 * Strips colours from a stream of text: a sequence cut between two chunks is held back until
 * the next chunk completes it (at most 256 characters of it, so a lone ESC cannot hold the rest).
 */
export class AnsiStripper {
  #held = '';

  push(chunk: string): string {
    let text = this.#held + chunk;
    this.#held = '';
    const open = OPEN_ESCAPE.exec(text);
    if (open !== null && open[0].length > 0 && open[0].length <= 256) {
      this.#held = open[0];
      text = text.slice(0, open.index);
    }
    return text.replace(ANSI, '');
  }

  /** What is held back, at the end of the stream. */
  flush(): string {
    const rest = this.#held;
    this.#held = '';
    return rest;
  }
}
