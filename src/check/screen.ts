/**
 * A small model of a terminal's screen, enough to judge what a chat client leaves visible:
 * printable text overwrites cells, "\r" and "\b" move the cursor back, "\n" starts the next
 * row, and the ANSI sequences line editors use (cursor moves, erase line, erase below) act on
 * the rows; colours and other sequences are dropped. Wide characters (CJK, emoji) take two
 * columns, as terminals and readline count them. No wrapping (the pty is 200 columns wide).
 * Pure: text in, rows out.
 */

const MAX_ROWS = 2000;
const HEIGHT = 50;

/** Columns a character takes: 0 (combining), 2 (wide) or 1. */
function width(ch: string): number {
  const c = ch.codePointAt(0) ?? 0;
  if (/\p{M}/u.test(ch) || c === 0x200d || (c >= 0xfe00 && c <= 0xfe0f)) return 0;
  if (
    (c >= 0x1100 && c <= 0x115f) ||
    (c >= 0x2e80 && c <= 0xa4cf) ||
    (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) ||
    (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) ||
    (c >= 0x1f300 && c <= 0x1f64f) ||
    (c >= 0x1f900 && c <= 0x1f9ff) ||
    (c >= 0x20000 && c <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

export class Screen {
  /** Rows of cells; a wide character's second cell is ''. */
  #rows: string[][] = [[]];
  row = 0;
  col = 0;
  #state: 'text' | 'esc' | 'csi' | 'string' | 'string_esc' = 'text';
  #params = '';

  write(text: string): void {
    for (const ch of text) this.#char(ch);
  }

  #char(ch: string): void {
    switch (this.#state) {
      case 'esc':
        if (ch === '[') {
          this.#state = 'csi';
          this.#params = '';
        } else if (ch === ']' || ch === 'P' || ch === 'X' || ch === '^' || ch === '_') this.#state = 'string';
        else if (ch >= '\u0020' && ch <= '\u002f') return; // intermediate: the sequence goes on
        else this.#state = 'text'; // a two-character sequence (ESC 7, ESC =, ...): nothing to draw
        return;
      case 'csi':
        if (ch >= '\u0040' && ch <= '\u007e') {
          this.#state = 'text';
          this.#csi(ch, this.#params);
        } else this.#params += ch;
        return;
      case 'string':
        if (ch === '\u0007') this.#state = 'text';
        else if (ch === '\u001b') this.#state = 'string_esc';
        return;
      case 'string_esc':
        this.#state = ch === '\\' ? 'text' : 'string';
        return;
      default:
    }
    if (ch === '\u001b') this.#state = 'esc';
    else if (ch === '\u009b') {
      this.#state = 'csi';
      this.#params = '';
    } else if (ch === '\r') this.col = 0;
    else if (ch === '\n') {
      this.#moveTo(this.row + 1);
      this.col = 0;
    } else if (ch === '\b') this.col = Math.max(0, this.col - 1);
    else if (ch === '\t') this.col = (Math.floor(this.col / 8) + 1) * 8;
    else if (ch < '\u0020' || ch === '\u007f' || (ch >= '\u0080' && ch < '\u00a0')) return;
    else this.#put(ch);
  }

  #line(): string[] {
    return this.#rows[this.row] as string[];
  }

  #moveTo(row: number): void {
    this.row = Math.max(0, row);
    while (this.#rows.length <= this.row) this.#rows.push([]);
    if (this.#rows.length > MAX_ROWS) {
      const drop = this.#rows.length - MAX_ROWS;
      this.#rows.splice(0, drop);
      this.row -= drop;
    }
  }

  #put(ch: string): void {
    const line = this.#line();
    const w = width(ch);
    if (w === 0) {
      if (this.col > 0) line[this.col - 1] = (line[this.col - 1] ?? '') + ch;
      return;
    }
    while (line.length < this.col) line.push(' ');
    line[this.col] = ch;
    if (w === 2) line[this.col + 1] = '';
    this.col += w;
  }

  #csi(final: string, params: string): void {
    const nums = params.replace(/^[?>=]/, '').split(';').map((p) => (p === '' ? NaN : Number(p)));
    const n = (i: number, d: number): number => (Number.isFinite(nums[i]) ? (nums[i] as number) : d);
    const line = this.#line();
    switch (final) {
      case 'A':
        this.#moveTo(this.row - Math.max(1, n(0, 1)));
        break;
      case 'B':
        this.#moveTo(this.row + Math.max(1, n(0, 1)));
        break;
      case 'C':
        this.col += Math.max(1, n(0, 1));
        break;
      case 'D':
        this.col = Math.max(0, this.col - Math.max(1, n(0, 1)));
        break;
      case 'E':
        this.#moveTo(this.row + Math.max(1, n(0, 1)));
        this.col = 0;
        break;
      case 'F':
        this.#moveTo(this.row - Math.max(1, n(0, 1)));
        this.col = 0;
        break;
      case 'G':
        this.col = Math.max(0, n(0, 1) - 1);
        break;
      case 'H':
      case 'f': {
        const top = Math.max(0, this.#rows.length - HEIGHT);
        this.#moveTo(top + Math.max(0, n(0, 1) - 1));
        this.col = Math.max(0, n(1, 1) - 1);
        break;
      }
      case 'K': {
        const mode = n(0, 0);
        if (mode === 0) line.length = Math.min(line.length, this.col);
        else if (mode === 1) for (let i = 0; i <= this.col && i < line.length; i++) line[i] = ' ';
        else if (mode === 2) line.length = 0;
        break;
      }
      case 'J': {
        const mode = n(0, 0);
        if (mode === 0) {
          line.length = Math.min(line.length, this.col);
          this.#rows.length = this.row + 1;
        } else if (mode === 2 || mode === 3) for (const r of this.#rows) r.length = 0;
        break;
      }
      default: // colours (m) and the rest draw nothing
    }
  }

  /** The rows, each without its trailing spaces. */
  rows(): string[] {
    return this.#rows.map((r) => r.join('').trimEnd());
  }

  /** Everything on the screen (and scrolled above it), one row per line. */
  text(): string {
    return this.rows().join('\n');
  }

  /** The row the cursor is on: where a line editor shows what is being typed. */
  cursorRow(): string {
    return this.#line().join('').trimEnd();
  }

  /** The last `n` rows that are not blank. */
  lastRows(n: number): string[] {
    return this.rows()
      .filter((r) => r.trim() !== '')
      .slice(-n);
  }
}
