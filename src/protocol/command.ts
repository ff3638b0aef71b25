/**
 * Parses one chat line into what the user meant. Pure: no hub, no catalogue.
 *
 * - A line not starting with "/" is a message.
 * - "//text" is the message "/text" (a literal slash).
 * - "/listar" and friends are commands, in Spanish or English, case-insensitive.
 * - Anything else starting with "/" is an unknown command, never broadcast.
 */

export type Command =
  | { kind: 'message'; text: string }
  | { kind: 'list' }
  | { kind: 'quit' }
  | { kind: 'help' }
  | { kind: 'nick'; name: string }
  | { kind: 'msg'; to: string; text: string }
  | { kind: 'usage'; command: 'nick' | 'msg' }
  | { kind: 'unknown'; command: string };

type CommandName = 'list' | 'quit' | 'help' | 'nick' | 'msg';

/** Every spelling a command answers to: name + aliases, both languages. */
export const COMMAND_TABLE: ReadonlyMap<string, CommandName> = new Map<string, CommandName>([
  ['/listar', 'list'],
  ['/list', 'list'],
  ['/usuarios', 'list'],
  ['/users', 'list'],
  ['/who', 'list'],
  ['/quitar', 'quit'],
  ['/quit', 'quit'],
  ['/salir', 'quit'],
  ['/exit', 'quit'],
  ['/ayuda', 'help'],
  ['/help', 'help'],
  ['/nick', 'nick'],
  ['/nombre', 'nick'],
  ['/msg', 'msg'],
  ['/privado', 'msg'],
  ['/m', 'msg'],
]);

/** Splits off the first whitespace-separated word: [word, rest-with-leading-space-removed]. */
function firstWord(s: string): [string, string] {
  const m = /^(\S*)\s*([\s\S]*)$/.exec(s);
  return m ? [m[1] ?? '', m[2] ?? ''] : [s, ''];
}

/** The meaning of one line (already sanitised, not empty). */
export function parseCommand(line: string): Command {
  if (!line.startsWith('/')) return { kind: 'message', text: line };
  if (line.startsWith('//')) return { kind: 'message', text: line.slice(1) };
  const [word, rest] = firstWord(line);
  const name = COMMAND_TABLE.get(word.toLowerCase());
  switch (name) {
    case 'list':
      return { kind: 'list' };
    case 'quit':
      return { kind: 'quit' };
    case 'help':
      return { kind: 'help' };
    case 'nick': {
      const [newName, extra] = firstWord(rest.trim());
      if (newName === '' || extra !== '') return { kind: 'usage', command: 'nick' };
      return { kind: 'nick', name: newName };
    }
    case 'msg': {
      const [to, text] = firstWord(rest.trim());
      if (to === '' || text.trim() === '') return { kind: 'usage', command: 'msg' };
      return { kind: 'msg', to, text };
    }
    default:
      return { kind: 'unknown', command: word };
  }
}
