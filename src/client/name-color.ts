/**
 * A name's colour, shared by the terminal client (an SGR code, src/client/render.ts) and the
 * browser page (the CSS class `c<code>`, web/style.css), so one user has one colour on every
 * screen. Pure, with no Node imports: the page compiles this file as it is.
 */
import { foldName } from '../hub/fold-name.js';

/** Name colours: readable on dark and light backgrounds, none red or yellow (errors, notices). */
export const NAME_COLORS: readonly number[] = [32, 34, 35, 36, 92, 94, 95, 96];

/** The SGR colour of `name`: the same for every spelling that is the same name to the server. */
export function nameColor(name: string): number {
  // FNV-1a, 32 bits: tiny, stable across runs and machines, and spreads short names well.
  let hash = 0x811c9dc5;
  const key = foldName(name);
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return NAME_COLORS[hash % NAME_COLORS.length] as number;
}

/** The page's CSS class for `name`'s colour: `c` and the terminal's SGR code (`c34`). */
export function nameColorClass(name: string): string {
  return `c${nameColor(name)}`;
}
