import type { LeaveReason } from '../../src/hub/messages.js';
import { PUSH_TEXT } from './soak-members.js';
import type { Random } from './soak-random.js';
import { Pacer, pause, SoakTcp, type SoakUdp } from './soak-sockets.js';
import { t, WIRE } from './soak-wire.js';

/**
 * The soak's churners: clients that come during the chaos phase, do one thing (politely or not)
 * and go. Each scenario states what the server must do to it (a reply, a kick, a close) and how
 * the room must hear of its departure; the driver checks the departures against the observer.
 */

export type TcpChurnKind = 'chatter' | 'flooder' | 'longline' | 'garbage' | 'reset' | 'halfline' | 'silent' | 'badname' | 'dupname' | 'http' | 'abrupt';
export type UdpChurnKind = 'udp-chatter' | 'udp-vanish' | 'udp-flood' | 'udp-stranger' | 'udp-big' | 'udp-garbage' | 'udp-dupname';
export type ChurnKind = TcpChurnKind | UdpChurnKind;

/** How often each kind is drawn (relative weights). */
export const TCP_CHURN_WEIGHTS: Readonly<Record<TcpChurnKind, number>> = {
  chatter: 30,
  flooder: 7,
  longline: 7,
  garbage: 9,
  reset: 8,
  halfline: 7,
  silent: 6,
  badname: 6,
  dupname: 8,
  http: 4,
  abrupt: 8,
};
export const UDP_CHURN_WEIGHTS: Readonly<Record<UdpChurnKind, number>> = {
  'udp-chatter': 30,
  'udp-vanish': 14,
  'udp-flood': 10,
  'udp-stranger': 14,
  'udp-big': 10,
  'udp-garbage': 10,
  'udp-dupname': 12,
};

/** One churner, fixed by the seed. */
export interface ChurnPlan {
  index: number;
  kind: ChurnKind;
  startMs: number;
  rnd: Random;
}

/** What a scenario can do and report; implemented by the driver. */
export interface ChurnContext {
  readonly plan: ChurnPlan;
  readonly signal: AbortSignal;
  /** Bound of every wait for the server (a reply, a close). */
  readonly waitMs: number;
  readonly limits: { maxLineBytes: number; registrationTimeoutMs: number; floodKickMs: number; keepAliveMs: number };
  /** Members that never rename: targets for private messages and name clashes. */
  readonly steady: readonly string[];
  /** Slow readers (targets for pushes). */
  readonly slow: readonly string[];
  /** A new TCP connection / UDP socket, closed by the driver at the end if still open. */
  tcp(): Promise<SoakTcp>;
  udp(): Promise<SoakUdp>;
  /** `name` joined the room (it must leave it, once, before the end). */
  joined(name: string): void;
  renamed(old: string, name: string): void;
  /** How the room must hear that `name` left: one of these reasons. */
  expectLeave(name: string, ...reasons: LeaveReason[]): void;
  /** The server confirmed a private message to member `to`: `to` must have received `text`. */
  expectPrivate(to: string, text: string): void;
  /** The observer must have received this exact line. */
  expectSeen(line: string): void;
  fail(message: string): void;
}

type Scenario = (ctx: ChurnContext) => Promise<void>;

/** Churners keep to this pace when they mean to be polite (the server allows 5/s, burst 25). */
const politePacer = (): Pacer => new Pacer(4, 18);

const welcomeOf = (name: string): RegExp => new RegExp(`^${WIRE.welcome.source.slice(1, -1).replace('(\\S+)', escape(name))}$`);

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function tcpJoin(ctx: ChurnContext, pacer: Pacer, name: string): Promise<SoakTcp> {
  const c = await ctx.tcp();
  await pacer.take(ctx.signal);
  c.sendLine(name);
  await c.waitFor(welcomeOf(name), ctx.waitMs, `${name}'s welcome`);
  ctx.joined(name);
  return c;
}

async function udpJoin(ctx: ChurnContext, pacer: Pacer, name: string, u?: SoakUdp): Promise<SoakUdp> {
  const c = u ?? (await ctx.udp());
  c.keepAlive(ctx.limits.keepAliveMs);
  await pacer.take(ctx.signal);
  c.sendLine(name);
  await c.waitFor(welcomeOf(name), ctx.waitMs, `${name}'s welcome over UDP`);
  ctx.joined(name);
  return c;
}

