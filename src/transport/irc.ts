/**
 * The IRC transport: IRC clients (HexChat, irssi, WeeChat, irc-framework) on their own port, in
 * the same rooms as everyone else. A room is a channel (`#general`); an IRC user may be in
 * several at once (Hub.joinRoom / partRoom / say), where a line user is in one.
 *
 * It is the TCP transport's machinery with IRC on top: StreamConnection (framing with a read
 * bound, the rate limit as fakelag, the registration timeout, the end of the socket -> hub.leave)
 * with `input()` parsing IRC commands instead of chat lines, and StreamPeer (the output arena,
 * batching, the notice window, the send-queue bound) with `deliver()` rendering through the IRC
 * encoder (src/encode/irc.ts) and its last words on a dropped slow reader `ERROR :SendQ exceeded`.
 *
 * Registration: CAP LS/REQ/END (`server-time`, `message-tags`: see CAPS),
 * PASS (the server password), NICK, USER, then 001-005 and 422. PING/PONG both ways: a client
 * silent for `pingIntervalMs` is sent a PING, and dropped as lost if it is silent as long again.
 */
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { ircChannel, ircHost, IrcEncoder, ircMask, IRC_SERVER_NAME, namesReply, numeric, topicReply } from '../encode/irc.js';
import { isOneLine } from '../encode/line.js';
import { type ChatEvent, isNotice, type Refusal } from '../hub/events.js';
import { extraOf, type Hub, type Session, TOPIC_MAX_BYTES } from '../hub/hub.js';
import type { Lang, LeaveReason, Translate } from '../hub/messages.js';
import { translator } from '../hub/messages.js';
import { ircNick, isIrcChosenNick, normalizeName } from '../hub/names.js';
import { Room } from '../hub/room.js';
import { ctcpAction, formatIrc, IRC_CONTENT_BYTES, IRC_TAG_BYTES, isCtcp, type IrcMessage, parseIrc, utf8Bytes } from '../protocol/irc.js';
import { LineDecoder } from '../protocol/line-decoder.js';
import { sanitize } from '../protocol/sanitize.js';
import type { Timer } from '../util/clock.js';
import { VERSION } from '../util/version.js';
import { StreamConnection, StreamContext } from './stream-connection.js';
import { StreamPeer } from './stream-peer.js';
import { closeAll, Handshakes, TCP_DEFAULTS, type TcpOptions, TLS_HANDSHAKE_TIMEOUT_MS } from './tcp.js';
import type { Transport, TransportFactory, TransportStats } from './transport.js';

/** Limits and timings of the IRC transport: the TCP transport's, and the PING interval. */
export interface IrcOptions extends TcpOptions {
  /** A client silent this long is sent a PING; silent as long again, it is dropped as lost. 0 = never. */
  pingIntervalMs: number;
}

export const IRC_DEFAULTS: IrcOptions = {
  ...TCP_DEFAULTS,
  port: 6667,
  // An IRC line is 512 bytes, but its tags may add 8191 more: the read bound is both, and a
  // line whose non-tag part is over 510 bytes is answered 417.
  maxLineBytes: IRC_TAG_BYTES + 1 + IRC_CONTENT_BYTES,
  bareIdleMs: 0, // IRC clients end their lines
  pingIntervalMs: 90_000,
};

/** A listening IRC transport (plain, or TLS: `ircs`). */
export interface IrcTransport extends Transport {
  readonly kind: 'irc' | 'ircs';
  readonly server: net.Server;
  readonly secure: boolean;
  readonly peers: ReadonlySet<StreamPeer>;
}

/** How a server starts its IRC port (`--irc-port`). */
export const ircFactory: TransportFactory<IrcOptions> = {
  kind: 'irc',
  label: 'IRC',
  portFlag: '--irc-port',
  listen: (hub, setup, options) =>
    listenIrc(hub, { host: setup.host, port: setup.port, timers: setup.timers, ...options, ...(setup.bench ? { rateLimit: undefined } : {}) }),
};

