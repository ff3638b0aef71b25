/**
 * Names nobody can fake: look-alike detection with Unicode's confusables (UTS #39, section 4).
 *
 * `skeleton(s)` is the skeleton exactly as UTS #39 defines it, over every mapping (6311) of
 * Unicode 15.0.0's confusables.txt, vendored in `confusables-data.ts`:
 *   1. NFD;
 *   2. each code point replaced by its prototype from confusables.txt (unmapped ones stay);
 *   3. NFD again.
 * Two strings are confusable when their skeletons are equal: "pаypаl" (Cyrillic а) and "paypal",
 * "ѕсоре" (Cyrillic) and "scope", "pauI" and "paul" (capital I, lowercase l, `1` and `|` all have
 * the skeleton "l"), Greek Ο, Cyrillic О, Latin O and the digit 0 (all "O"), "m" and "rn",
 * mathematical letters ("𝐀𝐧𝐚" is "Ana") and those fullwidth letters the data maps (ａ is "a"; ｎ
 * is not in the data). Accents are visible, so they are no confusables: NFD splits "josé" into
 * "jose" + U+0301, U+0301 is its own prototype, and "josé" and "jose" keep different skeletons
 * (only look-alike marks fold: U+0341 COMBINING ACUTE TONE MARK is U+0301). The skeleton keeps
 * case ("A" is not "a") and is for comparison only, never for display. As in ICU, a mapping
 * whose source has a canonical decomposition never applies (step 1 has split it: "Ő" is O +
 * U+030B, not the data's "Ö"), and characters newer than the data map to themselves. (UTS #39
 * for Unicode 15.1 adds a step that removes Default_Ignorable_Code_Point characters; this is the
 * 15.0 definition, for 15.0 data, and `confusableKey` removes them itself.)
 *
 * `confusableKey(name)` is the key charla compares names on, a stricter companion of `foldName`
 * (names.ts, unchanged): a name is taken when either its `foldName` or its `confusableKey` is
 * held by someone else. It is
 *
 *     skeleton(lowercase(NFKC(skeleton(name without Default_Ignorable_Code_Point characters))))
 *
 * with `toLowerCase` (Unicode's default case mapping, no locale). The order matters:
 *   - the skeleton first, so that a capital I is "l" before lowercasing can make it "i": "pauI"
 *     collides with "paul" (lowercasing first would give "paui", which matches nothing), and so
 *     that the data sees the characters as written;
 *   - NFKC next, for the compatibility forms the data leaves out, as `foldName` folds them: a
 *     fullwidth "ａｎа" with a Cyrillic а is "ana". (NFKC before the skeleton would rewrite
 *     characters before the data sees them: ſ would be "s" where the data says "f", ① "1" where
 *     it says "➀"; 74 more of its mappings between letters, digits and marks would miss.)
 *   - lowercase, so case is ignored as by `foldName`: "Ana", "ANA", "Аna" (Cyrillic А), "АNA"
 *     and "ᎪNA" (Cherokee Ꭺ) all have the key "ana";
 *   - the skeleton again, because a lowercased prototype can have a prototype of its own: "Мarta"
 *     (Cyrillic М) has the skeleton "Marta", whose lowercase "marta" has the skeleton "rnarta",
 *     the key of "marta". (With it the key of each letter, digit and mark the data maps is a
 *     fixed point: the key of a key is itself.)
 * Distinct keys, as wanted: different letters ("ana"/"ane"), accents ("josé"/"jose"), and a
 * lowercase i against an l ("paui"/"paul"): the data does not map i to l. Equal keys beyond
 * the data, accepted: every capital I counts as l and every 0 as O, even where the rest of the
 * name is in lowercase, so "PAUI" collides with "PAUL" and "b0b" with "bob". In a chat room a
 * false "taken" costs a second try; a missed look-alike lets someone speak as another user.
 * Not caught: a look-alike of a case variant that has a capital I where the other has an i:
 * "АNITA" (Cyrillic А) has the key "anlta", "Anita" the key "anita". Catching that with one key
 * would need i and l to collide everywhere, since a key that ignores case and follows the
 * skeleton would give "paui" the key of "pauI", which is that of "paul".
 *
 * Cost: the table is parsed into a Map once, on the first call (a millisecond or two); after that
 * a key is a few `normalize` calls and one Map look-up per code point, around a microsecond for
 * a 24-character name. Pure: no I/O, no state beyond the parsed table.
 */
import { CONFUSABLES, CONFUSABLES_VERSION } from './confusables-data.js';

export { CONFUSABLES_VERSION };

/** Characters that display as nothing (as in names.ts): dropped from the key. */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;

let prototypes: Map<number, string> | undefined;

/** The confusables.txt mapping, code point -> prototype string, read on first use. */
function table(): Map<number, string> {
  if (prototypes !== undefined) return prototypes;
  const map = new Map<number, string>();
  const data = CONFUSABLES; // "<source><prototype>\n..." with the escapes already decoded
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf('\n', start);
    if (end < 0) end = data.length;
    const source = data.codePointAt(start) as number;
    map.set(source, data.slice(start + (source > 0xffff ? 2 : 1), end));
    start = end + 1;
  }
  prototypes = map;
  return map;
}

/** UTS #39 skeleton: NFD, each code point mapped to its confusables.txt prototype, NFD again. */
export function skeleton(s: string): string {
  const nfd = s.normalize('NFD');
  const map = table();
  let parts: string[] | undefined; // joined, not concatenated: a key is kept for as long as its user stays, and a flat string is smaller than a rope of its pieces
  let copied = 0; // nfd[0, copied) is in `parts` (mapped or not)
  for (let i = 0; i < nfd.length; ) {
    const cp = nfd.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    const prototype = map.get(cp);
    if (prototype !== undefined) {
      (parts ??= []).push(nfd.slice(copied, i), prototype);
      copied = i + width;
    }
    i += width;
  }
  if (parts === undefined) return nfd; // nothing mapped: already NFD
  parts.push(nfd.slice(copied));
  return parts.join('').normalize('NFD');
}

/**
 * The key that makes names look-alike-unique (and, later, room names):
 * `skeleton(lowercase(NFKC(skeleton(name))))`, invisible characters dropped first. See the
 * module comment for what it merges and why.
 */
export function confusableKey(name: string): string {
  return skeleton(skeleton(name.replace(INVISIBLE, '')).normalize('NFKC').toLowerCase());
}