async function quitTcp(ctx: ChurnContext, pacer: Pacer, c: SoakTcp, name: string): Promise<void> {
  await pacer.take(ctx.signal);
  ctx.expectLeave(name, 'quit');
  c.sendLine('/quitar');
  await c.waitFor(t('goodbye', { name }), ctx.waitMs);
  await c.closedWithin(ctx.waitMs, `the server to close ${name}'s connection after /quitar`);
}

async function quitUdp(ctx: ChurnContext, pacer: Pacer, c: SoakUdp, name: string): Promise<void> {
  await pacer.take(ctx.signal);
  ctx.expectLeave(name, 'quit');
  c.sendLine('/quitar');
  await c.waitFor(t('goodbye', { name }), ctx.waitMs);
  await c.close();
}

/** One polite step of a chatter: chat, a private message, a push, /listar, /ayuda or /nick. */
async function politeStep(ctx: ChurnContext, c: SoakTcp | SoakUdp, name: string, step: number, canRename: boolean): Promise<string> {
  const { rnd } = ctx.plan;
  const what = rnd.weighted({ chat: 4, private: 2, push: c instanceof SoakTcp && ctx.slow.length > 0 ? 3 : 0, list: 1, help: 1, nick: canRename ? 1 : 0 });
  switch (what) {
    case 'chat':
      c.sendLine(`hola ${step} de ${name} ${'·'.repeat(rnd.int(0, 40))}`);
      return name;
    case 'private': {
      const to = rnd.pick(ctx.steady);
      const text = `q ${ctx.plan.index} ${step}`;
      c.sendLine(`/msg ${to} ${text}`);
      await c.waitFor(t('private_to', { name: to, text }), ctx.waitMs);
      ctx.expectPrivate(to, text);
      return name;
    }
    case 'push':
      c.sendLine(`/msg ${rnd.pick(ctx.slow)} ${PUSH_TEXT}`);
      return name;
    case 'list': {
      c.sendLine('/listar');
      const answer = await c.waitFor(WIRE.list, ctx.waitMs);
      if (!answer.split(/[:,] /).includes(name)) ctx.fail(`${name}: /listar does not list itself: ${answer.slice(0, 200)}`);
      return name;
    }
    case 'help':
      c.sendLine('/ayuda');
      await c.waitFor(WIRE.helpFirst, ctx.waitMs);
      return name;
    case 'nick': {
      const next = `${name}n`;
      c.sendLine(`/nick ${next}`);
      await c.waitFor(t('user_renamed', { old: name, name: next }), ctx.waitMs);
      ctx.renamed(name, next);
      return next;
    }
  }
}

/** Bytes a hostile client might send on a line: escapes, controls, invalid UTF-8, bidi, anything but LF. */
function garbage(rnd: Random): Buffer {
  const parts: Buffer[] = [];
  for (let i = rnd.int(2, 8); i > 0; i--) {
    const piece = rnd.pick([
      () => Buffer.from('\x1b[2J\x1b[H\x1b[31m'),
      () => Buffer.from('\x1b]0;titulo falso\x07'),
      () => Buffer.from('\u009b31m\u202eolleh\u2066'),
      () => Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]),
      () => Buffer.from('\r*** w0 ha salido del chat ***\r'),
      () => Buffer.from('\x00\x07\x08\x7f\t'),
      () => Buffer.from('texto normal ñandú 🙂 '),
      () => Buffer.from(rnd.bytes(rnd.int(1, 30)).map((b) => (b === 0x0a ? 0x20 : b))),
    ])();
    parts.push(piece);
  }
  return Buffer.concat(parts);
}

/** Writes `data` in 1..4 pieces split at random byte offsets (inside UTF-8 sequences too). */
function writeSplit(rnd: Random, c: SoakTcp, data: Buffer): void {
  let at = 0;
  for (let pieces = rnd.int(1, 4); pieces > 1 && at < data.length; pieces--) {
    const end = rnd.int(at, data.length);
    c.write(data.subarray(at, end));
    at = end;
  }
  c.write(data.subarray(at));
}

