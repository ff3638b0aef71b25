/**
 * The browser transport: an HTTP(S) port (`--http-port`, 8080) that serves the page's files
 * (transport/http.ts) and takes WebSocket connections at `/ws`, speaking the JSON protocol of
 * src/protocol/ws-frames.ts (rendered by src/encode/json.ts). Browser users are hub peers like
 * any other: the same rooms, names, limits and commands (a `line` frame is a line as typed in
 * the terminal).
 *
 * - The `ws` library parses frames (`noServer`, `perMessageDeflate` off, `maxPayload` bounded by
 *   the message limit), and is handed only the upgrades that passed our checks: the path, the
 *   Origin (only this server's own, plus `--allow-origin`; none at all is a script and is let
 *   in), a shut-down hub, the per-address cap and a full server, all answered in plain HTTP
 *   before any WebSocket exists.
 * - Output does not go through `ws.send`: a broadcast is rendered once per language and framed
 *   once (an unmasked text frame: `textFrame`), and every receiver queues that same Buffer; the
 *   frames queued for one receiver in one event-loop turn are written together, in one write.
 *   Room notices (joins, leaves, renames) go through the notice window shared by every
 *   WebSocket peer (notice-window.ts): a join storm of N users is O(N) writes, not O(N^2).
 *   Control frames still go through `ws`: a close only with our queue flushed; a ping (one sweep
 *   over every peer each `pingIntervalMs`, not a timer per connection) whenever it is due.
 * - Same rules as a TCP user: past the rate's burst, frames wait (bounded) and the socket is
 *   not read (`ws.pause()`); held back past `floodKickMs` is a flood. Bytes queued for a
 *   receiver (ours and the socket's) are bounded by `maxQueuedBytes`: past it the user is
 *   dropped as slow. A registration timeout; pings every `pingIntervalMs`, and a user that has
 *   answered nothing from one ping to the next leaves as lost.
 * - Binary frames are closed with 1003, invalid UTF-8 with 1007 and an oversized frame with
 *   1009 (by `ws`); the room only hears that the user left.
 * - A `resume` token (WelcomeFrame) lets a page that reconnects take its name back from its own
 *   old connection before the server has noticed that one is dead.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { JsonEncoder, helloFrame } from '../encode/json.js';
import { type ChatEvent, type History, isNotice, refusal, type Welcome, WELCOME_LIST_MAX } from '../hub/events.js';
import { GENERAL_ROOM, type Hub, type Session } from '../hub/hub.js';
import type { Lang, LeaveReason } from '../hub/messages.js';
import { parseLang } from '../hub/messages.js';
import { foldName, normalizeName } from '../hub/names.js';
import type { Peer } from '../hub/peer.js';
import { DEFAULT_RATE_LIMIT, type RateLimit, TokenBucket } from '../hub/rate-limit.js';
import { Room } from '../hub/room.js';
import { WS_PATH, WS_PROTOCOL_VERSION } from '../protocol/ws-frames.js';
import { realTimers, type Timer, type Timers } from '../util/clock.js';
import { VERSION } from '../util/version.js';
import { type JoinedNotices, NoticeWindow, PendingNotices } from './notice-window.js';
import { DEFAULT_WEB_DIR, rawAnswer, requestPath, type SiteAnswers, serveRequest, StaticSite } from './http.js';
import { formatHostPort, normalizeAddress } from './stream-peer.js';
import { closeAll, TCP_DEFAULTS } from './tcp.js';
import type { Transport, TransportFactory, TransportStats } from './transport.js';

/** Limits and timings of the browser port. */
export interface WsOptions {
  host: string;
  port: number;
  /** Longest chat line, in UTF-8 bytes (the TCP port's `--max-line-bytes`). */
  maxLineBytes: number;
  /** Most bytes queued for one user (ours plus the socket's) before they are dropped as slow. */
  maxQueuedBytes: number;
  /** A connection that takes no name within this many ms is closed; 0 = never. */
  registrationTimeoutMs: number;
  /** A ping this often; a user silent (no pong, no frame) for as long again is dropped as lost. 0 = never. */
  pingIntervalMs: number;
  /** Messages per user, as on TCP: past the burst the socket is not read. `undefined` = no limit. */
  rateLimit: RateLimit | undefined;
  /** Held back by the rate this long without a break: disconnected as a flood. */
  floodKickMs: number;
  /** Most input held back by the rate per connection (as on TCP; counted as frame bytes). */
  maxPacedBytes: number;
  /** TLS certificate and key: the port speaks HTTPS and WSS. */
  tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  /** Origins let in besides the server's own (`--allow-origin`), as `http://host:port`. */
  allowOrigins: readonly string[];
  /** Where the page's files are (default dist/web/). */
  webDir: string;
  /** A request's headers must arrive within this many ms (slowloris). */
  headersTimeoutMs: number;
  /** A whole request within this many ms. */
  requestTimeoutMs: number;
  /** Largest request head, in bytes. */
  maxHeaderBytes: number;
  /** Most header lines in a request. */
  maxHeaders: number;
  timers: Timers;
  onPeerError: (peer: Peer, error: unknown) => void;
  onAcceptError: (error: Error) => void;
  /**
   * Looks at each plain HTTP request first (the operators' `/metrics` and `/api/status`,
   * src/transport/status.ts): true when it answered it, and the page's files are not looked at.
   */
  routes: ((req: http.IncomingMessage, res: http.ServerResponse) => boolean) | undefined;
}