/**
 * How a server starts its TLS IRC port (`--ircs-port`, with `--tls-cert/--tls-key`): the IRC
 * transport over TLS, its handshakes counted against the per-address cap as the TCP port's are.
 */
export const ircsFactory: TransportFactory<IrcOptions> = {
  kind: 'ircs',
  label: 'IRC (TLS)',
  portFlag: '--ircs-port',
  listen: ircFactory.listen,
};

/** Starts the IRC transport for `hub` (over TLS when `options.tls` is set) and resolves once it is listening. */
export async function listenIrc(hub: Hub, options: Partial<IrcOptions> = {}): Promise<IrcTransport> {
  const opts: IrcOptions = { ...IRC_DEFAULTS, ...options };
  const peers = new Set<StreamPeer>();
  const handshakes = new Handshakes(hub);
  const encoder = new IrcEncoder((name) => {
    const session = hub.sessionNamed(name);
    return ircHost(session === undefined ? 'irc' : session.peer.transport);
  });
  const started = new Date().toUTCString();
  const socketOptions = { noDelay: true, allowHalfOpen: true, keepAlive: opts.keepAliveMs > 0, keepAliveInitialDelay: opts.keepAliveMs };
  const ctx = new StreamContext(hub, opts, peers);
  const serve = (socket: net.Socket): void => {
    const peer = new IrcPeer(socket, opts, hub.options.lang, encoder);
    new IrcConnection(ctx, socket, peer, started).start();
  };
  const server =
    opts.tls === undefined
      ? net.createServer(socketOptions, serve)
      : tls.createServer({ ...socketOptions, cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, (socket) => {
          handshakes.handOver(socket); // before hub.connect counts it as a peer
          serve(socket);
        });
  if (opts.tls !== undefined) {
    server.on('connection', (socket: net.Socket) => handshakes.accept(socket));
    server.on('tlsClientError', (_err: Error, socket: net.Socket) => socket.destroy());
  }
  server.listen({ host: opts.host, port: opts.port });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
  server.on('error', (err) => opts.onAcceptError(err));
  const address = server.address() as AddressInfo;
  return {
    kind: opts.tls === undefined ? 'irc' : 'ircs',
    server,
    address,
    secure: opts.tls !== undefined,
    peers,
    get stats(): TransportStats {
      return { peers: peers.size };
    },
    stopAccepting: () => new Promise<void>((resolve) => server.close(() => resolve())),
    close: (graceMs) => closeAll([...handshakes.sockets.keys(), ...[...peers].map((p) => p.socket)], graceMs),
  };
}

/** A StreamPeer that speaks IRC: events through the IRC encoder, CR LF line ends. */
export class IrcPeer extends StreamPeer {
  readonly encoder: IrcEncoder;
  /** This user's nick as their client knows it ('*' until registered). */
  nick = '*';
  /** The client asked for `server-time`: messages and replayed history carry `@time=`. */
  serverTime = false;

  constructor(socket: net.Socket, opts: IrcOptions, lang: Lang, encoder: IrcEncoder) {
    super(socket, 'irc', opts.maxQueuedBytes, opts.maxLineBytes, lang, new LineDecoder(opts.maxLineBytes, true));
    this.encoder = encoder;
  }

  override deliver(event: ChatEvent): void {
    if (event.kind === 'message') {
      // The hot path: one rendering for every IRC receiver (one more for those with server-time).
      this.send(this.serverTime ? this.encoder.sharedTagged(event) : this.encoder.shared(event, this.lang));
      return;
    }
    if (event.kind === 'history' && this.serverTime) {
      for (const line of this.encoder.historyTagged(event)) this.line(line);
      return;
    }
    if (isOneLine(event)) {
      const block = this.encoder.shared(event, this.lang);
      if (block !== '') this.send(block, isNotice(event));
      if (event.kind === 'renamed' && event.echo) this.nick = ircNick(event.name);
      return;
    }
    for (const line of this.encoder.answer(event, this.lang, this.nick)) this.line(line);
  }

  /** Queues one IRC line (CR LF is added). */
  line(text: string): void {
    this.send(`${text}\r`);
  }

  override lastWords(reason: LeaveReason): string | undefined {
    return reason === 'slow' ? 'ERROR :SendQ exceeded\r\n' : undefined;
  }
}

/**
 * Capabilities offered: `server-time` (messages and replayed history carry their time) and
 * `message-tags` (tags a client sends are accepted and not relayed; TAGMSG is taken and dropped).
 */
const CAPS: ReadonlySet<string> = new Set(['server-time', 'message-tags']);

/** An IRC connection: StreamConnection's framing, pacing and timers; IRC's commands. */
class IrcConnection extends StreamConnection {
  readonly irc: IrcPeer;
  readonly t: Translate;
  readonly started: string;
  /** NICK given before registration (checked, not yet taken). */
  wantedNick: string | undefined;
  gotUser = false;
  password: string | undefined;
  /** CAP LS was sent and CAP END not yet: registration waits. */
  negotiating = false;
  /** Capabilities the client asked for and got. */
  readonly caps = new Set<string>();
  pingTimer: Timer | undefined;
  /** A PING was sent for silence and nothing has come since. */
  pinged = false;
  /** The channel this user last wrote to, and its room (valid while they are in it). */
  lastChannel = '';
  lastRoom: Room | undefined;

  constructor(ctx: StreamContext, socket: net.Socket, peer: IrcPeer, started: string) {
    super(ctx, socket, 'tcp', peer);
    this.irc = peer;
    this.t = translator(ctx.hub.options.lang);
    this.started = started;
  }

  get ircOpts(): IrcOptions {
    return this.opts as IrcOptions;
  }

  override start(): void {
    super.start();
    const { pingIntervalMs } = this.ircOpts;
    if (!this.peer.closed && pingIntervalMs > 0) this.pingTimer = this.opts.timers.set(pingIntervalMs, onPingTimer, this);
  }

  override onData(chunk: Buffer): void {
    this.pinged = false;
    this.pingTimer?.refresh();
    super.onData(chunk);
  }

  override onClose(): void {
    this.opts.timers.clear(this.pingTimer);
    super.onClose();
  }

  get session(): Session | undefined {
    return this.hub.session(this.peer);
  }

  /** A numeric to this user. */
  num(code: string, ...params: string[]): void {
    this.irc.line(numeric(code, this.irc.nick, params));
  }

  override input(raw: string): void {
    if (raw.length === 0) return; // the LF of a CR LF (CR ends lines too), or an empty line
    const session = this.session;
    if (session === undefined) return;
    // 510 bytes without the tags (a UTF-16 unit is at most 3 bytes: most lines need no count).
    const bodyStart = raw.charCodeAt(0) === 0x40 ? raw.indexOf(' ') + 1 : 0;
    if ((raw.length - bodyStart) * 3 > IRC_CONTENT_BYTES && utf8Bytes(bodyStart === 0 ? raw : raw.slice(bodyStart)) > IRC_CONTENT_BYTES) {
      this.num('417', this.t('irc_input_too_long'));
      return;
    }
    if (session.name !== undefined && raw.startsWith('PRIVMSG #')) {
      // The hot path, `PRIVMSG #room :text`, without building an IrcMessage: what parseIrc
      // would make of it (one target, the trailing text), handed to the same code.
      const space = raw.indexOf(' ', 9);
      if (space > 9 && raw.charCodeAt(space + 1) === 0x3a) {
        this.message(session, false, raw.slice(8, space), raw.slice(space + 2));
        return;
      }
    }
    const msg = parseIrc(raw);
    if (msg === undefined) return;
    if (session.name === undefined) this.beforeRegistration(session, msg);
    else this.registered(session, msg);
  }

  beforeRegistration(session: Session, msg: IrcMessage): void {
    const { t } = this;
    const [first] = msg.params;
    switch (msg.command) {
      case 'CAP':
        this.cap(msg);
        break;
      case 'PASS':
        if (first === undefined) this.num('461', 'PASS', t('irc_need_params'));
        else this.password = first;
        break;
      case 'NICK': {
        if (first === undefined || first === '') {
          this.num('431', t('irc_no_nick'));
          return;
        }
        const problem = this.nickProblem(first, session);
        if (problem !== undefined) {
          problem();
          return;
        }
        this.wantedNick = first;
        this.tryRegister(session);
        break;
      }
      case 'USER':
        if (msg.params.length < 4) {
          this.num('461', 'USER', t('irc_need_params'));
          return;
        }
        this.gotUser = true;
        this.tryRegister(session);
        break;
      case 'PING':
        this.pong(msg);
        break;
      case 'PONG':
        break;
      case 'QUIT':
        this.irc.line(`ERROR :${t('irc_closing_link', { reason: t('reason_quit') })}`);
        this.peer.close('quit');
        break;
      default:
        this.num('451', t('irc_not_registered'));
    }
  }

  /** A check of `nick` for NICK: undefined when `session` may take it, else what to answer. */
  nickProblem(nick: string, session: Session): (() => void) | undefined {
    const { t, hub } = this;
    if (!isIrcChosenNick(nick) || [...nick].length > hub.options.maxNameLength) {
      return () => this.num('432', nick, t('irc_bad_nick', { max: hub.options.maxNameLength }));
    }
    const error = hub.nameError(normalizeName(nick), session);
    if (error === undefined) return undefined;
    if (error.key === 'name_taken') return () => this.num('433', nick, t('irc_nick_taken'));
    return () => this.num('432', nick, t(error.key, error.args));
  }

  cap(msg: IrcMessage): void {
    const sub = (msg.params[0] ?? '').toUpperCase();
    const me = this.irc.nick;
    switch (sub) {
      case 'LS':
        if (this.session?.name === undefined) this.negotiating = true;
        this.irc.line(`:${IRC_SERVER_NAME} CAP ${me} LS :${[...CAPS].join(' ')}`);
        break;
      case 'LIST':
        this.irc.line(`:${IRC_SERVER_NAME} CAP ${me} LIST :${[...this.caps].join(' ')}`);
        break;
      case 'REQ': {
        if (this.session?.name === undefined) this.negotiating = true;
        const asked = (msg.params[1] ?? '').split(' ').filter((c) => c !== '');
        // All or nothing, as the spec says: one unknown capability NAKs the whole request.
        const ok = asked.length > 0 && asked.every((c) => CAPS.has(c.replace(/^-/, '')));
        if (ok) {
          for (const c of asked) {
            if (c.startsWith('-')) this.caps.delete(c.slice(1));
            else this.caps.add(c);
          }
          this.irc.serverTime = this.caps.has('server-time');
        }
        this.irc.line(formatIrc({ source: IRC_SERVER_NAME, command: 'CAP', params: [me, ok ? 'ACK' : 'NAK', msg.params[1] ?? ''] }, true));
        break;
      }
      case 'END': {
        this.negotiating = false;
        const session = this.session;
        if (session !== undefined && session.name === undefined) this.tryRegister(session);
        break;
      }
      default:
        this.num('410', sub, 'Invalid CAP command');
    }
  }

  tryRegister(session: Session): void {
    const nick = this.wantedNick;
    if (nick === undefined || !this.gotUser || this.negotiating) return;
    const { hub, t } = this;
    if (!hub.authenticate(session, this.password)) {
      this.num('464', t('irc_password_wrong'));
      this.irc.line(`ERROR :${t('irc_closing_link', { reason: t('irc_password_wrong') })}`);
      this.peer.close('kicked');
      return;
    }
    hub.requestName(session, nick, (refused) => this.nameAnswered(nick, refused));
  }

  /** The hub's answer to a registration (at once, or once the cluster has answered). */
  nameAnswered(nick: string, refused: Refusal | undefined): void {
    const { hub, t } = this;
    if (refused !== undefined) {
      this.wantedNick = undefined;
      if (refused.key === 'server_full') {
        this.peer.deliver(refused);
        this.peer.close('kicked');
      } else if (refused.key === 'name_taken') this.num('433', nick, t('irc_nick_taken'));
      else this.num('432', nick, t(refused.key, refused.args));
      return;
    }
    this.irc.nick = nick;
    this.num('001', t('irc_welcome', { nick: ircMask(nick, 'irc.charla') }));
    this.num('002', t('irc_your_host', { server: IRC_SERVER_NAME, version: VERSION }));
    this.num('003', t('irc_created', { date: this.started }));
    this.irc.line(`:${IRC_SERVER_NAME} 004 ${nick} ${IRC_SERVER_NAME} charla-${VERSION} i nt`);
    const { maxNameLength, maxRooms } = hub.options;
    this.num(
      '005',
      'CHANTYPES=#',
      `NICKLEN=${maxNameLength + 5}`,
      'CHANNELLEN=33',
      'CASEMAPPING=ascii',
      'NETWORK=charla',
      'PREFIX=(o)@',
      'CHANMODES=,,,nt',
      `CHANLIMIT=#:${maxRooms}`,
      `TOPICLEN=${TOPIC_MAX_BYTES}`,
      'TARGMAX=PRIVMSG:4,NOTICE:4,JOIN:,PART:,NAMES:1,WHOIS:1',
      t('irc_isupport'),
    );
    this.num('422', t('irc_no_motd'));
  }

  pong(msg: IrcMessage): void {
    const token = msg.params[0];
    if (token === undefined) {
      this.num('409', 'No origin specified');
      return;
    }
    this.irc.line(formatIrc({ source: IRC_SERVER_NAME, command: 'PONG', params: [IRC_SERVER_NAME, token] }, true));
  }

  registered(session: Session, msg: IrcMessage): void {
    const { t, hub } = this;
    const p = msg.params;
    switch (msg.command) {
      case 'PRIVMSG':
      case 'NOTICE':
        this.message(session, msg.command === 'NOTICE', p[0], p[1]);
        return;
      case 'PING':
        this.pong(msg);
        return;
      case 'PONG':
      case 'TAGMSG': // message-tags: tags alone, nothing charla relays
        return;
      case 'JOIN':
        if (p[0] === undefined) {
          this.num('461', 'JOIN', t('irc_need_params'));
          return;
        }
        if (p[0] === '0') {
          for (const room of [...session.rooms]) hub.partRoom(session, room, undefined);
          return;
        }
        for (const channel of p[0].split(',')) if (channel !== '') this.join(session, channel);
        return;
      case 'PART':
        if (p[0] === undefined) {
          this.num('461', 'PART', t('irc_need_params'));
          return;
        }
        for (const channel of p[0].split(',')) {
          const room = this.memberRoom(session, channel);
          if (room !== undefined) hub.partRoom(session, room, p[1] === undefined ? undefined : sanitize(p[1]));
        }
        return;
      case 'NAMES':
        if (p[0] === undefined) {
          this.num('366', '*', t('irc_end_of_names'));
          return;
        }
        for (const channel of p[0].split(',')) {
          const room = this.roomOf(channel);
          if (room === undefined) this.num('366', channel, t('irc_end_of_names'));
          else this.names(room);
        }
        return;
      case 'TOPIC':
        this.topic(session, p[0], p[1]);
        return;
      case 'LIST':
        this.peer.deliver(hub.roomList());
        return;
      case 'OPER':
        // OPER name key: the name is not checked (charla has one operator key, --admin-password);
        // the hub answers 381 (admin_granted), 464 after its delay (admin_wrong) or 491 (admin_none).
        if (p.length < 2) this.num('461', 'OPER', t('irc_need_params'));
        else hub.admin(session, p[1] as string);
        return;
      case 'KICK':
        this.kick(session, p[0], p[1], p[2]);
        return;
      case 'MODE':
        this.modeCommand(session, msg);
        return;
      case 'WHO':
        this.who(p[0]);
        return;
      case 'WHOIS':
        this.whois(session, p[p.length - 1]);
        return;
      case 'ISON': {
        const online = p.join(' ').split(' ').filter((nick) => nick !== '' && hub.findByNick(nick) !== undefined);
        this.num('303', online.map((nick) => hub.findByNick(nick)?.nick ?? nick).join(' '));
        return;
      }
      case 'AWAY':
        if (p[0] === undefined || p[0] === '') this.num('305', t('irc_away'));
        else this.num('306', t('irc_now_away'));
        return;
      case 'NICK':
        this.nick(session, p[0]);
        return;
      case 'USER':
      case 'PASS':
        this.num('462', t('irc_already_registered'));
        return;
      case 'CAP':
        this.cap(msg);
        return;
      case 'QUIT': {
        const farewell = p[0] === undefined || p[0] === '' ? undefined : sanitize(p[0]);
        if (farewell !== undefined) extraOf(session).farewell = farewell;
        const reason = farewell === undefined ? t('reason_quit') : t('irc_quit', { message: farewell });
        this.irc.line(`ERROR :${t('irc_closing_link', { reason })}`);
        hub.leave(this.peer, 'quit');
        this.peer.close('quit');
        return;
      }
      default:
        this.num('421', msg.command, t('irc_unknown_command'));
    }
  }

  /** The room of `channel` (`#name`), if it exists. */
  roomOf(channel: string): Room | undefined {
    return channel.startsWith('#') ? this.hub.room(channel.slice(1)) : undefined;
  }

  /** The room of `channel` when this user is in it; else undefined, after the numeric that says why. */
  memberRoom(session: Session, channel: string): Room | undefined {
    const room = this.roomOf(channel);
    if (room === undefined) this.num('403', channel, this.t('irc_no_such_channel'));
    else if (!room.members.has(session.peer)) this.num('442', channel, this.t('irc_not_on_channel'));
    else return room;
    return undefined;
  }

  join(session: Session, channel: string): void {
    const { t } = this;
    if (!channel.startsWith('#')) {
      this.num('403', channel, t('irc_no_such_channel'));
      return;
    }
    const already = this.roomOf(channel)?.members.has(session.peer) === true;
    const result = this.hub.joinRoom(session, channel.slice(1));
    if (!(result instanceof Room)) {
      const why = t(result.key, result.args);
      this.num(result.key === 'room_too_many' ? '405' : '479', channel, t('irc_bad_channel', { reason: why }));
      return;
    }
    if (already) return; // a JOIN of a channel one is in: nothing, as IRC servers do
    if (result.topic !== undefined) this.topicLines(result);
    this.names(result);
    this.hub.replayJoin(session, result);
  }

  /**
   * TOPIC #room: the topic (332/333, or 331); TOPIC #room :text sets it, for an operator who is
   * in the room (else 442 or 482); an empty text clears it. Every member hears `TOPIC`.
   */
  topic(session: Session, channel: string | undefined, text: string | undefined): void {
    const { t } = this;
    if (channel === undefined) {
      this.num('461', 'TOPIC', t('irc_need_params'));
      return;
    }
    const room = this.roomOf(channel);
    if (room === undefined) this.num('403', channel, t('irc_no_such_channel'));
    else if (text === undefined) this.topicLines(room);
    else if (!room.members.has(this.peer)) this.num('442', ircChannel(room.name), t('irc_not_on_channel'));
    else if (!session.operator) this.num('482', ircChannel(room.name), t('irc_chanop_needed'));
    else this.hub.setTopic(session, room, sanitize(text));
  }

  topicLines(room: Room): void {
    for (const line of topicReply(this.irc.nick, room.name, room.topic, this.t)) this.irc.line(line);
  }

  /**
   * KICK #room nick[,nick] [:reason], for an operator: the hub's remove (as the line protocol's
   * /expulsar: the user is disconnected, their rooms hear who and why). 403 for a channel that
   * does not exist, 482 for a non-operator, 441 for a nick not in that channel.
   */
  kick(session: Session, channel: string | undefined, nicks: string | undefined, reason: string | undefined): void {
    const { t, hub } = this;
    if (channel === undefined || nicks === undefined || nicks === '') {
      this.num('461', 'KICK', t('irc_need_params'));
      return;
    }
    const room = this.roomOf(channel);
    if (room === undefined) {
      this.num('403', channel, t('irc_no_such_channel'));
      return;
    }
    if (!session.operator) {
      this.num('482', ircChannel(room.name), t('irc_chanop_needed'));
      return;
    }
    const because = reason === undefined ? undefined : sanitize(reason).trim();
    for (const nick of nicks.split(',')) {
      if (nick === '') continue;
      const target = hub.findByNick(nick);
      if (target === undefined || !room.members.has(target.peer)) this.num('441', nick, ircChannel(room.name), t('irc_user_not_in_channel'));
      else hub.remove(session, target, because === '' ? undefined : because);
    }
  }

  names(room: Room): void {
    const nicks: string[] = [];
    for (const s of room.everyone()) nicks.push(s.operator ? `@${s.nick}` : (s.nick as string));
    for (const line of namesReply(this.irc.nick, room.name, nicks, this.t)) this.irc.line(line);
  }

  /** PRIVMSG (or, `notice`, NOTICE) `targets` :`raw`: to channels and nicks; a NOTICE is never answered with an error. */
  message(session: Session, notice: boolean, targets: string | undefined, raw: string | undefined): void {
    const { t, hub } = this;
    if (targets === undefined || targets === '') {
      if (!notice) this.num('411', t('irc_no_recipient', { command: notice ? 'NOTICE' : 'PRIVMSG' }));
      return;
    }
    if (raw === undefined || raw === '') {
      if (!notice) this.num('412', t('irc_no_text'));
      return;
    }
    const action = ctcpAction(raw);
    if (action === undefined && isCtcp(raw)) return; // CTCP VERSION, PING...: nobody here answers them
    const text = sanitize(action ?? raw);
    if (!/\S/.test(text)) return;
    if (!targets.includes(',')) this.messageTo(session, notice, targets, text, action !== undefined);
    else for (const target of targets.split(',')) this.messageTo(session, notice, target, text, action !== undefined);
  }

  /** One target of a PRIVMSG or NOTICE: a channel this user is in, or a nick. */
  messageTo(session: Session, notice: boolean, target: string, text: string, action: boolean): void {
    const { t, hub } = this;
    if (target.startsWith('#')) {
      // The room written to last, while this user is in it (a room with members stays open,
      // so it is still the room of that name); else looked up.
      const cached = target === this.lastChannel ? this.lastRoom : undefined;
      const room = cached !== undefined && cached.members.has(session.peer) ? cached : this.roomOf(target);
      if (room === undefined) {
        if (!notice) this.num('403', target, t('irc_no_such_channel'));
      } else if (!room.members.has(session.peer)) {
        if (!notice) this.num('404', target, t('irc_cannot_send'));
      } else {
        this.lastChannel = target;
        this.lastRoom = room;
        hub.say(session, room, text, action);
      }
      return;
    }
    const to = hub.findByNick(target);
    if (to === undefined) {
      if (!notice) this.num('401', target, t('msg_no_such_user', { name: target }));
    } else if (to !== session) hub.tell(session, to, action ? `* ${session.name as string} ${text}` : text);
  }

  nick(session: Session, wanted: string | undefined): void {
    if (wanted === undefined || wanted === '') {
      this.num('431', this.t('irc_no_nick'));
      return;
    }
    if (wanted === session.name) return;
    const problem = this.nickProblem(wanted, session);
    if (problem !== undefined) {
      problem();
      return;
    }
    this.hub.rename(session, normalizeName(wanted));
  }

  modeCommand(session: Session, msg: IrcMessage): void {
    const [target, change] = msg.params;
    if (target === undefined) {
      this.num('461', 'MODE', this.t('irc_need_params'));
      return;
    }
    if (target.startsWith('#')) {
      const room = this.roomOf(target);
      if (room === undefined) this.num('403', target, this.t('irc_no_such_channel'));
      else if (change === undefined) this.num('324', ircChannel(room.name), '+nt');
      else if (change === 'b' || change === '+b') this.num('368', ircChannel(room.name), this.t('irc_end_of_bans'));
      else this.num('482', ircChannel(room.name), this.t('irc_chanop_needed'));
      return;
    }
    const found = this.hub.findByNick(target);
    if (found === undefined) this.num('401', target, this.t('msg_no_such_user', { name: target }));
    else if (found !== session) this.num('502', "Can't change mode for other users");
    else if (change === undefined) this.num('221', session.operator ? '+io' : '+i');
    else this.irc.line(`:${ircMask(this.irc.nick, 'irc.charla')} MODE ${this.irc.nick} :+i`);
  }

  /** WHO #channel or WHO nick: 352 per user, then 315. */
  who(mask: string | undefined): void {
    const { hub } = this;
    const users: Session[] = [];
    let channel = '*';
    if (mask !== undefined) {
      const room = this.roomOf(mask);
      if (room !== undefined) {
        channel = ircChannel(room.name);
        users.push(...room.everyone());
      } else {
        const found = hub.findByNick(mask);
        if (found !== undefined) users.push(found);
      }
    }
    for (const s of users) {
      const nick = s.nick as string;
      const host = ircHost(s.peer.transport);
      this.num('352', channel, nick, host, IRC_SERVER_NAME, nick, s.operator ? 'H*' : 'H', `0 ${s.name as string}`);
    }
    this.num('315', mask ?? '*', this.t('irc_end_of_who'));
  }

  whois(session: Session, nick: string | undefined): void {
    const { t } = this;
    if (nick === undefined) {
      this.num('431', t('irc_no_nick'));
      return;
    }
    const found = this.hub.findByNick(nick);
    if (found === undefined) {
      this.num('401', nick, t('msg_no_such_user', { name: nick }));
      this.num('318', nick, t('irc_end_of_whois'));
      return;
    }
    const foundNick = found.nick as string;
    this.num('311', foundNick, foundNick, ircHost(found.peer.transport), '*', found.name as string);
    const channels = [...found.rooms].map((r) => ircChannel(r.name));
    if (channels.length > 0) this.num('319', foundNick, channels.join(' '));
    this.num('312', foundNick, IRC_SERVER_NAME, t('irc_via', { transport: found.peer.transport.toUpperCase() }));
    if (found.operator) this.num('313', foundNick, t('irc_operator'));
    this.num('318', foundNick, t('irc_end_of_whois'));
  }
}

function onPingTimer(conn: IrcConnection): void {
  const { peer, opts, t } = conn;
  if (peer.closed) return;
  const { pingIntervalMs } = conn.ircOpts;
  if (conn.pinged) {
    conn.irc.line(`ERROR :${t('irc_closing_link', { reason: t('irc_ping_timeout', { seconds: Math.round((2 * pingIntervalMs) / 1000) }) })}`);
    peer.closeReason = 'connection_lost';
    conn.irc.close('timeout'); // flushes the ERROR; the hub hears connection_lost
    return;
  }
  conn.pinged = true;
  conn.irc.line(`PING :${IRC_SERVER_NAME}`);
  conn.pingTimer = opts.timers.set(pingIntervalMs, onPingTimer, conn);
}
