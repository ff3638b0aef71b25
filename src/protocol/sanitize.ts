/**
 * Removes what could act on a terminal instead of being shown in it: ANSI/VT escape sequences
 * (CSI, OSC, DCS and friends), C0 and C1 control characters, DEL, and the Unicode bidirectional
 * overrides that can make a line read differently from what it says. A tab becomes a space.
 *
 * Used by the server on every name and message it relays, and by the client on every line it
 * prints, so a hostile peer can neither move another user's cursor, clear their screen, change
 * their colours, nor fake a line from someone else with a carriage return.
 */

// ESC followed by: CSI "[" params final-byte | OSC/DCS/SOS/PM/APC string up to BEL or ST |
// a two-byte sequence. The string forms are bounded by their terminator or the end of input.
const ESCAPES =
  // eslint-disable-next-line no-control-regex
  /\u001b(?:\[[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|[\]PX^_][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[\u0020-\u002f]*[\u0030-\u007e]?)|\u009b[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?/g;
// C0 (but tab), DEL, C1, bidi embeddings/overrides/isolates, and line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex
const NEEDS_WORK = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** `text` with escape sequences and control characters removed (see module doc). */
export function sanitize(text: string): string {
  // Fast path: most chat lines have nothing to remove.
  if (!NEEDS_WORK.test(text)) return text;
  return text.replace(ESCAPES, '').replace(/\t/g, ' ').replace(CONTROLS, '');
}