export const WS_DEFAULTS: WsOptions = {
  host: '0.0.0.0',
  port: 8080,
  maxLineBytes: TCP_DEFAULTS.maxLineBytes,
  maxQueuedBytes: TCP_DEFAULTS.maxQueuedBytes,
  registrationTimeoutMs: TCP_DEFAULTS.registrationTimeoutMs,
  // A closed laptop's tab leaves within 2 x 25 s.
  pingIntervalMs: 25_000,
  rateLimit: DEFAULT_RATE_LIMIT,
  floodKickMs: TCP_DEFAULTS.floodKickMs,
  maxPacedBytes: TCP_DEFAULTS.maxPacedBytes,
  tls: undefined,
  allowOrigins: [],
  webDir: DEFAULT_WEB_DIR,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 20_000,
  maxHeaderBytes: 8 * 1024,
  maxHeaders: 64,
  timers: realTimers,
  onPeerError: () => {},
  onAcceptError: () => {},
  routes: undefined,
};

/** Room messages replayed to a browser entering a room (unless `--replay-on-join` says how many). */
export const WS_REPLAY_MESSAGES = 50;

/** A resume token outlives its connection by this long. */
export const RESUME_TTL_MS = 10 * 60_000;

/** Wrong passwords a connection may send before it is closed. */
const PASSWORD_TRIES = 3;

/** What a frame may take besides its text: the JSON around it, a name, a password. */
const JSON_OVERHEAD_BYTES = 1024;

/** WebSocket close codes (RFC 6455 7.4.1). */
const CLOSE_NORMAL = 1000;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_UNSUPPORTED = 1003;
const CLOSE_POLICY = 1008;
const CLOSE_ERROR = 1011;

/** What the WebSocket transport counts. */
export interface WsStats extends TransportStats {
  /** Upgrades refused before they became WebSockets (origin, caps, path). */
  refusedUpgrades: number;
  /** Resume tokens held (live sessions and recently closed ones). */
  resumeTokens: number;
}

/** A listening browser port. */
export interface WsTransport extends Transport {
  readonly kind: 'http';
  readonly server: http.Server | https.Server;
  readonly secure: boolean;
  readonly peers: ReadonlySet<WsPeer>;
  readonly site: StaticSite;
  readonly stats: WsStats;
  /** Resolves once the room notices pending now, if any, have been written (see notice-window.ts). */
  noticesFlushed(): Promise<void>;
}

/** How a server starts its browser port (`--http-port`). */
export const wsFactory: TransportFactory<WsOptions> = {
  kind: 'http',
  label: 'HTTP',
  portFlag: '--http-port',
  listen: (hub, setup, options) =>
    listenWs(hub, { host: setup.host, port: setup.port, timers: setup.timers, ...options, ...(setup.bench ? { rateLimit: undefined } : {}) }),
};

/** One resume token's session. */
interface ResumeEntry {
  peer: WsPeer;
  /** The name it was issued for (kept up to date through renames while the peer lives). */
  key: string;
  expiry: Timer | undefined;
}

/** What every connection of one transport shares. */
class WsContext {
  readonly hub: Hub;
  readonly opts: WsOptions;
  readonly encoder = new JsonEncoder();
  readonly peers = new Set<WsPeer>();
  readonly tokens = new Map<string, ResumeEntry>();
  readonly hello: Record<Lang, Buffer>;
  refusedUpgrades = 0;
  /** Room notices of every peer, as frames keyed by the frame Buffer (see notice-window.ts). */
  readonly notices = new NoticeWindow<Buffer>(frameBytes, () => this.peers.size);
  /** The heartbeat: one sweep over every peer each `pingIntervalMs`, not a timer per connection. */
  heartbeat: Timer | undefined;
  // The last two JSON texts framed, and their frames: a broadcast's receivers share one Buffer per
  // language (one for all when the text is the same in both), however the languages alternate.
  #aJson = '';
  #aFrame: Buffer = Buffer.alloc(0);
  #bJson = '';
  #bFrame: Buffer = Buffer.alloc(0);
  /** The slot the next new text replaces (the older one). */
  #nextIsA = true;
  /** Frames are written one after another here, so a receiver's run of frames is one slice. */
  #arena = Buffer.allocUnsafeSlow(FRAME_ARENA_BYTES);
  #arenaUsed = 0;

  constructor(hub: Hub, opts: WsOptions) {
    this.hub = hub;
    this.opts = opts;
    const base = {
      server: `charla ${VERSION}`,
      password: hub.options.password !== undefined,
      maxMessageBytes: opts.maxLineBytes,
      maxNameLength: hub.options.maxNameLength,
      defaultRoom: GENERAL_ROOM,
    };
    this.hello = { es: textFrame(helloFrame({ ...base, lang: 'es' })), en: textFrame(helloFrame({ ...base, lang: 'en' })) };
  }

  startHeartbeat(): void {
    const { timers, pingIntervalMs } = this.opts;
    if (pingIntervalMs > 0) this.heartbeat = timers.set(pingIntervalMs, onHeartbeat, this).unref();
  }

  /** Pings every peer; a peer that answered nothing since the last sweep leaves as lost. */
  sweep(): void {
    for (const peer of this.peers) peer.ping();
  }

