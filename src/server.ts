import { type Hub as HubType, Hub, type HubOptions } from './hub/hub.js';
import type { Lang } from './hub/messages.js';
import { listenTcp, type TcpOptions, type TcpTransport } from './transport/tcp.js';
import { listenUdp, type UdpOptions, type UdpTransport } from './transport/udp.js';
import { listenError } from './util/errors.js';

/** Everything `charla server` can be told; each component's options are merged over its defaults. */
export interface ServerOptions {
  host: string;
  tcpPort: number;
  udpPort: number;
  tcp: boolean;
  udp: boolean;
  lang: Lang;
  /** Server console; one line per call. */
  log: (line: string) => void;
  hub: Partial<HubOptions>;
  tcpOptions: Partial<TcpOptions>;
  udpOptions: Partial<UdpOptions>;
  /** Clock for the UDP silence sweep (tests move it by hand). */
  now: () => number;
}

export const SERVER_DEFAULTS: ServerOptions = {
  host: '0.0.0.0',
  tcpPort: 5000, // seed
  udpPort: 5001, // seed
  tcp: true,
  udp: true,
  lang: 'es',
  log: () => {},
  hub: {},
  tcpOptions: {},
  udpOptions: {},
  now: Date.now,
};

/** A running chat server: one hub, its transports, and a graceful `close`. */
export interface ChatServer {
  readonly hub: HubType;
  readonly tcp: TcpTransport | undefined;
  readonly udp: UdpTransport | undefined;
  /**
   * Graceful shutdown: stop accepting, tell every user, flush what was accepted, close every
   * socket (destroying those that do not finish within `graceMs`).
   */
  close(graceMs?: number): Promise<void>;
}

/** Starts a server. Rejects with a CharlaError when a port is taken or the host is not ours. */
export async function startServer(options: Partial<ServerOptions> = {}): Promise<ChatServer> {
  const opts: ServerOptions = { ...SERVER_DEFAULTS, ...options };
  const hub = new Hub({ lang: opts.lang, log: opts.log, ...opts.hub });
  let tcp: TcpTransport | undefined;
  let udp: UdpTransport | undefined;
  try {
    if (opts.tcp) {
      tcp = await listenTcp(hub, { host: opts.host, port: opts.tcpPort, ...opts.tcpOptions }).catch((err: unknown) => {
        throw listenError(err, 'TCP', opts.host, opts.tcpPort, '--tcp-port');
      });
    }
    if (opts.udp) {
      udp = await listenUdp(hub, { host: opts.host, port: opts.udpPort, ...opts.udpOptions }, opts.now).catch((err: unknown) => {
        throw listenError(err, 'UDP', opts.host, opts.udpPort, '--udp-port');
      });
    }
  } catch (err) {
    await tcp?.stopAccepting();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    hub,
    tcp,
    udp,
    close(graceMs = 2000) {
      closing ??= (async () => {
        const stopped = tcp?.stopAccepting();
        hub.shutdown();
        await Promise.all([stopped, tcp?.drain(graceMs), udp?.close()]);
      })();
      return closing;
    },
  };
}
