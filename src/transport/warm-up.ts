import net from 'node:net';
import { Hub, noLog } from '../hub/hub.js';
import type { RateLimit } from '../hub/rate-limit.js';
import { closed } from '../util/closed.js';
import { collectGarbage } from '../util/heap.js';
import { listenIrc } from './irc.js';
import { listenTcp, TCP_DEFAULTS, type TcpOptions } from './tcp.js';
import { listenWs } from './ws.js';
import { WS_PATH, WS_PROTOCOL_VERSION } from '../protocol/ws-frames.js';

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BRACE = 0x7d;
/** Every relayed warm-up line (or JSON message frame) ends with the payload's last byte; no notice does. */
const PAYLOAD_END = 0x78; // 'x'

/** How much traffic the warm-up pushes through, and for how long at most. */
export interface WarmUpOptions {
  /** Sizes of the rooms, one after the other: each joins, chats and leaves. */
  rounds: number[];
  messagesPerClient: number;
  /**
   * Lines a client writes per write(), and at most that many in flight. Small: what makes V8
   * compile the per-read and per-write code is the number of reads and writes, not of lines.
   */
  linesPerWrite: number;
  /** Bound on the whole warm-up: on a slow machine it is cut short rather than delay the start. */
  timeoutMs: number;
  /**
   * Sizes of the IRC rooms, after the line rooms, when the server has an IRC port: IRC users
   * join a channel, chat and quit, so that the IRC parser, encoder and peer are compiled too
   * (a fresh IRC path costs a short IRC run about half its speed, as it does the line protocol).
   */
  ircRounds: number[];
  ircMessagesPerClient: number;
  /**
   * Sizes of the WebSocket rooms, last, when the server has a browser port: the `ws` frame
   * parser, the JSON encoder and the WebSocket peer are compiled too (a fresh WebSocket path
   * costs a short run of workload a about 40% of its speed).
   */
  wsRounds: number[];
  wsMessagesPerClient: number;
  /**
   * After the rounds, a full garbage collection, then one short room of `clients` per path
   * (line, IRC, WebSocket: those the server has) with `messagesPerClient` each; 0 clients: no
   * collection. The rounds leave tens of MB of garbage, which would otherwise stay resident
   * until some later collection; and that collection, finding the rounds' users and their hidden
   * classes dead, deoptimises the code compiled for them (V8's --trace-deopt shows `take`,
   * `send`, `broadcast`, `deliver` and Node's write path marked for deoptimisation): better now,
   * with a short room to compile it again, than during the first real users' traffic. One user
   * per path stays through it (see `keeper`), so the peers' own hidden classes survive it.
   *
   * `window` paces that room as people chat: a line per write, each client at most `window`
   * messages ahead of what it has read of the others'. The rounds write as fast as the sockets
   * take it, so the server reads big chunks of many lines and writes once per many messages; a
   * paced room reads and writes once per few messages, which is what gets the per-read and
   * per-write code (Node's stream read and write paths, the peer's flush) compiled at all.
   * Without it, a fresh server's first windowed run (workload a) compiled about 40 ms of such
   * code while it ran, on the core it was serving from. Undefined: as fast as the rounds.
   */
  afterCollection: { clients: number; messagesPerClient: number; window?: number };
}

/** The ports the real server opens besides TCP: each gets its own rounds. */
export interface WarmUpPorts {
  irc?: boolean;
  ws?: boolean;
}

/**
 * Two rooms: a small one whose departures settle the shapes that only change when users leave
 * (V8 throws away code compiled before such a change), then a classroom-sized one that compiles
 * the hot path for good; then the collection of their 40 MB or so of garbage, and one short,
 * paced room per path (`afterCollection`). About 0.5 s on one core for the line protocol alone.
 */
export const WARM_UP_DEFAULTS: WarmUpOptions = {
  rounds: [8, 24],
  messagesPerClient: 1600,
  linesPerWrite: 2,
  timeoutMs: 2000,
  ircRounds: [16],
  ircMessagesPerClient: 800,
  wsRounds: [8, 24],
  wsMessagesPerClient: 800,
  afterCollection: { clients: 8, messagesPerClient: 1000, window: 4 },
};

/**
 * How a warm-up client speaks: the line protocol, IRC or WebSocket. What it writes is ASCII, or
 * bytes written as latin1 (a WebSocket frame's header).
 */
interface Dialect {
  /** What a client sends first, as `name`. */
  hello(name: string, room: string): string;
  /** True once `data` (the start of what the server said) shows the client registered and in the room. */
  ready(seen: string): boolean;
  /** Message `n` of a client. */
  message(n: number, payload: string, room: string): string;
  bye: string;
  /** The byte that ends a relayed message (and the one that may stand between it and the payload). */
  end: number;
  beforeEnd: number;
}