export const SCENARIOS: Readonly<Record<ChurnKind, Scenario>> = {
  /** Joins, does a few polite things, leaves with /quitar or a half-close. */
  async chatter(ctx) {
    const pacer = politePacer();
    let name = `c${ctx.plan.index}`;
    const c = await tcpJoin(ctx, pacer, name);
    for (let step = 0, n = ctx.plan.rnd.int(2, 6); step < n; step++) {
      await pause(ctx.plan.rnd.int(0, 300), ctx.signal);
      await pacer.take(ctx.signal);
      name = await politeStep(ctx, c, name, step, name === `c${ctx.plan.index}`);
    }
    if (ctx.plan.rnd.chance(0.5)) {
      await quitTcp(ctx, pacer, c, name);
    } else {
      ctx.expectLeave(name, 'disconnected');
      c.socket.end(); // FIN: the server finishes and closes its side
      await c.closedWithin(ctx.waitMs, `the server to close ${name}'s half-closed connection`);
    }
  },

  /** Pastes hundreds of lines at once and keeps them coming: paced, warned, then kicked. */
  async flooder(ctx) {
    const pacer = politePacer();
    const name = `f${ctx.plan.index}`;
    const c = await tcpJoin(ctx, pacer, name);
    ctx.expectLeave(name, 'flood');
    c.write(Array.from({ length: 300 }, (_, k) => `flood ${k}\n`).join(''));
    await c.waitFor(WIRE.floodKicked, ctx.limits.floodKickMs + ctx.waitMs);
    await c.closedWithin(ctx.waitMs, `the server to close flooder ${name}`);
    if (!c.lines.includes(WIRE.rateSlowed)) ctx.fail(`${name} was kicked for flooding without being told it was slowed first`);
  },

  /** Sends a line over the limit (in pieces): refused and discarded, and the connection goes on. */
  async longline(ctx) {
    const pacer = politePacer();
    const name = `l${ctx.plan.index}`;
    const { rnd } = ctx.plan;
    const c = await tcpJoin(ctx, pacer, name);
    writeSplit(rnd, c, Buffer.from(`${'y'.repeat(ctx.limits.maxLineBytes + rnd.int(1, 3 * ctx.limits.maxLineBytes))}\n`));
    await c.waitFor(WIRE.lineTooLong, ctx.waitMs);
    await pacer.take(ctx.signal);
    c.sendLine(`sigo aquí ${ctx.plan.index}`);
    await pacer.take(ctx.signal);
    c.sendLine('/listar');
    await c.waitFor(WIRE.list, ctx.waitMs);
    await quitTcp(ctx, pacer, c, name);
  },

  /** Sends lines of escapes, controls and invalid UTF-8, split anywhere; then resets or closes. */
  async garbage(ctx) {
    const pacer = politePacer();
    const name = `g${ctx.plan.index}`;
    const { rnd } = ctx.plan;
    const c = await tcpJoin(ctx, pacer, name);
    for (let k = rnd.int(1, 4); k > 0; k--) {
      await pacer.take(ctx.signal);
      writeSplit(rnd, c, Buffer.concat([Buffer.from(`g${k} `), garbage(rnd), Buffer.from('\n')]));
    }
    await pacer.take(ctx.signal);
    c.sendLine('/listar');
    await c.waitFor(WIRE.list, ctx.waitMs);
    if (rnd.chance(0.5)) {
      ctx.expectLeave(name, 'connection_lost');
      c.socket.resetAndDestroy();
    } else {
      // A close with unread input in the kernel is sent as a reset, so either reason is right.
      ctx.expectLeave(name, 'disconnected', 'connection_lost');
      c.socket.destroy();
    }
    await c.closing;
  },

  /**
   * Says something and resets the connection (RST): after the server has read everything (a
   * /listar answer shows it), or right after a line.
   */
  async reset(ctx) {
    const pacer = politePacer();
    const name = `r${ctx.plan.index}`;
    const c = await tcpJoin(ctx, pacer, name);
    await pacer.take(ctx.signal);
    c.sendLine(`me voy sin avisar ${ctx.plan.index}`);
    if (ctx.plan.rnd.chance(0.5)) {
      await pacer.take(ctx.signal);
      c.sendLine('/listar');
      await c.waitFor(WIRE.list, ctx.waitMs);
      ctx.expectLeave(name, 'connection_lost');
    } else {
      // Data and RST together reach Node as data then a clean end (libuv's POLLHUP short-cut),
      // so the room hears "conexión cerrada": see the todo test in soak.test.ts.
      ctx.expectLeave(name, 'connection_lost', 'disconnected');
    }
    c.socket.resetAndDestroy();
    await c.closing;
  },

  /** Writes half a line and half-closes: the server takes the bare last message, then closes. */
  async halfline(ctx) {
    const pacer = politePacer();
    const name = `h${ctx.plan.index}`;
    const c = await tcpJoin(ctx, pacer, name);
    await pacer.take(ctx.signal);
    const text = `medio mensaje ${ctx.plan.index}`;
    ctx.expectSeen(`${name}: ${text}`);
    ctx.expectLeave(name, 'disconnected');
    c.write(text);
    c.socket.end();
    await c.closedWithin(ctx.waitMs, `the server to close ${name}'s connection`);
  },

  /** Connects and never says a name: told and closed at the registration timeout. */
  async silent(ctx) {
    const c = await ctx.tcp();
    await c.waitFor(WIRE.registrationTimeout, ctx.limits.registrationTimeoutMs + ctx.waitMs);
    await c.closedWithin(ctx.waitMs, 'the server to close a connection that never named itself');
  },

  /**
   * Tries names the server must refuse (spaces, a reserved one behind escapes, empty, a colon),
   * all in one write, then goes. They take one server turn, so a busy loop does not push them past
   * the registration timeout.
   */
  async badname(ctx) {
    const pacer = politePacer();
    const c = await ctx.tcp();
    const tries: Array<[string, string | RegExp]> = [
      ['mal nombre', WIRE.nameInvalid],
      ['\x1b[31mroot\x1b[0m', WIRE.nameReserved],
      ['', WIRE.nameEmpty],
      [`${ctx.plan.index}:falso`, WIRE.nameInvalid],
    ];
    for (let i = 0; i < tries.length; i++) await pacer.take(ctx.signal);
    c.write(tries.map(([name]) => `${name}\n`).join(''));
    for (const [name, reply] of tries) await c.waitFor(reply, ctx.waitMs, `the refusal of the name ${JSON.stringify(name)}`);
    await c.destroy();
  },

  /** Takes a member's name in other case (refused) and then its own, in one write; /nick to a member's (refused). */
  async dupname(ctx) {
    const pacer = politePacer();
    const { rnd } = ctx.plan;
    const clash = rnd.pick(ctx.steady);
    const name = `d${ctx.plan.index}`;
    const c = await ctx.tcp();
    await pacer.take(ctx.signal);
    await pacer.take(ctx.signal);
    c.write(`${clash.toUpperCase()}\n${name}\n`);
    await c.waitFor(t('name_taken', { name: clash.toUpperCase() }), ctx.waitMs);
    await c.waitFor(welcomeOf(name), ctx.waitMs);
    ctx.joined(name);
    await pacer.take(ctx.signal);
    c.sendLine(`/nick ${clash}`);
    await c.waitFor(t('name_taken', { name: clash }), ctx.waitMs);
    await pacer.take(ctx.signal);
    c.sendLine(`/nick ${name}n`);
    await c.waitFor(t('user_renamed', { old: name, name: `${name}n` }), ctx.waitMs);
    ctx.renamed(name, `${name}n`);
    await quitTcp(ctx, pacer, c, `${name}n`);
  },

  /** A browser on the chat port: an HTTP 400 and a close, never a user. */
  async http(ctx) {
    const c = await ctx.tcp();
    c.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: soak\r\n\r\n');
    await c.closedWithin(ctx.waitMs, 'the server to answer HTTP and close');
    if (!(c.lines[0] ?? '').startsWith('HTTP/1.1 400')) ctx.fail(`http: expected an HTTP 400, got ${JSON.stringify(c.lines.slice(0, 2))}`);
  },

  /** Chats, then closes without a word. */
  async abrupt(ctx) {
    const pacer = politePacer();
    const name = `a${ctx.plan.index}`;
    const c = await tcpJoin(ctx, pacer, name);
    await pacer.take(ctx.signal);
    c.sendLine(`adiós sin /quitar ${ctx.plan.index}`);
    ctx.expectLeave(name, 'disconnected', 'connection_lost');
    await c.destroy();
  },

  async 'udp-chatter'(ctx) {
    const pacer = politePacer();
    let name = `uc${ctx.plan.index}`;
    const c = await udpJoin(ctx, pacer, name);
    for (let step = 0, n = ctx.plan.rnd.int(2, 6); step < n; step++) {
      await pause(ctx.plan.rnd.int(0, 300), ctx.signal);
      await pacer.take(ctx.signal);
      name = await politeStep(ctx, c, name, step, name === `uc${ctx.plan.index}`);
    }
    await quitUdp(ctx, pacer, c, name);
  },

  /** Says something, then goes silent for good: removed after the silence limit. */
  async 'udp-vanish'(ctx) {
    const pacer = politePacer();
    const name = `uv${ctx.plan.index}`;
    const c = await udpJoin(ctx, pacer, name);
    await pacer.take(ctx.signal);
    c.sendLine(`me esfumo ${ctx.plan.index}`);
    ctx.expectLeave(name, 'timeout');
    await c.close();
  },

  /** Sends 40 datagrams at once: the excess is dropped with one warning; then it vanishes. */
  async 'udp-flood'(ctx) {
    const pacer = politePacer();
    const name = `uf${ctx.plan.index}`;
    const c = await udpJoin(ctx, pacer, name);
    for (let k = 0; k < 40; k++) c.sendLine(`rafaga ${k}`);
    await c.waitFor(WIRE.rateDropped, ctx.waitMs);
    ctx.expectLeave(name, 'timeout');
    await c.close();
  },

  /** Never registers; sends commands and text. Must run nothing, reach no one, leave no state. */
  async 'udp-stranger'(ctx) {
    const { rnd } = ctx.plan;
    const c = await ctx.udp();
    const to = rnd.pick(ctx.steady);
    for (const line of ['/listar', `/msg ${to} STRANGER ${ctx.plan.index}`, '/nick intruso', '/quitar', `hola STRANGER ${ctx.plan.index}`, '*** STRANGER ***', 'z'.repeat(5000)]) {
      c.sendLine(line);
    }
    await pause(rnd.int(50, 200), ctx.signal); // a stranger does not wait for answers
    await c.close();
  },

  /** Sends a datagram over the line limit: refused with a reply, and it stays a user. */
  async 'udp-big'(ctx) {
    const pacer = politePacer();
    const name = `ub${ctx.plan.index}`;
    const c = await udpJoin(ctx, pacer, name);
    c.sendLine('z'.repeat(ctx.limits.maxLineBytes + ctx.plan.rnd.int(1, 8000)));
    await c.waitFor(WIRE.lineTooLong, ctx.waitMs);
    await pacer.take(ctx.signal);
    c.sendLine('/listar');
    await c.waitFor(WIRE.list, ctx.waitMs);
    await quitUdp(ctx, pacer, c, name);
  },

  /** Sends escapes, controls and invalid UTF-8 in datagrams. */
  async 'udp-garbage'(ctx) {
    const pacer = politePacer();
    const name = `ug${ctx.plan.index}`;
    const { rnd } = ctx.plan;
    const c = await udpJoin(ctx, pacer, name);
    for (let k = rnd.int(1, 3); k > 0; k--) {
      await pacer.take(ctx.signal);
      c.sendLine(Buffer.concat([Buffer.from(`ug${k} `), garbage(rnd)]));
    }
    await pacer.take(ctx.signal);
    c.sendLine('/listar');
    await c.waitFor(WIRE.list, ctx.waitMs);
    await quitUdp(ctx, pacer, c, name);
  },

  /** Tries a member's name over UDP (no state is made), then registers its own. */
  async 'udp-dupname'(ctx) {
    const pacer = politePacer();
    const c = await ctx.udp();
    c.sendLine(ctx.plan.rnd.pick(ctx.steady).toUpperCase());
    const name = `ud${ctx.plan.index}`;
    await udpJoin(ctx, pacer, name, c);
    await quitUdp(ctx, pacer, c, name);
  },
};

/** The transport a churner kind uses. */
export function churnTransport(kind: ChurnKind): 'tcp' | 'udp' {
  return kind.startsWith('udp-') ? 'udp' : 'tcp';
}
