import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Hub } from '../hub/hub.js';
import { LineDecoder } from '../protocol/line-decoder.js';
import { looksLikeHttp } from '../protocol/http-sniff.js';
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
  /** Called with the error when something unexpected happens with one peer (the peer is closed). */
  onPeerError: (peer: StreamPeer, error: unknown) => void;
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
  onPeerError: () => {},
};

/** A listening TCP transport. */
export interface TcpTransport {
  readonly server: net.Server;
  readonly address: AddressInfo;
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
  const server = net.createServer({ noDelay: true, keepAlive: opts.keepAliveMs > 0, keepAliveInitialDelay: opts.keepAliveMs }, (socket) =>
    attachStream(hub, socket, 'tcp', opts, peers),
  );
  server.listen({ host: opts.host, port: opts.port });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
  return transportHandle(server, peers);
}

/** The handle shared by the TCP and TLS transports. */
export function transportHandle(server: net.Server, peers: Set<StreamPeer>): TcpTransport {
  return {
    server,
    address: server.address() as AddressInfo,
    peers,
    stopAccepting: () => new Promise<void>((resolve) => server.close(() => resolve())),
    async drain(graceMs) {
      if (peers.size === 0) return;
      const closed = [...peers].map((p) => (p.socket.closed ? Promise.resolve() : once(p.socket, 'close').then(() => {})));
      const timer = setTimeout(() => {
        for (const p of peers) p.socket.destroy();
      }, graceMs);
      await Promise.all(closed);
      clearTimeout(timer);
    },
  };
}

/**
 * Glue between one stream socket and the hub: bytes -> lines -> `hub.input`, and the socket's
 * end -> `hub.leave` exactly once. Shared by TCP and TLS.
 */
export function attachStream(hub: Hub, socket: net.Socket, kind: 'tcp' | 'tls', opts: TcpOptions, peers: Set<StreamPeer>): void {
  socket.setNoDelay(true);
  const peer = new StreamPeer(socket, kind, opts.maxQueuedBytes);
  const decoder = new LineDecoder(opts.maxLineBytes);
  let mode: 'unknown' | 'lines' | 'bare' = opts.bareIdleMs > 0 ? 'unknown' : 'lines';
  let bareTimer: NodeJS.Timeout | undefined;
  let registrationTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let sniffed = false;
  let error: (Error & { code?: string }) | undefined;

  peers.add(peer);
  hub.options.log(hub.t('log_connected', { peer: peer.id }));

  const deliver = (text: string): void => {
    if (!sniffed) {
      sniffed = true;
      if (looksLikeHttp(text)) {
        const address = socket.localAddress ?? 'localhost';
        const body = `${hub.t('http_not_chat', { host: address, port: socket.localPort ?? 0 })}\n`;
        socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
        peer.markClosed();
        hub.leave(peer, 'kicked');
        return;
      }
    }
    hub.input(peer, text);
    if (registrationTimer !== undefined && hub.session(peer)?.name !== undefined) {
      clearTimeout(registrationTimer);
      registrationTimer = undefined;
    }
  };

  const take = (events: ReturnType<LineDecoder['push']>): void => {
    for (const event of events) {
      if (peer.closed) return;
      if (event.kind === 'line') deliver(event.text);
      else peer.send(hub.t('line_too_long', { max: event.limit })); // dropped, never buffered whole
    }
  };

  const guard = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      // A bug while serving this peer costs this peer its connection, never the process.
      opts.onPeerError(peer, err);
      peer.close('error');
    }
  };

  socket.on('data', (chunk: Buffer) =>
    guard(() => {
      if (mode === 'unknown' && chunk.includes(0x0a)) mode = 'lines';
      take(decoder.push(chunk));
      if (mode !== 'lines' && decoder.pendingBytes > 0) {
        clearTimeout(bareTimer);
        bareTimer = setTimeout(() => guard(() => {
          mode = 'bare';
          take(decoder.flush());
        }), opts.bareIdleMs);
      }
      if (idleTimer !== undefined) idleTimer.refresh();
    }),
  );
  socket.on('error', (err) => {
    error = err;
  });
  socket.on('end', () => {
    // The client finished sending (half-close). A bare last message still counts (seed client).
    guard(() => take(decoder.flush()));
    if (!peer.closed) peer.close('disconnected');
  });
  socket.on('close', () => {
    clearTimeout(bareTimer);
    clearTimeout(registrationTimer);
    clearTimeout(idleTimer);
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