const LINE: Dialect = {
  hello: (name) => `${name}\n`,
  ready: () => true, // the welcome
  message: (n, payload) => `${n} ${payload}\n`,
  bye: '/quitar\n',
  end: LF,
  beforeEnd: CR,
};

const IRC: Dialect = {
  hello: (name, room) => `NICK ${name}\r\nUSER ${name} 0 * :${name}\r\nJOIN #${room}\r\n`,
  ready: (seen) => / 366 /.test(seen), // the end of NAMES: registered and in the channel
  message: (n, payload, room) => `PRIVMSG #${room} :${n} ${payload}\r\n`,
  bye: 'QUIT :listo\r\n',
  end: LF,
  beforeEnd: CR,
};

const WS_KEY = 'Y2hhcmxhIHdhcm11cCAxNg=='; // 16 bytes, base64 (RFC 6455 4.1)
const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;

/**
 * A masked client frame (RFC 6455 5.3) of an ASCII `text`, as a latin1 string. The masking key
 * is zero: the warm-up talks to its own private hub over loopback, and a zero key leaves the
 * payload as it is.
 */
function clientFrame(opcode: number, text: string): string {
  const n = text.length;
  const length = n < 126 ? String.fromCharCode(0x80 | n) : String.fromCharCode(0x80 | 126, n >> 8, n & 0xff);
  return `${String.fromCharCode(0x80 | opcode)}${length}\0\0\0\0${text}`;
}

const WS: Dialect = {
  // The upgrade and the join in one write: the server reads the join once it said hello.
  hello: (name, room) =>
    `GET ${WS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n` +
    clientFrame(OP_TEXT, JSON.stringify({ type: 'join', v: WS_PROTOCOL_VERSION, name, room })),
  ready: (seen) => seen.includes('"type":"welcome"'),
  message: (n, payload) => clientFrame(OP_TEXT, `{"type":"line","text":"${n} ${payload}"}`),
  bye: clientFrame(OP_CLOSE, '\x03\xe8'), // 1000, normal closure: the server answers and closes
  end: BRACE, // a message frame ends ..."text":"0 xx...x"}
  beforeEnd: QUOTE,
};

/** A rate limit that limits nothing: the warm-up takes the limiter's code path at full speed. */
const UNLIMITED: RateLimit = { ratePerSec: 1e9, burst: 1e9 };

/** What one warm-up took. */
export interface WarmUpResult {
  deliveries: number;
  ms: number;
}

/**
 * Runs the chat's hot path for a moment before the real server opens: a private hub on an
 * ephemeral loopback port, with the real TCP transport's options (`transport`), and rooms of
 * clients that join (room notices), exchange messages through real sockets (decoder, hub,
 * batching, Node's own socket write path) and leave. V8 compiles those functions with the shapes
 * real traffic has, so the first users get optimised code instead of paying for the JIT: a fresh
 * Node server is about half as fast for its first few hundred thousand deliveries (see README,
 * Performance). Options that change object shapes are mirrored (timers, keep-alive, a rate
 * limiter, lifted so the warm-up is not paced); TLS is not (its cost is in OpenSSL, not in
 * compiled JavaScript). The private hub shares nothing with the real one but the code.
 *
 * With `ports.irc` (a server with an IRC port) the same hub also listens for IRC, and after the
 * line rooms IRC users join a channel, chat and quit (`ircRounds`): the IRC parser, encoder and
 * peer get compiled too, and the shapes a server with both kinds of peer has. With `ports.ws` (a
 * browser port) WebSocket users then do the same in rooms of their own (`wsRounds`), through
 * `ws`'s upgrade and frame parser, the JSON encoder and the WebSocket peer.
 *
 * Best effort and bounded: it stops after `timeoutMs` whatever happened, and never throws.
 */
