import { type LeaveReason, type MessageKey, translator } from '../../src/hub/messages.js';

/**
 * What the soak clients expect to read, built from the server's own message catalogue (so a
 * reworded string changes the patterns, not the soak), in the language the soak runs the server in.
 */

export const SOAK_LANG = 'es' as const;
export const t = translator(SOAK_LANG);

const MARK = '\u0001';

/** A regex for the catalogue line `key`, with each `{param}` in `groups` captured as `(\S+)` or `(.*)`. */
export function pattern(key: MessageKey, groups: Record<string, 'word' | 'any'>, fixed: Record<string, string | number> = {}): RegExp {
  const names = Object.keys(groups);
  const marked = t(key, { ...fixed, ...Object.fromEntries(names.map((n, i) => [n, `${MARK}${i}${MARK}`])) });
  const escaped = marked.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = escaped.replace(new RegExp(`${MARK}(\\d+)${MARK}`, 'g'), (_, i: string) =>
    groups[names[Number(i)] as string] === 'word' ? '(\\S+)' : '(.*)',
  );
  return new RegExp(`^${source}$`);
}

export const WIRE = {
  welcome: pattern('welcome', { name: 'word', users: 'any' }),
  list: pattern('user_list', { users: 'any' }),
  joined: pattern('user_joined', { name: 'word' }),
  left: pattern('user_left', { name: 'word' }),
  leftBecause: pattern('user_left_because', { name: 'word', reason: 'any' }),
  renamed: pattern('user_renamed', { old: 'word', name: 'word' }),
  goodbye: pattern('goodbye', { name: 'word' }),
  privateFrom: pattern('private_from', { name: 'word', text: 'any' }),
  privateTo: pattern('private_to', { name: 'word', text: 'any' }),
  noSuchUser: pattern('msg_no_such_user', { name: 'any' }),
  nameTaken: pattern('name_taken', { name: 'any' }),
  lineTooLong: pattern('line_too_long', { max: 'word' }),
  registrationTimeout: pattern('registration_timeout', { seconds: 'word' }),
  rateSlowed: t('rate_slowed'),
  rateDropped: t('rate_dropped'),
  floodKicked: t('flood_kicked'),
  nameInvalid: t('name_invalid'),
  nameEmpty: t('name_empty'),
  nameReserved: pattern('name_reserved', { name: 'any' }),
  helpFirst: t('help').split('\n')[0] as string,
  error: /^Error: /,
} as const;

/** A chat line "name: text" from a user (names have no spaces or colons). */
export const CHAT = /^([^\s:]+): (.*)$/;

/** Every leave reason the transports can give, to read a leave notice back. */
const REASONS: readonly LeaveReason[] = ['quit', 'disconnected', 'connection_lost', 'timeout', 'slow', 'flood', 'kicked', 'server_shutdown', 'error'];

/** The reason in a leave notice ("quit" for the seed's plain one), or undefined if it is not one. */
export function readLeave(line: string): { name: string; reason: LeaveReason | string } | undefined {
  const plain = WIRE.left.exec(line);
  if (plain) return { name: plain[1] as string, reason: 'quit' };
  const m = WIRE.leftBecause.exec(line);
  if (!m) return undefined;
  const text = m[2] as string;
  return { name: m[1] as string, reason: REASONS.find((r) => t(`reason_${r}`) === text) ?? text };
}

/** The reason of a server console line about a departure (named or not), or undefined. */
export function readLogReason(line: string): string | undefined {
  const left = LOG_LEFT.exec(line) ?? LOG_DROPPED.exec(line);
  if (!left) return undefined;
  const text = left.at(-1) as string;
  return REASONS.find((r) => t(`reason_${r}`) === text) ?? text;
}

const LOG_LEFT = pattern('log_left', { name: 'word', reason: 'any' });
const LOG_DROPPED = pattern('log_dropped', { peer: 'any', reason: 'any' });

/**
 * What a terminal must never be sent: escape, C0 (but tab) and C1 controls, DEL, bidi overrides
 * and isolates, line and paragraph separators (the server's sanitiser removes them all).
 */
// eslint-disable-next-line no-control-regex
export const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
