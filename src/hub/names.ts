/**
 * The one place that decides what a valid name is and when two names are "the same".
 *
 * A name is 1..maxLength code points of letters, marks, digits and `_ . -` (and the apostrophe,
 * for "o'brien"), starting with a letter or digit: no spaces (the seed's `name: text` format and
 * `/msg NAME TEXT` need the name to be one word), no `:` or `,` (they would fake a message or a
 * list entry), no control characters. Names are compared after NFKC normalisation and case
 * folding, so "Ana", "ANA" and "ａｎａ" are one name; a user keeps the spelling they chose.
 */

/** Why a name was refused, mapped to a catalogue key by the hub. */
export type NameProblem = 'empty' | 'too_long' | 'invalid' | 'reserved';

const NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}_.\-'’]*$/u;
/** Characters that display as nothing (fillers, variation selectors, joiners): never in a name. */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
const HAS_INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;

/** Names nobody may take: they would pass for the server speaking. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(
  [
    'servidor', 'server', 'charla', 'sistema', 'system', 'admin', 'root', 'todos', 'all', 'nadie', 'nobody',
    // A user with one of these names would make "name: text" read as a server reply
    // ("Usuarios: ana, eve", "Error: ...").
    'usuarios', 'users', 'error',
  ].map(foldName),
);


/** The comparison key of a name: NFKC, case-folded, invisible characters dropped. */
export function foldName(name: string): string {
  return name.normalize('NFKC').toLowerCase().normalize('NFKC').replace(INVISIBLE, '');
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
  if (RESERVED_NAMES.has(foldName(name))) return 'reserved';
  return undefined;
}