export async function warmUp(transport: Partial<TcpOptions> = {}, options: Partial<WarmUpOptions> = {}, ports: WarmUpPorts = {}): Promise<WarmUpResult> {
  const opts = { ...WARM_UP_DEFAULTS, ...options };
  const started = performance.now();
  const deadline = started + opts.timeoutMs;
  const hub = new Hub({ log: noLog });
  const real = { ...TCP_DEFAULTS, ...transport };
  const listening = await listenTcp(hub, {
    ...real,
    host: '127.0.0.1',
    port: 0,
    tls: undefined,
    rateLimit: real.rateLimit === undefined ? undefined : UNLIMITED,
    onPeerError: () => {},
    onAcceptError: () => {},
  }).catch(() => undefined);
  if (listening === undefined) return { deliveries: 0, ms: 0 };
  // The IRC port, when the server has one: the TCP transport's limits that change shapes, in
  // IRC's terms (IRC keeps its own line bound).
  const { rateLimit, keepAliveMs, registrationTimeoutMs, floodKickMs, maxPacedBytes, maxQueuedBytes } = real;
  const ircListening = ports.irc === true
    ? await listenIrc(hub, {
        host: '127.0.0.1',
        port: 0,
        rateLimit: rateLimit === undefined ? undefined : UNLIMITED,
        keepAliveMs,
        registrationTimeoutMs,
        floodKickMs,
        maxPacedBytes,
        maxQueuedBytes,
        onPeerError: () => {},
        onAcceptError: () => {},
      }).catch(() => undefined)
    : undefined;
  const wsListening = ports.ws === true
    ? await listenWs(hub, {
        host: '127.0.0.1',
        port: 0,
        maxLineBytes: real.maxLineBytes,
        rateLimit: rateLimit === undefined ? undefined : UNLIMITED,
        registrationTimeoutMs,
        floodKickMs,
        maxPacedBytes,
        maxQueuedBytes,
        onPeerError: () => {},
        onAcceptError: () => {},
      }).catch(() => undefined)
    : undefined;
  let deliveries = 0;
  try {
    for (const [round, clients] of opts.rounds.entries()) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      deliveries += await room(LINE, listening.address.port, `calentando${round}x`, clients, opts.messagesPerClient, opts, left, round === 0);
    }
    if (ircListening !== undefined) {
      for (const [round, clients] of opts.ircRounds.entries()) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        deliveries += await room(IRC, ircListening.address.port, `calentandoirc${round}y`, clients, opts.ircMessagesPerClient, opts, left, round === 0);
      }
    }
    if (wsListening !== undefined) {
      for (const [round, clients] of opts.wsRounds.entries()) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        deliveries += await room(WS, wsListening.address.port, `calentandows${round}z`, clients, opts.wsMessagesPerClient, opts, left, round === 0);
      }
    }
    const again = opts.afterCollection;
    if (again.clients > 0) {
      const paths: [Dialect, number | undefined, string][] = [
        [LINE, listening.address.port, 'recalentando'],
        [IRC, ircListening?.address.port, 'recalentandoirc'],
        [WS, wsListening?.address.port, 'recalentandows'],
      ];
      // One user per path stays through the collection and the paced rooms (see `keeper`).
      const keepers = await Promise.all(paths.map(([dialect, port], i) => (port === undefined ? undefined : keeper(dialect, port, `guardia${i}`, Math.min(500, deadline - performance.now())))));
      collectGarbage();
      for (const [dialect, port, prefix] of paths) {
        const left = deadline - performance.now();
        if (port === undefined || left <= 0) continue;
        deliveries += await room(dialect, port, prefix, again.clients, again.messagesPerClient, opts, left, false, again.window);
      }
      await upTo(Promise.all(keepers.map((k) => k?.leave())), 1000);
    }
  } finally {
    hub.shutdown();
    const closing = [listening.stopAccepting(), listening.close(500)];
    if (ircListening !== undefined) closing.push(ircListening.stopAccepting(), ircListening.close(500));
    if (wsListening !== undefined) closing.push(wsListening.stopAccepting(), wsListening.close(500));
    await upTo(Promise.all(closing), 1000);
    // libuv releases the closed listener in the close phase, which follows this turn's
    // setImmediate callbacks: two of them let it go before we return.
    for (let i = 0; i < 2; i++) await new Promise(setImmediate);
  }
  return { deliveries, ms: Math.round(performance.now() - started) };
}

/**
 * One room: `clients` connect and name themselves (`prefix` and a number), all send once
 * everyone is in, and when every message has reached every other client (or `timeoutMs`
 * passed) they leave (with `hangUp`, every other one by closing its connection), and the
 * room is empty again (bounded) before it returns. Returns the deliveries seen.
 */
