import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { Hub } from '../hub/hub.js';
import { DEFAULT_RATE_LIMIT, type RateLimit, TokenBucket } from '../hub/rate-limit.js';
import { looksLikeHttp } from '../protocol/http-sniff.js';
import type { DecodeEvent } from '../protocol/line-decoder.js';
import { type Clock, monotonic } from '../util/clock.js';
import { StreamPeer } from './stream-peer.js';

/** Limits and timings of the TCP transport. */
export interface TcpOptions {
  host: string;
  port: number;
  /** Longest line accepted, in bytes (without the LF). Longer lines are refused and discarded. */
  maxLineBytes: number;
  /**
   * Bytes with no LF are taken as a message after this many ms of silence, for clients that send
   * bare messages (the seed's Python client). Once a connection has sent an LF it is a line client
   * and the pause no longer applies. 0 disables it.
   */
  bareIdleMs: number;
  /** Most bytes queued for one peer (ours plus the socket's buffer) before it is cut off as slow. */
  maxQueuedBytes: number;
  /** A connection that sends no valid name within this many ms is closed; 0 = never. */
  registrationTimeoutMs: number;
  /** A named user silent for this many ms is disconnected; 0 = never. */
  idleTimeoutMs: number;
  /** TCP keep-alive probe delay; 0 disables keep-alive. */
  keepAliveMs: number;
  /**
   * Messages per user: over the rate, reading from that socket pauses (the input is delayed, not
   * dropped, as Ergo's "fakelag" does). `undefined` = no limit.
   */
  rateLimit: RateLimit | undefined;
  /** A user held back by the rate limit for this long without a break is disconnected as a flood. */
  floodKickMs: number;
  /** TLS certificate and key (PEM); when set, the port speaks TLS. */
  tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  /** The clock of the rate limiter. */
  now: Clock;
  /** Called with the error when something unexpected happens with one peer (the peer is closed). */
  onPeerError: (peer: StreamPeer, error: unknown) => void;
  /** Called with accept() errors (EMFILE: out of file descriptors); the server keeps going. */
  onAcceptError: (error: Error) => void;
}

export const TCP_DEFAULTS: TcpOptions = {
  host: '0.0.0.0',
  port: 5000, // seed
  maxLineBytes: 4096,
  bareIdleMs: 40,
  maxQueuedBytes: 1024 * 1024,
  registrationTimeoutMs: 60_000,
  idleTimeoutMs: 0,
  keepAliveMs: 60_000,
  rateLimit: DEFAULT_RATE_LIMIT,
  floodKickMs: 20_000,
  tls: undefined,
  now: monotonic,
  onPeerError: () => {},
  onAcceptError: () => {},
};

/** A listening TCP (or TLS) transport. */
export interface TcpTransport {
  readonly server: net.Server;
  readonly address: AddressInfo;
  readonly secure: boolean;
  /** Live peers (named or not). */
  readonly peers: ReadonlySet<StreamPeer>;
  /** Stops accepting; existing connections are the hub's to close. */
  stopAccepting(): Promise<void>;
  /** Resolves when every connection has closed, or destroys the rest after `graceMs`. */
  drain(graceMs: number): Promise<void>;
}

/** Starts the TCP transport for `hub` and resolves once it is listening. */
export async function listenTcp(hub: Hub, options: Partial<TcpOptions> = {}): Promise<TcpTransport> {
  const opts: TcpOptions = { ...TCP_DEFAULTS, ...options };
  const peers = new Set<StreamPeer>();
  // allowHalfOpen: after a client's FIN we still deliver what it sent (lines held back by the
  // rate limit included) and only then end our side.
  const socketOptions = { noDelay: true, allowHalfOpen: true, keepAlive: opts.keepAliveMs > 0, keepAliveInitialDelay: opts.keepAliveMs };
  const server =
    opts.tls === undefined
      ? net.createServer(socketOptions, (socket) => attachStream(hub, socket, 'tcp', opts, peers))
      : tls.createServer(
          { ...socketOptions, cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS },
          (socket) => attachStream(hub, socket, 'tls', opts, peers),
        );
  // Every accepted socket, also those still in a TLS handshake (not peers yet), so a shutdown
  // can end them all.
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // A failed TLS handshake (a plain-TCP client, a scanner) costs only that socket.
  server.on('tlsClientError', (_err: Error, socket: net.Socket) => socket.destroy());
  server.listen({ host: opts.host, port: opts.port });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
  // After listening, the only 'error' is a failed accept(): EMFILE/ENFILE when descriptors run
  // out. libuv keeps the listener alive; existing users are unaffected; new connections wait.
  server.on('error', (err) => opts.onAcceptError(err));
  const address = server.address() as AddressInfo;
  return {
    server,
    address,
    secure: opts.tls !== undefined,
    peers,
    stopAccepting: () => new Promise<void>((resolve) => server.close(() => resolve())),
    async drain(graceMs) {
      // Users close once their goodbye is flushed; the rest (a TLS handshake in progress, a
      // client that never reads) are destroyed when the grace period ends.
      const closed = [...sockets].map((s) => (s.closed ? Promise.resolve() : once(s, 'close').then(() => {})));
      const timer = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, graceMs);
      await Promise.all(closed);
      clearTimeout(timer);
    },
  };
}

/** A TLS client has this long to finish its handshake. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Glue between one stream socket and the hub: bytes -> lines -> `hub.input` (paced by the rate
 * limit), and the socket's end -> `hub.leave` exactly once.
 */
