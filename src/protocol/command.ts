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
  | { kind: 'room'; name: string }
  | { kind: 'rooms' }
  | { kind: 'history'; count: number | undefined }
  | { kind: 'admin'; key: string }
  | { kind: 'kick'; name: string; reason: string | undefined }
  | { kind: 'mute'; name: string; minutes: number | undefined }
  | { kind: 'announce'; text: string }
  | { kind: 'topic'; text: string | undefined }
  | { kind: 'usage'; command: UsageCommand }
  | { kind: 'unknown'; command: string };

/** Commands whose arguments can be wrong; each has its own "Error: uso: ..." line. */
export type UsageCommand = 'nick' | 'msg' | 'room' | 'history' | 'admin' | 'kick' | 'mute' | 'announce';

type CommandName = 'list' | 'quit' | 'help' | 'nick' | 'msg' | 'room' | 'rooms' | 'history' | 'admin' | 'kick' | 'mute' | 'announce' | 'topic';

/** Most lines `/historial N` may ask for (a room keeps at most --history of them anyway). */
export const MAX_HISTORY_ASK = 1000;
/** Longest mute, in minutes (a day). */
export const MAX_MUTE_MINUTES = 24 * 60;

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
  ['/sala', 'room'],
  ['/unirse', 'room'],
  ['/join', 'room'],
  ['/room', 'room'],
  ['/salas', 'rooms'],
  ['/rooms', 'rooms'],
  ['/historial', 'history'],
  ['/history', 'history'],
  ['/admin', 'admin'],
  ['/expulsar', 'kick'],
  ['/kick', 'kick'],
  ['/silenciar', 'mute'],
  ['/mute', 'mute'],
  ['/anunciar', 'announce'],
  ['/announce', 'announce'],
  ['/tema', 'topic'],
  ['/topic', 'topic'],
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
    case 'room': {
      const [room, extra] = firstWord(rest.trim());
      if (room === '' || extra !== '') return { kind: 'usage', command: 'room' };
      return { kind: 'room', name: room };
    }
    case 'rooms':
      return { kind: 'rooms' };
    case 'history': {
      const arg = rest.trim();
      if (arg === '') return { kind: 'history', count: undefined };
      if (!/^\d{1,6}$/.test(arg) || Number(arg) < 1 || Number(arg) > MAX_HISTORY_ASK) return { kind: 'usage', command: 'history' };
      return { kind: 'history', count: Number(arg) };
    }
    case 'admin': {
      const key = rest.trim();
      if (key === '') return { kind: 'usage', command: 'admin' };
      return { kind: 'admin', key };
    }
    case 'kick': {
      const [target, reason] = firstWord(rest.trim());
      if (target === '') return { kind: 'usage', command: 'kick' };
      return { kind: 'kick', name: target, reason: reason.trim() === '' ? undefined : reason.trim() };
    }
    case 'mute': {
      const [target, minutes] = firstWord(rest.trim());
      if (target === '') return { kind: 'usage', command: 'mute' };
      if (minutes === '') return { kind: 'mute', name: target, minutes: undefined };
      if (!/^\d{1,4}$/.test(minutes) || Number(minutes) < 1 || Number(minutes) > MAX_MUTE_MINUTES) return { kind: 'usage', command: 'mute' };
      return { kind: 'mute', name: target, minutes: Number(minutes) };
    }
    case 'announce': {
      const text = rest.trim();
      if (text === '') return { kind: 'usage', command: 'announce' };
      return { kind: 'announce', text };
    }
    case 'topic': {
      // "/tema" alone asks for the room's topic; "/tema TEXT" sets it (operators only).
      const text = rest.trim();
      return { kind: 'topic', text: text === '' ? undefined : text };
    }
    default:
      return { kind: 'unknown', command: word };
  }
}