  /** The frame of `json`: the same Buffer for every receiver handed the same text. */
  frameOf(json: string): Buffer {
    if (json === this.#aJson) return this.#aFrame;
    if (json === this.#bJson) return this.#bFrame;
    const frame = this.#arenaFrame(json);
    if (this.#nextIsA) {
      this.#aJson = json;
      this.#aFrame = frame;
    } else {
      this.#bJson = json;
      this.#bFrame = frame;
    }
    this.#nextIsA = !this.#nextIsA;
    return frame;
  }

  /**
   * `textFrame(json)`, written at the end of the frame arena: consecutive frames are consecutive
   * bytes, which lets a receiver's run of them be written as one slice (WsPeer.send). Bytes once
   * written are never overwritten: a full arena is left to the sockets still writing from it.
   */
  #arenaFrame(json: string): Buffer {
    const length = Buffer.byteLength(json, 'utf8');
    const total = frameHeaderBytes(length) + length;
    if (total > FRAME_ARENA_BYTES / 4) return textFrame(json);
    if (total > FRAME_ARENA_BYTES - this.#arenaUsed) {
      this.#arena = Buffer.allocUnsafeSlow(FRAME_ARENA_BYTES);
      this.#arenaUsed = 0;
    }
    const arena = this.#arena;
    const start = this.#arenaUsed;
    arena.write(json, writeFrameHeader(arena, start, length), length, 'utf8');
    this.#arenaUsed = start + total;
    return arena.subarray(start, start + total);
  }
}

/** Starts the browser port for `hub` and resolves once it is listening. */
export async function listenWs(hub: Hub, options: Partial<WsOptions> = {}): Promise<WsTransport> {
  const opts: WsOptions = { ...WS_DEFAULTS, ...options };
  const ctx = new WsContext(hub, opts);
  const site = StaticSite.load(opts.webDir);
  const t = hub.t;
  const answers: SiteAnswers = {
    notBuilt: t('http_no_page', { path: WS_PATH }),
    notFound: t('http_not_found'),
    methodNotAllowed: t('http_method_not_allowed'),
    upgradeRequired: 'WebSocket only (Upgrade: websocket)',
    wsPath: WS_PATH,
  };
  const serverOptions: http.ServerOptions = {
    maxHeaderSize: opts.maxHeaderBytes,
    headersTimeout: opts.headersTimeoutMs,
    requestTimeout: opts.requestTimeoutMs,
    // How often Node looks for requests past those timeouts.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(opts.headersTimeoutMs / 4))),
    keepAliveTimeout: 5000,
    noDelay: true,
  };
  const routes = opts.routes;
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (routes === undefined || !routes(req, res)) serveRequest(site, answers, req, res);
  };
  const server = opts.tls === undefined ? http.createServer(serverOptions, onRequest) : https.createServer({ ...serverOptions, cert: opts.tls.cert, key: opts.tls.key }, onRequest);
  server.maxHeadersCount = opts.maxHeaders;
  server.maxRequestsPerSocket = 100;
  const secure = opts.tls !== undefined;
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: 2 * opts.maxLineBytes + JSON_OVERHEAD_BYTES, // JSON escapes may double a text
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    try {
      onUpgrade(ctx, wss, secure, req, socket, head);
    } catch (err) {
      opts.onAcceptError(err as Error);
      socket.destroy();
    }
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Garbage, a head too large, headers too slow: a short answer when one can still be written.
    const code = err.code;
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (code === 'HPE_HEADER_OVERFLOW') rawAnswer(socket, 431, 'Request Header Fields Too Large', 'Request header fields too large');
    else if (code === 'ERR_HTTP_REQUEST_TIMEOUT') rawAnswer(socket, 408, 'Request Timeout', 'Request timeout');
    else rawAnswer(socket, 400, 'Bad Request', 'Bad request');
  });
  if (secure) server.on('tlsClientError', (_err: Error, socket: Socket) => socket.destroy());
  server.listen({ host: opts.host, port: opts.port });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
  server.on('error', (err) => opts.onAcceptError(err));
  ctx.startHeartbeat();
  const address = server.address() as AddressInfo;
  return {
    kind: 'http',
    server,
    address,
    secure,
    peers: ctx.peers,
    site,
    noticesFlushed: () => ctx.notices.flushed(),
    get stats(): WsStats {
      return { peers: ctx.peers.size, refusedUpgrades: ctx.refusedUpgrades, resumeTokens: ctx.tokens.size };
    },
    stopAccepting: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
    close: async (graceMs) => {
      ctx.notices.flush(); // leave notices of the last moments are written before the goodbye
      opts.timers.clear(ctx.heartbeat);
      ctx.heartbeat = undefined;
      for (const token of ctx.tokens.values()) opts.timers.clear(token.expiry);
      ctx.tokens.clear();
      server.closeAllConnections(); // HTTP requests; upgraded sockets are the peers'
      await closeAll([...ctx.peers].map((p) => p.socket), graceMs);
    },
  };
}