function attachStream(hub: Hub, socket: net.Socket, kind: 'tcp' | 'tls', opts: TcpOptions, peers: Set<StreamPeer>): void {
  socket.setNoDelay(true);
  const peer = new StreamPeer(socket, kind, opts.maxQueuedBytes, opts.maxLineBytes);
  const { decoder } = peer;
  const bucket = opts.rateLimit === undefined ? undefined : new TokenBucket(opts.rateLimit.ratePerSec, opts.rateLimit.burst, opts.now);
  let mode: 'unknown' | 'lines' | 'bare' = opts.bareIdleMs > 0 ? 'unknown' : 'lines';
  let bareTimer: NodeJS.Timeout | undefined;
  let registrationTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let paceTimer: NodeJS.Timeout | undefined;
  /** Lines decoded but held back by the rate limit (reading is paused meanwhile). */
  let backlog: string[] = [];
  let throttledSince = 0;
  let warnedAt = -Infinity;
  let sniffed = false;
  /** The client sent its FIN: once the backlog is delivered, we end our side. */
  let inputEnded = false;
  let error: (Error & { code?: string }) | undefined;

  peers.add(peer);
  hub.options.log(hub.t('log_connected', { peer: peer.id }));

  const guard = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      // A bug while serving this peer costs this peer its connection, never the process.
      opts.onPeerError(peer, err);
      peer.close('error');
    }
  };

  const deliver = (text: string): void => {
    if (!sniffed) {
      sniffed = true;
      if (looksLikeHttp(text)) {
        answerHttp(hub, socket);
        peer.markClosed();
        return;
      }
    }
    hub.input(peer, text);
    if (registrationTimer !== undefined && hub.session(peer)?.name !== undefined) {
      clearTimeout(registrationTimer);
      registrationTimer = undefined;
    }
  };

  /** Delivers what the rate allows; the rest waits in the backlog with reading paused. */
  const pace = (): void => {
    paceTimer = undefined;
    while (backlog.length > 0 && !peer.closed) {
      if (bucket !== undefined && !bucket.take()) break;
      deliver(backlog.shift() as string);
    }
    if (peer.closed) return;
    if (backlog.length === 0) {
      throttledSince = 0;
      if (inputEnded) peer.close('disconnected');
      else socket.resume();
      return;
    }
    const now = opts.now();
    if (throttledSince === 0) {
      throttledSince = now;
      socket.pause();
      if (now - warnedAt >= SLOWED_WARNING_INTERVAL_MS) {
        warnedAt = now;
        peer.send(hub.t('rate_slowed'));
      }
    } else if (now - throttledSince > opts.floodKickMs) {
      peer.send(hub.t('flood_kicked'));
      peer.close('flood');
      return;
    }
    paceTimer = setTimeout(() => guard(pace), Math.max(1, bucket?.msUntilToken() ?? 1));
  };

  const take = (events: DecodeEvent[]): void => {
    for (const event of events) {
      if (peer.closed) return;
      if (event.kind === 'too_long') {
        peer.send(hub.t('line_too_long', { max: event.limit })); // dropped, never buffered whole
      } else if (backlog.length === 0 && (bucket === undefined || bucket.take())) {
        deliver(event.text);
      } else {
        backlog.push(event.text);
      }
    }
    if (backlog.length > 0 && paceTimer === undefined && !peer.closed) pace();
  };

  socket.on('data', (chunk: Buffer) =>
    guard(() => {
      if (mode === 'unknown' && chunk.includes(0x0a)) {
        mode = 'lines';
        clearTimeout(bareTimer); // a name sent in pieces is still a line client's name
      }
      take(decoder.push(chunk));
      if (mode !== 'lines' && decoder.pendingBytes > 0) {
        clearTimeout(bareTimer);
        bareTimer = setTimeout(
          () =>
            guard(() => {
              mode = 'bare';
              take(decoder.flush());
            }),
          opts.bareIdleMs,
        );
      }
      idleTimer?.refresh();
    }),
  );
  socket.on('error', (err) => {
    error = err;
  });
  socket.on('end', () =>
    guard(() => {
      // The client finished sending. A bare last message still counts (seed client), and lines
      // held back by the rate limit are still delivered (pace() closes when they are).
      inputEnded = true;
      take(decoder.end());
      if (backlog.length === 0 && !peer.closed) peer.close('disconnected');
    }),
  );
  socket.on('close', () => {
    clearTimeout(bareTimer);
    clearTimeout(registrationTimer);
    clearTimeout(idleTimer);
    clearTimeout(paceTimer);
    backlog = [];
    peers.delete(peer);
    peer.markClosed();
    const reason = peer.closeReason ?? (error !== undefined ? 'connection_lost' : 'disconnected');
    hub.leave(peer, reason);
  });

  if (!hub.connect(peer)) return;
  if (opts.registrationTimeoutMs > 0) {
    registrationTimer = setTimeout(() => {
      if (hub.session(peer)?.name !== undefined) return;
      peer.send(hub.t('registration_timeout', { seconds: Math.round(opts.registrationTimeoutMs / 1000) }));
      peer.close('timeout');
    }, opts.registrationTimeoutMs);
  }
  if (opts.idleTimeoutMs > 0) {
    idleTimer = setTimeout(() => {
      peer.send(hub.t('idle_timeout', { seconds: Math.round(opts.idleTimeoutMs / 1000) }));
      peer.close('timeout');
    }, opts.idleTimeoutMs);
  }
}

/** A user held back again soon after a warning is not warned again for this long. */
const SLOWED_WARNING_INTERVAL_MS = 30_000;

/** A browser pointed at the chat port: a short plain HTTP answer, then close. Never a user. */
function answerHttp(hub: Hub, socket: net.Socket): void {
  const body = `${hub.t('http_not_chat', { host: socket.localAddress ?? 'localhost', port: socket.localPort ?? 0 })}\n`;
  socket.end(
    'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
