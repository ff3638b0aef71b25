/**
 * What a line from the server is: a chat message, a private message, a notice, an error, the
 * user list, or plain text (the help). Pure: used by the renderer to colour the names in a line
 * and by the session to notice its goodbye, a rename or the server closing.
 *
 * The server may speak either language whatever the client's `--lang`, so the catalogue's
 * templates are matched in both. Names cannot hold spaces, ":" or "," (hub/names.ts), which is
 * what keeps a chat line from passing for a notice or a private message here.
 */
import { LANGS, type MessageKey, text } from '../hub/messages.js';

/** The rendering class of a line. */
export type LineKind = 'chat' | 'private' | 'notice' | 'error' | 'list' | 'past' | 'plain';

/** A classified line: its kind, the catalogue entry it matched, and where the names are. */
export interface ClassifiedLine {
  readonly kind: LineKind;
  /** The catalogue template the line matched, if any. */
  readonly key: MessageKey | undefined;
  /** The template's placeholders as they appear in the line (`name`, `old`, `users`, ...). */
  readonly params: Readonly<Record<string, string>>;
  /** The [start, end) spans of user names, in order, for colouring. */
  readonly nameSpans: ReadonlyArray<readonly [number, number]>;
}

/** Templates worth recognising, with the kind each one renders as. */
const TEMPLATES: ReadonlyArray<readonly [MessageKey, LineKind]> = [
  ['private_from', 'private'],
  ['private_to', 'private'],
  ['user_list', 'list'],
  ['welcome', 'notice'],
  ['goodbye', 'notice'],
  ['user_joined', 'notice'],
  ['user_left', 'notice'],
  ['user_left_because', 'notice'],
  ['user_renamed', 'notice'],
  ['user_moved', 'notice'],
  ['user_arrived', 'notice'],
  ['user_removed', 'notice'],
  ['user_removed_because', 'notice'],
  ['room_entered', 'notice'],
  ['announcement', 'notice'],
  ['server_closing', 'notice'],
  // A replayed message (/historial): "[12:03] ana: hola", shown as past.
  ['history_line', 'past'],
];

/** Placeholders that hold one user name, and the one that holds a ", "-separated list. */
const NAME_PARAMS = new Set(['name', 'old', 'from', 'by']);
const LIST_PARAM = 'users';
const NAME = '[^\\s:,]+';

function templateRegExp(template: string): RegExp {
  let source = '';
  let last = 0;
  for (const m of template.matchAll(/\{(\w+)\}/g)) {
    const param = m[1] as string;
    source += escapeRegExp(template.slice(last, m.index)) + `(?<${param}>${NAME_PARAMS.has(param) ? NAME : '.*?'})`;
    last = (m.index ?? 0) + m[0].length;
  }
  source += escapeRegExp(template.slice(last));
  return new RegExp(`^${source}$`, 'd');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const MATCHERS: ReadonlyArray<{ key: MessageKey; kind: LineKind; re: RegExp }> = TEMPLATES.flatMap(([key, kind]) =>
  LANGS.map((lang) => ({ key, kind, re: templateRegExp(text(lang, key)) })),
);

// seed: "name: text", the only shape a user's words take on the wire.
const CHAT = new RegExp(`^(?<name>${NAME}): `, 'd');

/** Classifies one line (already sanitised). */
export function classify(line: string): ClassifiedLine {
  for (const { key, kind, re } of MATCHERS) {
    const m = re.exec(line);
    if (m === null) continue;
    const params: Record<string, string> = { ...m.groups };
    const nameSpans: Array<readonly [number, number]> = [];
    for (const [param, span] of Object.entries(m.indices?.groups ?? {})) {
      if (span === undefined) continue;
      if (NAME_PARAMS.has(param)) nameSpans.push(span);
      else if (param === LIST_PARAM) nameSpans.push(...listSpans(line, span[0], span[1]));
    }
    nameSpans.sort((a, b) => a[0] - b[0]);
    return { kind, key, params, nameSpans };
  }
  if (line.startsWith('Error: ')) return plainKind('error');
  if (line.startsWith('***')) return plainKind('notice');
  const chat = CHAT.exec(line);
  const span = chat?.indices?.groups?.['name'];
  if (chat !== null && span !== undefined) {
    return { kind: 'chat', key: undefined, params: { name: chat.groups?.['name'] ?? '', text: line.slice(span[1] + 2) }, nameSpans: [span] };
  }
  return plainKind('plain');
}

function plainKind(kind: LineKind): ClassifiedLine {
  return { kind, key: undefined, params: {}, nameSpans: [] };
}

/** Spans of the names in "a, b, c" between `start` and `end` (a bare count is not a name). */
function listSpans(line: string, start: number, end: number): Array<readonly [number, number]> {
  const spans: Array<readonly [number, number]> = [];
  let at = start;
  for (const part of line.slice(start, end).split(', ')) {
    // "@profe": an operator; the "@" is not part of the name.
    const mark = part.startsWith('@') ? 1 : 0;
    // "lee (fiable)": a reliable UDP user; the name ends at the space (names have none).
    const space = part.indexOf(' ');
    const end = space === -1 ? part.length : space;
    if (end > mark && !/^\d+$/.test(part)) spans.push([at + mark, at + end]);
    at += part.length + 2;
  }
  return spans;
}
