import type { Command } from '../protocol/command.js';
import type { Hub, Session } from './hub.js';
import { packLines } from './list-lines.js';
import { normalizeName } from './names.js';

/**
 * What each parsed command does in the room. One handler per command kind; the parser
 * (protocol/command.ts) owns the spellings and aliases, this file owns the behaviour.
 */
type Handler<K extends Command['kind']> = (hub: Hub, session: Session, command: Extract<Command, { kind: K }>) => void;

const HANDLERS: { [K in Command['kind']]: Handler<K> } = {
  message(hub, session, { text }) {
    hub.relay(session, text); // "//text" comes here; plain lines go straight to relay()
  },

  list(hub, session) {
    // seed: "Usuarios: a, b, c", to the asker only; a long list comes as several such lines, each
    // within what the asker's transport carries (a TCP line, one unfragmented UDP datagram).
    const { peer } = session;
    for (const line of packLines(hub.names(), (users) => hub.t('user_list', { users }), peer.maxLineBytes)) peer.send(line);
  },

  quit(hub, session) {
    session.peer.send(hub.t('goodbye', { name: session.name as string }));
    hub.leave(session.peer, 'quit');
    session.peer.close('quit');
  },

  help(hub, session) {
    for (const line of hub.t('help').split('\n')) session.peer.send(line);
  },

  nick(hub, session, command) {
    const name = normalizeName(command.name);
    const old = session.name as string;
    if (name === old) {
      session.peer.send(hub.t('nick_same', { name }));
      return;
    }
    const error = hub.nameError(name, session);
    if (error !== undefined) {
      session.peer.send(error);
      return;
    }
    hub.rename(session, name);
    const notice = hub.t('user_renamed', { old, name });
    // The renamed user's copy is the answer to their command, the others' is the room's news: a
    // transport that bounds replies to unproven addresses (UDP) counts them apart.
    hub.broadcast(notice, session.peer, true);
    session.peer.send(notice, true, false);
  },

  msg(hub, session, { to, text }) {
    const target = hub.findByName(to);
    if (target === undefined) {
      session.peer.send(hub.t('msg_no_such_user', { name: to }));
      return;
    }
    if (target === session) {
      session.peer.send(hub.t('msg_to_self'));
      return;
    }
    target.peer.send(hub.t('private_from', { name: session.name as string, text }), false, true);
    session.peer.send(hub.t('private_to', { name: target.name as string, text }));
  },

  usage(hub, session, { command }) {
    session.peer.send(hub.t(command === 'nick' ? 'nick_usage' : 'msg_usage'));
  },

  unknown(hub, session, { command }) {
    session.peer.send(hub.t('unknown_command', { command }));
  },
};

/** Carries out `command` for the named `session`. */
export function runCommand(hub: Hub, session: Session, command: Command): void {
  (HANDLERS[command.kind] as Handler<Command['kind']>)(hub, session, command);
}
