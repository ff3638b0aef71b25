/**
 * Long replies made of a list (`/listar`'s "Usuarios: a, b, c", and later the room list), cut
 * into lines that fit what the asker's transport carries. Pure: no hub, no catalogue.
 */

/** The separator between items on one line, as the seed's "Usuarios: a, b, c" has it. */
export const LIST_SEPARATOR = ', ';

/**
 * Packs `items`, in order, into as few lines as fit `maxBytes` UTF-8 bytes each (the line
 * terminator not counted, as with `--max-line-bytes` on input). Every line is `render(joined)`,
 * where `joined` is some consecutive items joined with `separator`, so each line keeps the
 * shape a client parses ("Usuarios: a, b" then "Usuarios: c, d"); together the lines hold every
 * item exactly once, in order. `render` must place its argument once, between a fixed prefix
 * and suffix (a catalogue template with one placeholder), so a line's size is that overhead plus
 * its items.
 *
 * Items are never split. An item that does not fit a line even alone (only possible when the
 * bound is smaller than the template plus one item: for a user list with 24-character names,
 * a --max-line-bytes under 10 + 24 × 4 = 106 bytes) gets a line of its own, longer than `maxBytes`: an incomplete or mangled list
 * would be worse than a long line. An empty list is one line, `render('')`.
 *
 * Greedy filling is optimal here: with a fixed overhead per line and order kept, filling each
 * line as far as it goes never needs more lines than any other cut.
 */
export function packLines(
  items: readonly string[],
  render: (joined: string) => string,
  maxBytes: number,
  separator: string = LIST_SEPARATOR,
): string[] {
  if (items.length === 0) return [render('')];
  const overhead = Buffer.byteLength(render(''), 'utf8');
  const separatorBytes = Buffer.byteLength(separator, 'utf8');
  const lines: string[] = [];
  let first = 0;
  let bytes = overhead;
  for (let i = 0; i < items.length; i++) {
    const itemBytes = Buffer.byteLength(items[i] as string, 'utf8');
    if (i > first && bytes + separatorBytes + itemBytes > maxBytes) {
      lines.push(render(items.slice(first, i).join(separator)));
      first = i;
      bytes = overhead;
    }
    bytes += (i > first ? separatorBytes : 0) + itemBytes;
  }
  lines.push(render(items.slice(first).join(separator)));
  return lines;
}
