import { createHash } from 'node:crypto';
import { foldName } from './fold-name.js';

export { foldName };

/**
 * The one place that decides what a valid name is and when two names are "the same".
 *
 * A name is 1..maxLength code points of letters, marks, digits and `_ . -` (and the apostrophe,
 * for "o'brien"), starting with a letter or digit: no spaces (the seed's `name: text` format and
 * `/msg NAME TEXT` need the name to be one word), no `:` or `,` (they would fake a message or a
 * list entry), no control characters, and at most `MAX_MARKS_PER_BASE` combining marks on one
 * character. Names are compared after NFKC normalisation and case folding, so "Ana", "ANA" and
 * "ａｎａ" are one name; a user keeps the spelling they chose. Reserved names are matched on a
 * looser key (`reservedKey`) that also ignores accents and surrounding punctuation, so "Érror."
 * is as reserved as "error".
 */

/** Why a name was refused, mapped to a catalogue key by the hub. */
export type NameProblem = 'empty' | 'too_long' | 'invalid' | 'marks' | 'reserved';

/**
 * Most combining marks in a row (on one base character) in a name, counted after NFC. Two,
 * because real names need two on one letter: Vietnamese stacks a tone mark on a vowel mark
 * (ệ is e + U+0323 + U+0302), Thai a tone mark on a vowel sign (กั้), Arabic a vowel on a shadda.
 * NFC composes most Latin, Greek and Cyrillic ones into a single precomposed code point, so
 * even two are rare; a third is what "Zalgo" text is made of (a letter and 23 marks draws a
 * smear over the lines around it).
 */
export const MAX_MARKS_PER_BASE = 2;

const NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}_.\-'’]*$/u;
/** Characters that display as nothing (fillers, variation selectors, joiners): never in a name. */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
const HAS_INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;
const TOO_MANY_MARKS = new RegExp(`\\p{M}{${MAX_MARKS_PER_BASE + 1}}`, 'u');
const MARKS = /\p{M}/gu;
/** The punctuation a name may hold, dropped at both ends of the reserved key ("Error." is "error"). */
const EDGE_PUNCTUATION = /^[_.\-'’]+|[_.\-'’]+$/gu;

/** Names nobody may take: they would pass for the server speaking. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(
  [
    'servidor', 'server', 'charla', 'sistema', 'system', 'admin', 'root', 'todos', 'all', 'nadie', 'nobody',
    // A user with one of these names would make "name: text" read as a server reply
    // ("Usuarios: ana, eve", "Error: ...").
    'usuarios', 'users', 'error',
    // ... and "Comandos: ..." as the first line of /ayuda.
    'comandos', 'commands',
  ].map(reservedKey),
);

/**
 * The key reserved names are matched on: NFKD (so fullwidth and other compatibility forms become
 * their plain letters), case-folded, combining marks (accents) and invisible characters removed,
 * then the punctuation a name may hold (`_ . - ' ’`) dropped at both ends. "Érror.", "ERROR-",
 * "ｓｅｒｖｉｄｏｒ" and "Usuarios’" all have the key of their plain word. Looser than `foldName`
 * on purpose: "aña" and "ana" are two users, but "Érror" and "Error" both read as the server.
 * (Look-alikes from other scripts, such as a Cyrillic "е", are not folded here.)
 */
export function reservedKey(name: string): string {
  return name
    .normalize('NFKD')
    .toLowerCase()
    .normalize('NFKD')
    .replace(MARKS, '')
    .replace(INVISIBLE, '')
    .replace(EDGE_PUNCTUATION, '');
}

/** The name as stored and shown: the user's spelling in NFC, trimmed of surrounding spaces. */
export function normalizeName(raw: string): string {
  return raw.trim().normalize('NFC');
}

/** Checks a normalised name; undefined when it is acceptable (uniqueness is the hub's job). */
export function checkName(name: string, maxLength: number): NameProblem | undefined {
  if (name.length === 0) return 'empty';
  if ([...name].length > maxLength) return 'too_long';
  if (!NAME_PATTERN.test(name) || HAS_INVISIBLE.test(name)) return 'invalid';
  if (TOO_MANY_MARKS.test(name)) return 'marks';
  if (RESERVED_NAMES.has(reservedKey(name))) return 'reserved';
  return undefined;
}

/** Longest room name, in code points. */
export const MAX_ROOM_NAME_LENGTH = 32;

/** A room name: letters (with their marks), digits, `-` and `_`; compared as names are (foldName). */
const ROOM_PATTERN = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}_-]*$/u;

/** True when `name` (normalised) is a valid room name: 1..32 of letters, digits, `-`, `_`, starting with a letter or digit. */
export function isRoomName(name: string): boolean {
  return (
    name.length > 0 &&
    [...name].length <= MAX_ROOM_NAME_LENGTH &&
    ROOM_PATTERN.test(name) &&
    !HAS_INVISIBLE.test(name) &&
    !TOO_MANY_MARKS.test(name)
  );
}

/**
 * How a name is shown on IRC, where a nick is ASCII (`[A-Za-z][A-Za-z0-9_-]*` for charla's
 * purposes; `|` is an IRC nick character charla names never have). The mapping is a pure
 * function of the name, so a user is always shown under the same nick, and the hub refuses a
 * name whose nick is already someone else's (`ircNickKey`), so nicks are unique across
 * transports:
 *
 * - a name that is already such a nick is itself: `ana`, `Bob_2`, `x-y`;
 * - an ASCII name of letters, digits, `_`, `-` that starts with a digit gets a `_` first (a nick
 *   cannot start with a digit, and no charla name starts with `_`): `2pac` -> `_2pac`;
 * - any other name (accents, `’`, `'`, `.`, other scripts) is spelled in ASCII (accents dropped,
 *   `' ’ .` as `_`, other characters left out), then `|` and a four-character tag of the name
 *   (from a SHA-256 of `foldName(name)`), which tells apart names that spell the same:
 *   `José` -> `Jose|<tag>`, `o’brien` -> `o_brien|<tag>`, `李` -> `|<tag>`.
 */
export function ircNick(name: string): string {
  if (IRC_PLAIN.test(name)) return name;
  if (IRC_PLAIN_DIGIT.test(name)) return `_${name}`;
  let base = '';
  for (const c of name.normalize('NFKD')) {
    if (/[A-Za-z0-9_-]/.test(c)) base += c;
    else if (c === "'" || c === '’' || c === '.') base += '_';
  }
  if (/^[0-9-]/.test(base)) base = `_${base}`;
  return `${base}|${nickTag(foldName(name))}`;
}

const IRC_PLAIN = /^[A-Za-z][A-Za-z0-9_-]*$/;
const IRC_PLAIN_DIGIT = /^[0-9][A-Za-z0-9_-]*$/;
const TAG_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789'; // 32 symbols, no l/o/0/1

function nickTag(key: string): string {
  const digest = createHash('sha256').update(key, 'utf8').digest();
  let tag = '';
  for (let i = 0; i < 4; i++) tag += TAG_ALPHABET[(digest[i] as number) & 31];
  return tag;
}

/**
 * The key that makes IRC nicks unique: ASCII case folded (CASEMAPPING=ascii). Names that are
 * the same for the hub have the same nick key (`foldName` folds case too).
 */
export function ircNickKey(nick: string): string {
  return nick.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/**
 * True when an IRC client may ask for `nick` (NICK): it is a nick that is its own IRC nick, so
 * what the client asked for is what everyone sees. Other charla names are for other transports.
 */
export function isIrcChosenNick(nick: string): boolean {
  return IRC_PLAIN.test(nick);
}
