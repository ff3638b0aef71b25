import type { Command, UsageCommand } from '../protocol/command.js';
import { DEFAULT_HISTORY_ASK, DEFAULT_MUTE_MINUTES, type Hub, type Session } from './hub.js';
import type { MessageKey } from './messages.js';
import { normalizeName } from './names.js';

/**
 * What each parsed command does. One handler per command kind; the parser (protocol/command.ts)
 * owns the spellings and aliases, this file owns the behaviour. Every answer is an event
 * (hub/events.ts) that the asker's transport renders.
 */
type Handler<K extends Command['kind']> = (hub: Hub, session: Session, command: Extract<Command, { kind: K }>) => void;

const USAGE: Record<UsageCommand, MessageKey> = {
  nick: 'nick_usage',
  msg: 'msg_usage',
  room: 'room_usage',
  history: 'history_usage',
  admin: 'admin_usage',
  kick: 'kick_usage',
  mute: 'mute_usage',
  announce: 'announce_usage',
};

/** The named user `name` for an operator command, or undefined after telling the operator there is none. */
function target(hub: Hub, session: Session, name: string): Session | undefined {
  const found = hub.findByName(name);
  if (found === undefined) hub.refuse(session, 'msg_no_such_user', { name });
  return found;
}

/** True for an operator; anyone else is told the command is not theirs. */
function operator(hub: Hub, session: Session, command: string): boolean {
  if (!session.operator) hub.refuse(session, 'operator_only', { command });
  return session.operator;
}

const HANDLERS: { [K in Command['kind']]: Handler<K> } = {
  message(hub, session, { text }) {
    hub.relay(session, text); // "//text" comes here; plain lines go straight to relay()
  },

  list(_hub, session) {
    // seed: "Usuarios: a, b, c", to the asker only: who is in the asker's room, in join order
    // (cut into several lines when long, by the asker's encoder).
    const room = session.room;
    if (room === undefined) return;
    const users = room.everyone().map((s) =>
      s.peer.reliable === true ? { name: s.name as string, operator: s.operator, reliable: true as const } : { name: s.name as string, operator: s.operator },
    );
    session.peer.deliver({ kind: 'users', room: room.name, users });
  },

  rooms(hub, session) {
    session.peer.deliver(hub.roomList());
  },

  room(hub, session, { name }) {
    hub.moveTo(session, name);
  },

  history(hub, session, { count }) {
    hub.replay(session, count ?? DEFAULT_HISTORY_ASK);
  },

  quit(hub, session) {
    hub.reply(session, 'goodbye', { name: session.name as string });
    hub.leave(session.peer, 'quit');
    session.peer.close('quit');
  },

  help(hub, session) {
    hub.reply(session, 'help');
    if (session.operator) hub.reply(session, 'help_operator');
  },

  nick(hub, session, command) {
    const name = normalizeName(command.name);
    if (name === session.name) {
      hub.refuse(session, 'nick_same', { name });
      return;
    }
    const error = hub.nameError(name, session);
    if (error !== undefined) {
      session.peer.deliver(error);
      return;
    }
    hub.rename(session, name);
  },

  msg(hub, session, { to, text }) {
    const found = hub.findByName(to);
    if (found === undefined) {
      hub.refuse(session, 'msg_no_such_user', { name: to });
      return;
    }
    if (found === session) {
      hub.refuse(session, 'msg_to_self');
      return;
    }
    hub.tell(session, found, text); // in any room: a private message follows the user, not the room
  },

  admin(hub, session, { key }) {
    hub.admin(session, key);
  },

  kick(hub, session, { name, reason }) {
    if (!operator(hub, session, '/expulsar')) return;
    const found = target(hub, session, name);
    if (found !== undefined) hub.remove(session, found, reason);
  },

  mute(hub, session, { name, minutes }) {
    if (!operator(hub, session, '/silenciar')) return;
    const found = target(hub, session, name);
    if (found !== undefined) hub.mute(session, found, minutes ?? DEFAULT_MUTE_MINUTES);
  },

  announce(hub, session, { text }) {
    if (!operator(hub, session, '/anunciar')) return;
    hub.announce(session, text);
  },

  topic(hub, session, { text }) {
    const room = session.room;
    if (room === undefined) return;
    if (text === undefined) {
      hub.tellTopic(session, room, true);
      return;
    }
    if (!operator(hub, session, '/tema')) return;
    hub.setTopic(session, room, text);
  },

  usage(hub, session, { command }) {
    hub.refuse(session, USAGE[command]);
  },

  unknown(hub, session, { command }) {
    hub.refuse(session, 'unknown_command', { command });
  },
};

/** Carries out `command` for the named `session`. */
export function runCommand(hub: Hub, session: Session, command: Command): void {
  (HANDLERS[command.kind] as Handler<Command['kind']>)(hub, session, command);
}
