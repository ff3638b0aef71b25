import { Hub, type HubOptions, noLog } from './hub/hub.js';
import type { Lang } from './hub/messages.js';
import { listenTcp, type TcpOptions, type TcpTransport } from './transport/tcp.js';
import { listenUdp, type UdpOptions, type UdpTransport } from './transport/udp.js';
import { AddressList } from './util/address-list.js';
import { type Clock, monotonic } from './util/clock.js';
import { listenError } from './util/errors.js';

/** Everything `charla server` can be told; each component's options are merged over its defaults. */
export interface ServerOptions {
  host: string;
  tcpPort: number;
  udpPort: number;
  tcp: boolean;
  udp: boolean;
  lang: Lang;
  /**
   * Load-test mode for a trusted machine: no per-user rate limit, no user cap, no per-address
   * cap. Framing, names, sanitising and the slow-consumer bound stay on.
   */
  bench: boolean;
  /** Addresses and subnets exempt from the per-address cap. */
  allow: readonly string[];
  /**
   * Loopback is exempt from the per-address cap (as Ergo does) and counts as a validated UDP
   * address (only this machine can send from it), unless this is false.
   */
  exemptLoopback: boolean;
  /** Server console; one line per call. */
  log: (line: string) => void;
  hub: Partial<HubOptions>;
  tcpOptions: Partial<TcpOptions>;
  udpOptions: Partial<UdpOptions>;
  /** Clock for rate limits and the UDP silence sweep (tests can move it by hand). */
  now: Clock;
}

export const SERVER_DEFAULTS: ServerOptions = {
  host: '0.0.0.0',
  tcpPort: 5000, // seed
  udpPort: 5001, // seed
  tcp: true,
  udp: true,
  lang: 'es',
  bench: false,
  allow: [],
  exemptLoopback: true,
  log: noLog,
  hub: {},
  tcpOptions: {},
  udpOptions: {},
  now: monotonic,
};

/** The room's limits when nothing else is said (see README "Limits and security"). */
export const LIMIT_DEFAULTS = { maxUsers: 1000, maxConnectionsPerAddress: 16 } as const;

/** A running chat server: one hub, its transports, and a graceful `close`. */
export interface ChatServer {
  readonly hub: Hub;
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
  const allow = new AddressList(opts.allow, { loopback: opts.exemptLoopback });
  const benchLifts = opts.bench ? { maxUsers: 0, maxConnectionsPerAddress: 0 } : {};
  const hub = new Hub({
    lang: opts.lang,
    log: opts.log,
    ...LIMIT_DEFAULTS,
    isExemptAddress: (address) => allow.has(address),
    ...opts.hub,
    ...benchLifts,
  });
  const rate = opts.bench ? { rateLimit: undefined } : {};
  let tcp: TcpTransport | undefined;
  let udp: UdpTransport | undefined;
  try {
    if (opts.tcp) {
      tcp = await listenTcp(hub, { host: opts.host, port: opts.tcpPort, now: opts.now, ...opts.tcpOptions, ...rate }).catch((err: unknown) => {
        throw listenError(err, 'TCP', opts.host, opts.tcpPort, '--tcp-port');
      });
    }
    if (opts.udp) {
      udp = await listenUdp(hub, { host: opts.host, port: opts.udpPort, now: opts.now, trustLoopback: opts.exemptLoopback, ...opts.udpOptions, ...rate }).catch((err: unknown) => {
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
        // Every message accepted is in the room's log: let the history store write the last of it.
        await hub.options.store?.close();
      })();
      return closing;
    },
  };
}