async function room(dialect: Dialect, port: number, prefix: string, clients: number, messages: number, opts: WarmUpOptions, timeoutMs: number, hangUp: boolean, window?: number): Promise<number> {
  const sockets: net.Socket[] = [];
  let deliveries = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  try {
    const expected = clients * (clients - 1) * messages;
    const payload = 'x'.repeat(48); // ends with PAYLOAD_END
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      let welcomed = 0;
      const starts: (() => void)[] = [];
      for (let c = 0; c < clients; c++) {
        const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
        sockets.push(socket);
        let sent = 0;
        let got = 0; // messages of the others this client has read
        const burst = (err?: Error | null): void => {
          if (err || socket.destroyed || stopped) return;
          let chunk = '';
          for (let i = 0; i < opts.linesPerWrite && sent < messages; i++) chunk += dialect.message(sent++, payload, prefix);
          if (chunk !== '') socket.write(chunk, 'latin1', burst); // the next burst once this one is taken
        };
        // Paced: a line per write, and the next once the others' lines have caught up to within
        // `window` messages each (every client sends alike, so this never waits forever).
        const paced =
          window === undefined
            ? undefined
            : (): void => {
                if (socket.destroyed || stopped) return;
                while (sent < messages && (sent - window) * (clients - 1) < got) socket.write(dialect.message(sent++, payload, prefix), 'latin1');
              };
        starts.push(paced ?? burst);
        socket.on('error', () => {});
        let registered = false;
        let seen = ''; // what the server said before the client was in (bounded: a few lines)
        // The previous chunk's last two bytes: a line (and its CR LF) may end across two chunks.
        let last = 0;
        let beforeLast = 0;
        socket.on('data', (data: Buffer) => {
          if (!registered) {
            if (seen.length < 16_384) seen += data.toString('latin1');
            if (!dialect.ready(seen)) return;
            // In the room: once everyone is, everyone talks (so every message has N-1 readers).
            registered = true;
            if (++welcomed === clients) for (const start of starts) start();
          }
          const { end: END, beforeEnd } = dialect;
          for (let i = data.indexOf(END); i !== -1; i = data.indexOf(END, i + 1)) {
            let end = i > 0 ? data[i - 1] : last;
            if (end === beforeEnd) end = i > 1 ? data[i - 2] : i === 1 ? last : beforeLast;
            if (end === PAYLOAD_END) {
              got++;
              deliveries++;
            }
          }
          beforeLast = data.length > 1 ? (data[data.length - 2] as number) : last;
          last = data[data.length - 1] ?? last;
          if (deliveries >= expected) resolve();
          if (paced !== undefined && welcomed === clients) paced();
        });
        socket.write(dialect.hello(`${prefix}${c}`, prefix), 'latin1');
      }
    });
  } finally {
    stopped = true;
    clearTimeout(timer);
    // Leave as the lab's users do, with /quitar (announced to the room), and wait for the room
    // to empty. The server closes first, so the TIME_WAITs stay on the warm-up's own port
    // instead of on dozens of ephemeral client ports another program might want to bind. With
    // `hangUp` (a path's first room, a few users) every other user just closes the connection
    // instead, as closing a terminal does: the server then writes out what was pending for it
    // (the others' farewells) before it lets go, a path of the peer's flush only that takes.
    // Those few (4 of the line protocol's 8) leave their TIME_WAITs on their own ports.
    for (const [c, socket] of sockets.entries()) {
      if (hangUp && c % 2 === 1) socket.end();
      else socket.write(dialect.bye, 'latin1');
    }
    await upTo(Promise.all(sockets.map(closed)), 1000);
    for (const socket of sockets) socket.destroy();
  }
  return deliveries;
}

/**
 * A user alone in a room of its own (named as it is), in until `leave()`. V8 keeps the hidden
 * classes of a class's objects (a peer's, its socket's, its session's) only while some object
 * has them: when the collection finds the rounds' users all gone, it drops them, and the next
 * users get new ones whose fields start over as constants. The paced rooms' code is then
 * compiled on that assumption, and thrown away ("code dependencies", `--trace-deopt`) when their
 * users leave and those fields change; the first real users paid for compiling it again (a
 * fresh server with IRC and browser ports on ran its first workload a at about three quarters
 * of the speed of its second). One user of each kind kept through the collection keeps the
 * classes the rounds settled, for the paced rooms and the real users after them. Undefined when
 * it could not get in within `timeoutMs`.
 */
async function keeper(dialect: Dialect, port: number, name: string, timeoutMs: number): Promise<{ leave(): Promise<void> } | undefined> {
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  socket.on('error', () => {});
  let seen = ''; // bounded: a few lines
  let timer: NodeJS.Timeout | undefined;
  const registered = await new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
    socket.on('data', (data: Buffer) => {
      if (seen.length < 16_384) seen += data.toString('latin1');
      if (dialect.ready(seen)) resolve(true);
    });
    socket.on('close', () => resolve(false));
    // A line user starts in the room everyone starts in: it moves on in the same write.
    socket.write(dialect.hello(name, name) + (dialect === LINE ? `/sala ${name}\n` : ''), 'latin1');
  });
  clearTimeout(timer);
  if (!registered) {
    socket.destroy();
    return undefined;
  }
  return {
    async leave() {
      socket.write(dialect.bye, 'latin1');
      await closed(socket);
    },
  };
}

/** Waits for `promise`, but no longer than `ms` (then carries on: the warm-up is best effort). */
async function upTo(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