/** The checks an upgrade passes before `ws` sees it; a refusal is plain HTTP, then the socket is closed. */
function onUpgrade(ctx: WsContext, wss: WebSocketServer, secure: boolean, req: http.IncomingMessage, socket: Socket, head: Buffer): void {
  const { hub, opts } = ctx;
  const refuse = (status: number, reason: string, text: string): void => {
    ctx.refusedUpgrades++;
    rawAnswer(socket, status, reason, text);
  };
  if (requestPath(req.url) !== WS_PATH) {
    refuse(404, 'Not Found', hub.t('http_not_found'));
    return;
  }
  if (!originAllowed(req.headers.origin, req.headers.host, secure, opts.allowOrigins)) {
    refuse(403, 'Forbidden', 'Origin not allowed (charla server --allow-origin)');
    return;
  }
  const address = normalizeAddress(socket.remoteAddress ?? '?');
  const { maxConnectionsPerAddress: maxPer, maxUsers, isExemptAddress } = hub.options;
  if (socket.remoteAddress === undefined) {
    socket.destroy(); // reset before we saw it
    return;
  }
  if (maxPer > 0 && hub.connectionsFrom(address) >= maxPer && !isExemptAddress(address)) {
    refuse(429, 'Too Many Requests', hub.t('too_many_connections', { max: maxPer }));
    return;
  }
  if (maxUsers > 0 && hub.userCount >= maxUsers) {
    refuse(503, 'Service Unavailable', hub.t('server_full', { max: maxUsers }));
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const lang = hub.options.lang;
    const peer = new WsPeer(ctx, ws, socket, address, lang);
    peer.start();
  });
}

/**
 * True when a page of `origin` may open a WebSocket here: no Origin (not a browser: a script,
 * websocat), this server's own origin (the Host it was asked by, same scheme), or one allowed.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, secure: boolean, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  const normalized = normalizeOrigin(origin);
  if (normalized === undefined) return false;
  if (host !== undefined && normalized === normalizeOrigin(`${secure ? 'https' : 'http'}://${host}`)) return true;
  return allowed.some((a) => normalizeOrigin(a) === normalized);
}

/** `scheme://host[:port]`, lower case, default ports dropped; undefined for anything else (`null`). */
export function normalizeOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/** An unmasked, final text frame carrying `json` (RFC 6455 5.2): header and payload in one Buffer. */
export function textFrame(json: string): Buffer {
  const length = Buffer.byteLength(json, 'utf8');
  const frame = Buffer.allocUnsafe(frameHeaderBytes(length) + length);
  frame.write(json, writeFrameHeader(frame, 0, length), 'utf8');
  return frame;
}

