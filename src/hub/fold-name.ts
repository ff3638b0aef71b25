/**
 * When two names are "the same": the comparison key of a name. Its own module, with no Node
 * imports, because the browser page compiles it too (a name's colour is a hash of this key, the
 * same in the terminal and in the page: src/client/name-color.ts). `names.ts` re-exports it.
 */

/** Characters that display as nothing (fillers, variation selectors, joiners): never in a name. */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;

/** The comparison key of a name: NFKC, case-folded, invisible characters dropped. */
export function foldName(name: string): string {
  return name.normalize('NFKC').toLowerCase().normalize('NFKC').replace(INVISIBLE, '');
}