function frameHeaderBytes(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

/** Writes a final text frame's header for a `length`-byte payload at `at`; returns where the payload goes. */
function writeFrameHeader(buf: Buffer, at: number, length: number): number {
  buf[at] = 0x81;
  if (length < 126) {
    buf[at + 1] = length;
    return at + 2;
  }
  if (length < 65536) {
    buf[at + 1] = 126;
    buf.writeUInt16BE(length, at + 2);
    return at + 4;
  }
  buf[at + 1] = 127;
  buf.writeUInt32BE(Math.floor(length / 2 ** 32), at + 2);
  buf.writeUInt32BE(length >>> 0, at + 6);
  return at + 10;
}

/** Size of one frame arena (see WsContext.frameOf); frames over a quarter of it get a buffer of their own. */
const FRAME_ARENA_BYTES = 64 * 1024;

/** How far past its bound one turn's batch may go for a peer whose socket keeps up (as StreamPeer). */
const BURST_FACTOR = 8;
/** Below this, a turn's frames for one peer are copied into one buffer; above, written as a writev. */
const COPY_BELOW_BYTES = 16 * 1024;
/** A closed peer's socket is destroyed if its close handshake has not finished by then. */
const END_GRACE_MS = 5000;
/** Input held back past `maxPacedBytes` by more than a socket chunk or so is a flood, at once. */
const PACED_SLACK_BYTES = 128 * 1024;
const PACED_FRAME_OVERHEAD = 32;
const SLOWED_WARNING_INTERVAL_MS = 30_000;

/** One browser (or script) connection: a hub peer, its input pacing, its timers. */
export class WsPeer implements Peer {
  readonly transport = 'ws' as const;
  readonly address: string;
  readonly ws: WebSocket;
  readonly socket: Socket;
  readonly maxLineBytes: number;
  /** The language of this user's frames: the server's, until their join says otherwise. */
  lang: Lang;
  closeReason: LeaveReason | undefined;
  readonly #ctx: WsContext;
  readonly #remotePort: number;
  /** Closed pieces of output, in order; then the open piece, `#openBuf[#openStart, #openEnd)`, extended while frames come in a row. */
  #pending: Buffer[] = [];
  #openBuf: ArrayBufferLike | undefined;
  #openStart = 0;
  #openEnd = 0;
  /** The open piece's first frame (written as it is when the piece is that frame alone). */
  #openFirst: Buffer | undefined;
  #pendingBytes = 0;
  #dirty = false;
  #closed = false;
  /** A join is being taken: its own `joined` notice (joinRoom tells the joiner too) is not shown. */
  #joining = false;
  /** A join's name is being claimed (in a cluster, until Redis answers). */
  #claiming = false;
  #resume: string | undefined;
  #passwordFailures = 0;
  readonly #bucket: TokenBucket | undefined;
  #backlog: Buffer[] | undefined;
  #backlogBytes = 0;
  #throttledSince = 0;
  /** When the user was last told they are being slowed (never: undefined; -Infinity would box a number per peer). */
  #warnedAt: number | undefined = undefined;
  #paceTimer: Timer | undefined;
  #registrationTimer: Timer | undefined;
  /** The room notices this peer was sent and has not written yet (see notice-window.ts). */
  #notices: PendingNotices | undefined = undefined; // made for a window, dropped once written
  /** Nothing has come from the client since the last ping. */
  #silent = false;

  constructor(ctx: WsContext, ws: WebSocket, socket: Socket, address: string, lang: Lang) {
    this.#ctx = ctx;
    this.ws = ws;
    this.socket = socket;
    this.address = address;
    this.#remotePort = socket.remotePort ?? 0;
    this.lang = lang;
    this.maxLineBytes = ctx.opts.maxLineBytes;
    const { rateLimit, timers } = ctx.opts;
    this.#bucket = rateLimit === undefined ? undefined : new TokenBucket(rateLimit.ratePerSec, rateLimit.burst, timers.now);
  }

  /** "ws 127.0.0.1:53122". */
  get id(): string {
    return `ws ${formatHostPort(this.address, this.#remotePort)}`;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes waiting for this peer: our queue and the socket's buffer. */
  get queuedBytes(): number {
    return this.#pendingBytes + (this.#notices?.bytes ?? 0) + this.socket.writableLength;
  }

  start(): void {
    const { hub, opts, peers } = this.#ctx;
    const { ws } = this;
    (ws as KeyedSocket)[kPeer] = this;
    ws.on('message', wsOnMessage);
    ws.on('pong', wsOnPong);
    ws.on('error', wsOnError);
    ws.on('close', wsOnClose);
    peers.add(this);
    if (hub.logging) hub.options.log(hub.t('log_connected', { peer: this.id }));
    this.socket.write(this.#ctx.hello[this.lang]);
    if (!hub.connect(this)) return;
    const { timers, registrationTimeoutMs } = opts;
    if (registrationTimeoutMs > 0) this.#registrationTimer = timers.set(registrationTimeoutMs, onRegistrationTimeout, this);
  }

  // --- output ---

  deliver(event: ChatEvent): void {
    if (this.#closed) return;
    const { encoder } = this.#ctx;
    if (event.kind === 'message') {
      this.send(this.#ctx.frameOf(encoder.frame(event, this.lang))); // the hot path
      return;
    }
    if (event.kind === 'welcome') {
      this.#welcome(event);
      return;
    }
    if (event.kind === 'joined' && this.#joining) return;
    if (event.kind === 'renamed' && event.echo) this.#renamed(event.name);
    const frame = this.#ctx.frameOf(encoder.frame(event, this.lang));
    if (isNotice(event)) this.#sendNotice(frame);
    else this.send(frame);
  }

  /**
   * A room notice goes to the notice window shared by every WebSocket peer: written with the
   * window (up to lazyFlushMs later, one write for all of it) or with this peer's next frame.
   */
  #sendNotice(frame: Buffer): void {
    const seq = this.#ctx.notices.seq(frame, this.#notices?.last ?? -1);
    const size = this.#ctx.notices.sizeOf(seq);
    if (this.#overBound(size)) {
      this.close('slow');
      return;
    }
    this.#ctx.notices.note((this.#notices ??= new PendingNotices()), this, seq, size);
  }

  /** Would `bytes` more take this peer past its bound? (a burst to a peer keeping up may, as StreamPeer) */
  #overBound(bytes: number): boolean {
    const pending = this.#pendingBytes + (this.#notices?.bytes ?? 0) + bytes;
    const unsent = this.socket.writableLength;
    const bound = this.#ctx.opts.maxQueuedBytes;
    return pending + unsent > bound && (unsent > 0 || pending > bound * BURST_FACTOR);
  }

  #welcome(event: Welcome): void {
    const { hub, encoder } = this.#ctx;
    let token: string | undefined;
    if (this.#resume === undefined) {
      token = randomBytes(24).toString('base64url');
      this.#resume = token;
      this.#ctx.tokens.set(token, { peer: this, key: foldName(event.name), expiry: undefined });
    }
    this.send(textFrame(encoder.welcome(event, this.lang, token)));
    // A move (/sala): the page shows the room's recent past, as on a join (unless the hub replays it already).
    if (event.moved && hub.options.replayOnJoin === 0) {
      const room = hub.room(event.room);
      if (room !== undefined) this.deliver(recent(room));
    }
  }

  #renamed(name: string): void {
    const entry = this.#resume === undefined ? undefined : this.#ctx.tokens.get(this.#resume);
    if (entry !== undefined) entry.key = foldName(name);
  }

  /** Queues one frame; the turn's frames are written together. Past the byte bound: dropped as slow. */
  send(frame: Buffer): void {
    if (this.#closed) return;
    const bytes = frame.length;
    if (this.#overBound(bytes)) {
      this.close('slow');
      return;
    }
    if (this.#notices !== undefined) this.#takeNotices(); // notices go first
    const offset = frame.byteOffset;
    if (offset === this.#openEnd && frame.buffer === this.#openBuf) {
      this.#openEnd = offset + bytes; // the next frame of the same run: most sends end here
    } else {
      this.#closePiece();
      this.#openBuf = frame.buffer;
      this.#openStart = offset;
      this.#openEnd = offset + bytes;
      this.#openFirst = frame;
    }
    this.#pendingBytes += bytes;
    if (this.#dirty) return;
    this.#dirty = true;
    dirty.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushDirty);
    }
  }

  #closePiece(): void {
    const buf = this.#openBuf;
    if (buf === undefined) return;
    const first = this.#openFirst as Buffer;
    const length = this.#openEnd - this.#openStart;
    this.#pending.push(length === first.length ? first : Buffer.from(buf, this.#openStart, length));
    this.#openBuf = undefined;
    this.#openFirst = undefined;
  }

  #takeNotices(): void {
    this.#closePiece();
    this.#pendingBytes += this.#ctx.notices.take(this.#notices as PendingNotices, this.#pending);
    this.#notices = undefined;
  }

  #dropQueue(): void {
    this.#pending.length = 0;
    this.#pendingBytes = 0;
    this.#openBuf = undefined;
    this.#openFirst = undefined;
    this.#notices = undefined;
  }

  /**
   * Writes what is queued in one write: a run of frames is one slice of the frame arena; several
   * pieces are copied into one buffer, or written as one writev for large batches. A socket that
   * has not taken everything written before gets copies: a slice waiting in its buffer would keep
   * its whole arena alive.
   */
  flush(): void {
    this.#dirty = false;
    if (this.#notices !== undefined) this.#takeNotices();
    this.#closePiece();
    const pending = this.#pending;
    const bytes = this.#pendingBytes;
    if (pending.length === 0) return;
    this.#pendingBytes = 0;
    const { socket } = this;
    if (socket.destroyed || this.ws.readyState !== 1) {
      pending.length = 0;
      return;
    }
    const backedUp = socket.writableLength > 0;
    if (pending.length === 1) {
      const piece = pending[0] as Buffer;
      socket.write(backedUp && piece.buffer.byteLength > piece.length ? Buffer.from(piece) : piece);
    } else if (bytes <= COPY_BELOW_BYTES || backedUp) socket.write(Buffer.concat(pending, bytes));
    else {
      socket.cork();
      for (const frame of pending) socket.write(frame);
      socket.uncork();
    }
    pending.length = 0;
  }

  /**
   * The notice window is being written: this peer writes the runs of it that it was sent (all of
   * it, usually, or all but its own join) as slices of one buffer shared by every peer.
   */
  flushNotices(window: () => JoinedNotices): void {
    const notices = this.#notices;
    if (notices === undefined || this.#closed) return;
    if (this.#pendingBytes > 0) {
      this.flush(); // frames are queued behind the notices: all go together, in order
      return;
    }
    const { socket } = this;
    this.#notices = undefined;
    if (socket.destroyed || this.ws.readyState !== 1) return;
    const joined = window();
    const runs = this.#ctx.notices.runs(notices, joined);
    // A socket that is backed up gets a copy: a slice waiting in its buffer would keep the whole window alive.
    const backedUp = socket.writableLength > 0;
    if (runs.length === 1) {
      const run = runs[0] as Buffer;
      socket.write(backedUp && run.length < joined.data.length ? Buffer.from(run) : run);
    } else if (backedUp) socket.write(Buffer.concat(runs));
    else {
      socket.cork();
      for (const run of runs) socket.write(run);
      socket.uncork();
    }
  }

  /** Ends the connection for `reason` (with a WebSocket close `code` other than the reason's own). */
  close(reason: LeaveReason, code = closeCode(reason)): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closeReason ??= reason;
    this.#stopTimers();
    const { ws } = this;
    if (reason === 'slow' || reason === 'connection_lost') {
      this.#dropQueue();
      ws.terminate();
      return;
    }
    this.flush();
    if (ws.isPaused) ws.resume(); // the close handshake must be read
    ws.close(code);
    const timer = setTimeout(() => ws.terminate(), END_GRACE_MS);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  #stopTimers(): void {
    const { timers } = this.#ctx.opts;
    timers.clear(this.#paceTimer);
    timers.clear(this.#registrationTimer);
    this.#paceTimer = undefined;
    this.#registrationTimer = undefined;
  }

  /** The socket is gone: the hub hears of it, once. */
  onClose(code: number): void {
    const { hub, peers, tokens, opts } = this.#ctx;
    this.#closed = true;
    this.#stopTimers();
    this.#dropQueue();
    this.#backlog = undefined;
    peers.delete(this);
    const token = this.#resume;
    const entry = token === undefined ? undefined : tokens.get(token);
    if (token !== undefined && entry !== undefined && entry.peer === this) {
      entry.expiry = opts.timers.set(RESUME_TTL_MS, forgetToken, { tokens, token }).unref();
    }
    // Ours when the server ended it (or `ws` did, for a protocol error); else the client's close
    // code says whether it said goodbye (1000, 1001: a tab closed) or vanished (1006).
    const reason = this.closeReason ?? (code === CLOSE_NORMAL || code === CLOSE_GOING_AWAY ? 'disconnected' : 'connection_lost');
    hub.leave(this, reason);
  }

  fail(err: unknown): void {
    this.#ctx.opts.onPeerError(this, err);
    this.closeReason = 'error';
    this.close('error');
  }

  // --- input ---

  onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    this.#heard();
    if (isBinary) {
      this.close('kicked', CLOSE_UNSUPPORTED);
      return;
    }
    const bucket = this.#bucket;
    if (this.#backlog === undefined && (bucket === undefined || bucket.take())) {
      this.#take(data);
      return;
    }
    (this.#backlog ??= []).push(data);
    this.#backlogBytes += data.length + PACED_FRAME_OVERHEAD;
    if (this.#backlogBytes > this.#ctx.opts.maxPacedBytes) {
      this.ws.pause();
      if (this.#backlogBytes > this.#ctx.opts.maxPacedBytes + PACED_SLACK_BYTES) {
        this.deliver(refusal('flood_kicked'));
        this.close('flood');
        return;
      }
    }
    if (this.#paceTimer === undefined) this.pace();
  }

  /** The client answered (a frame or a pong): it is alive. */
  #heard(): void {
    this.#silent = false;
  }

  onPong(): void {
    this.#heard();
  }

  /** The heartbeat's sweep: a ping, or, when nothing came since the last one, the end of a lost connection. */
  ping(): void {
    if (this.#closed) return;
    if (this.#silent) {
      this.closeReason = 'connection_lost';
      this.close('connection_lost');
      return;
    }
    this.#silent = true;
    this.ws.ping(); // may go ahead of frames queued this turn: a ping is not part of the stream of events
  }

  registrationTimedOut(): void {
    this.#registrationTimer = undefined;
    if (this.#closed || this.#ctx.hub.session(this)?.name !== undefined) return;
    this.deliver(refusal('registration_timeout', { seconds: Math.round(this.#ctx.opts.registrationTimeoutMs / 1000) }));
    this.close('timeout');
  }

  /** Takes what the rate allows from the backlog; the rest waits with reading paused; a flood is kicked. */
  pace(): void {
    this.#paceTimer = undefined;
    const bucket = this.#bucket;
    const backlog = this.#backlog;
    if (backlog === undefined) return;
    const { opts } = this.#ctx;
    while (backlog.length > 0 && !this.#closed && (bucket === undefined || bucket.take())) {
      const data = backlog.shift() as Buffer;
      this.#backlogBytes -= data.length + PACED_FRAME_OVERHEAD;
      this.#take(data);
    }
    if (this.#closed) return;
    if (backlog.length === 0) {
      this.#backlog = undefined;
      this.#backlogBytes = 0;
      this.#throttledSince = 0;
      if (this.ws.isPaused) this.ws.resume();
      return;
    }
    const now = opts.timers.now();
    if (this.#throttledSince === 0) {
      this.#throttledSince = now;
      this.ws.pause();
      if (this.#warnedAt === undefined || now - this.#warnedAt >= SLOWED_WARNING_INTERVAL_MS) {
        this.#warnedAt = now;
        this.deliver(refusal('rate_slowed'));
      }
    } else if (now - this.#throttledSince > opts.floodKickMs) {
      this.deliver(refusal('flood_kicked'));
      this.close('flood');
      return;
    }
    const untilToken = bucket?.msUntilToken() ?? 1;
    const untilKick = this.#throttledSince + opts.floodKickMs - now + 1;
    this.#paceTimer = opts.timers.set(Math.max(1, Math.min(untilToken, untilKick)), onPaceTimer, this);
  }

  /** One frame, past the rate limit. */
  #take(data: Buffer): void {
    const frame = parseClientFrame(data);
    const { hub } = this.#ctx;
    const session = hub.session(this);
    if (session === undefined) return;
    if (frame === undefined) {
      this.deliver(refusal('ws_bad_frame'));
      return;
    }
    if (frame.type === 'join') {
      if (session.name !== undefined || this.#claiming) this.deliver(refusal('ws_already_joined'));
      else this.#join(session, frame);
      return;
    }
    if (session.name === undefined) {
      this.deliver(refusal('ws_join_first'));
      return;
    }
    if (Buffer.byteLength(frame.text, 'utf8') > this.maxLineBytes) {
      this.deliver(refusal('line_too_long', { max: this.maxLineBytes }));
      return;
    }
    if (frame.text.includes('\n')) {
      // One frame is one line as typed; a pasted block is its lines, in order.
      for (const line of frame.text.split('\n')) if (!this.#closed) hub.input(this, line);
      return;
    }
    hub.input(this, frame.text);
  }

  #join(session: Session, frame: JoinRequest): void {
    const { hub, opts, tokens } = this.#ctx;
    if (frame.v !== WS_PROTOCOL_VERSION) {
      this.deliver(refusal('ws_version', { v: WS_PROTOCOL_VERSION, asked: String(frame.v) }));
      return;
    }
    if (frame.lang !== undefined) this.lang = frame.lang;
    if (!session.authenticated) {
      if (frame.password === undefined) {
        this.deliver(refusal('password_required'));
        return;
      }
      if (!hub.authenticate(session, frame.password)) {
        this.deliver(refusal('password_wrong'));
        if (++this.#passwordFailures >= PASSWORD_TRIES) this.close('kicked');
        return;
      }
    }
    // A page back after a drop: its old connection, not yet noticed dead, gives the name back.
    if (frame.resume !== undefined) {
      const entry = tokens.get(frame.resume);
      if (entry !== undefined && entry.key === foldName(normalizeName(frame.name))) {
        tokens.delete(frame.resume);
        opts.timers.clear(entry.expiry);
        const old = entry.peer;
        if (!old.closed && hub.session(old)?.name !== undefined) {
          hub.leave(old, 'resumed');
          old.close('resumed');
        }
      }
    }
    // In a cluster the name is claimed cluster-wide first: the answer may come a moment later.
    this.#claiming = true;
    hub.requestName(session, frame.name, (refused) => {
      this.#claiming = false;
      if (this.#closed) return;
      if (refused !== undefined) {
        this.deliver(refused);
        if (refused.key === 'server_full') this.close('kicked');
        return;
      }
      this.#named(session, frame);
    });
  }

  /** The name was taken: into the room asked for (or general), welcomed, with its past. */
  #named(session: Session, frame: JoinRequest): void {
    const { hub, opts } = this.#ctx;
    opts.timers.clear(this.#registrationTimer);
    this.#registrationTimer = undefined;
    this.#joining = true;
    let joined: Room | ReturnType<typeof refusal> = hub.joinRoom(session, frame.room ?? GENERAL_ROOM);
    if (!(joined instanceof Room)) {
      this.#joining = false;
      this.deliver(joined);
      this.#joining = true;
      joined = hub.joinRoom(session, GENERAL_ROOM) as Room;
    }
    this.#joining = false;
    const room = joined;
    const name = session.name as string;
    const count = room.size;
    this.deliver({ kind: 'welcome', name, room: room.name, count, users: count <= WELCOME_LIST_MAX ? room.names() : [], moved: false });
    if (frame.since !== undefined) {
      this.deliver({ kind: 'history', room: room.name, entries: room.log.since(frame.since), gap: !room.log.hasAllSince(frame.since) });
    } else {
      this.deliver(recent(room, hub.options.replayOnJoin));
    }
  }
}

/** The room's recent past, for a browser entering it. */
function recent(room: Room, count = 0): History {
  return { kind: 'history', room: room.name, entries: room.log.last(count > 0 ? count : WS_REPLAY_MESSAGES) };
}

function closeCode(reason: LeaveReason): number {
  switch (reason) {
    case 'quit':
    case 'disconnected':
      return CLOSE_NORMAL;
    case 'server_shutdown':
      return CLOSE_GOING_AWAY;
    case 'error':
      return CLOSE_ERROR;
    default:
      return CLOSE_POLICY;
  }
}

/** A client frame as the transport takes it (validated). */
type JoinRequest = { type: 'join'; v: unknown; name: string; password?: string; lang?: Lang; room?: string; resume?: string; since?: number };
type ClientRequest = JoinRequest | { type: 'line'; text: string };

/** A text frame's JSON as a join or a line, or undefined when it is neither. */
export function parseClientFrame(data: Buffer): ClientRequest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  if (o['type'] === 'line') return typeof o['text'] === 'string' ? { type: 'line', text: o['text'] } : undefined;
  if (o['type'] !== 'join' || typeof o['name'] !== 'string') return undefined;
  const join: JoinRequest = { type: 'join', v: o['v'], name: o['name'] };
  const { password, lang, room, resume, since } = o;
  if (typeof password === 'string') join.password = password;
  if (typeof lang === 'string') {
    const parsed = parseLang(lang);
    if (parsed !== undefined) join.lang = parsed;
  }
  if (typeof room === 'string' && room !== '') join.room = room;
  if (typeof resume === 'string' && resume.length <= 64) join.resume = resume;
  if (typeof since === 'number' && Number.isSafeInteger(since) && since >= 0) join.since = since;
  return join;
}

// --- listeners and timers: module functions that find their peer on the socket (no closures) ---

const kPeer = Symbol('charla.wsPeer');
type KeyedSocket = WebSocket & { [kPeer]: WsPeer };

function wsOnMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  const peer = (this as KeyedSocket)[kPeer];
  try {
    peer.onMessage(data, isBinary);
  } catch (err) {
    peer.fail(err);
  }
}

function wsOnPong(this: WebSocket): void {
  (this as KeyedSocket)[kPeer].onPong();
}

function wsOnError(this: WebSocket): void {
  // A protocol error (too large: 1009, invalid UTF-8: 1007, a bad frame: 1002): `ws` closes the
  // connection with that code; the room hears the user was sent away.
  const peer = (this as KeyedSocket)[kPeer];
  peer.closeReason ??= 'kicked';
}

function wsOnClose(this: WebSocket, code: number): void {
  (this as KeyedSocket)[kPeer].onClose(code);
}

function onPaceTimer(peer: WsPeer): void {
  try {
    peer.pace();
  } catch (err) {
    peer.fail(err);
  }
}

function onRegistrationTimeout(peer: WsPeer): void {
  peer.registrationTimedOut();
}

function onHeartbeat(ctx: WsContext): void {
  ctx.heartbeat?.refresh();
  ctx.sweep();
}

function forgetToken({ tokens, token }: { tokens: Map<string, ResumeEntry>; token: string }): void {
  tokens.delete(token);
}

// --- one flush per event-loop turn for every peer written to in that turn ---

let dirty: WsPeer[] = [];
let flushScheduled = false;

function flushDirty(): void {
  const peers = dirty;
  dirty = [];
  flushScheduled = false;
  for (const peer of peers) peer.flush();
}


/** A notice's bytes in the window: a frame is its own bytes. */
function frameBytes(frame: Buffer): Buffer {
  return frame;
}
