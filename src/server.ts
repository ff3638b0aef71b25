import type { ClusterOptions, RedisBus } from './cluster/redis-bus.js';
import { Hub, HUB_DEFAULTS, type HubOptions, noLog } from './hub/hub.js';
import type { Lang } from './hub/messages.js';
import { type TcpOptions, type TcpTransport, tcpFactory, type WebPointer } from './transport/tcp.js';
import { type IrcOptions, type IrcTransport, ircFactory, ircsFactory } from './transport/irc.js';
import type { Transport, TransportFactory, TransportSetup } from './transport/transport.js';
import { type UdpOptions, type UdpTransport, udpFactory } from './transport/udp.js';
import { type WsOptions, type WsTransport, wsFactory } from './transport/ws.js';
import { type StatusSource, StatusRoutes } from './transport/status.js';
import { AddressList } from './util/address-list.js';
import { type Clock, monotonic, nodeTimers, type Timers } from './util/clock.js';
import { CharlaError, listenError } from './util/errors.js';

/** Everything `charla server` can be told; each component's options are merged over its defaults. */
export interface ServerOptions {
  host: string;
  tcpPort: number;
  udpPort: number;
  /** The IRC port (`--irc-port`, default 6667). */
  ircPort: number;
  /** The TLS IRC port (`--ircs-port`, default 6697), run with `irc` when `tcpOptions.tls` is set. */
  ircsPort: number;
  /** The browser port (`--http-port`, default 8080): the page and WebSocket (HTTPS and WSS with `tcpOptions.tls`). */
  httpPort: number;
  tcp: boolean;
  udp: boolean;
  /**
   * Runs the IRC port. Off unless asked for here (a server made in code, a test, the lab, opens
   * only the ports it names); `charla server` turns it on unless `--no-irc`.
   */
  irc: boolean;
  /** Runs the browser port. Off unless asked for here, as `irc`; `charla server` turns it on unless `--no-http`. */
  http: boolean;
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
  ircOptions: Partial<IrcOptions>;
  wsOptions: Partial<WsOptions>;
  /**
   * The clock and timers of every timeout and rate limit, shared by every transport and the hub
   * (registration, idle, the bare-message pause, pacing and the flood kick, UDP silence, the
   * wrong-operator-key delay). Undefined: Node's timers, reading `now`. A test hands in a fake
   * clock (test/helpers/fake-clock.ts) and moves every timeout with it.
   */
  timers: Timers | undefined;
  /**
   * The time, when `timers` is not given: a test can move it by hand while the timers run in
   * real time (the UDP sweep then judges silence by it).
   */
  now: Clock;
  /**
   * `redis://HOST:PORT/DB`: this server is one node of the chat every server started with the
   * same Redis is (README "Several servers"). Undefined: it is the whole chat.
   */
  redis: string | undefined;
  /** The cluster's timings and bounds (src/cluster/redis-bus.ts), over their defaults. */
  cluster: Partial<Omit<ClusterOptions, 'url'>>;
  /**
   * `/metrics` and `/api/status` on the browser port (src/transport/status.ts): `detail` adds
   * room and user names (`--metrics-detail`); `allow` lists who may read them (`--metrics-allow`;
   * empty: loopback only; a list replaces loopback, which it may name).
   */
  metrics: { detail: boolean; allow: readonly string[] };
}

export const SERVER_DEFAULTS: ServerOptions = {
  host: '0.0.0.0',
  tcpPort: 5000, // seed
  udpPort: 5001, // seed
  ircPort: 6667,
  ircsPort: 6697,
  httpPort: 8080,
  tcp: true,
  udp: true,
  irc: false,
  http: false,
  lang: 'es',
  bench: false,
  allow: [],
  exemptLoopback: true,
  log: noLog,
  hub: {},
  tcpOptions: {},
  udpOptions: {},
  ircOptions: {},
  wsOptions: {},
  timers: undefined,
  now: monotonic,
  redis: undefined,
  cluster: {},
  metrics: { detail: false, allow: [] },
};

/** The room's limits when nothing else is said (see README "Limits and security"). */
export const LIMIT_DEFAULTS = { maxUsers: 1000, maxConnectionsPerAddress: 16 } as const;

/** A running chat server: one hub, its transports, and a graceful `close`. */
export interface ChatServer {
  readonly hub: Hub;
  /** Every transport running, in the order they started. */
  readonly transports: readonly Transport[];
  /** The TCP (or TLS) transport, when it runs. */
  readonly tcp: TcpTransport | undefined;
  /** The UDP transport, when it runs. */
  readonly udp: UdpTransport | undefined;
  /** The IRC transport, when it runs. */
  readonly irc: IrcTransport | undefined;
  /** The TLS IRC transport, when it runs (IRC on, with a TLS certificate). */
  readonly ircs: IrcTransport | undefined;
  /** The browser port (HTTP or HTTPS, and WebSocket), when it runs. */
  readonly http: WsTransport | undefined;
  /** The clock and timers the server runs on (`ServerOptions.timers`, or Node's). */
  readonly timers: Timers;
  /** The cluster link, with `redis`. */
  readonly cluster: RedisBus | undefined;
  /**
   * Graceful shutdown: stop accepting, tell every user, flush what was accepted, close every
   * socket (destroying those that do not finish within `graceMs`).
   */
  close(graceMs?: number): Promise<void>;
}

/** One transport a server may run: what it is, whether it is on, its port, and how to start it. */
interface TransportPlan {
  readonly factory: Pick<TransportFactory<unknown>, 'kind' | 'label' | 'portFlag'>;
  readonly enabled: boolean;
  readonly port: number;
  listen(hub: Hub, setup: TransportSetup): Promise<Transport>;
}

function plan<O>(factory: TransportFactory<O>, enabled: boolean, port: number, options: Partial<O>): TransportPlan {
  return { factory, enabled, port, listen: (hub, setup) => factory.listen(hub, setup, options) };
}

/**
 * The transports `opts` asks for, in the order they start. A new transport is one line here
 * (with its ServerOptions fields); startServer and close need nothing else.
 */
function transportPlans(opts: ServerOptions): TransportPlan[] {
  return [
    plan(tcpFactory, opts.tcp, opts.tcpPort, opts.tcpOptions),
    plan(udpFactory, opts.udp, opts.udpPort, opts.udpOptions),
    // The IRC port shares the TCP port's limits (rate, line bound, queue bound, timeouts) unless told otherwise.
    plan(ircFactory, opts.irc, opts.ircPort, { ...ircShared(opts.tcpOptions), ...opts.ircOptions, tls: undefined }),
    plan(ircsFactory, opts.irc && opts.tcpOptions.tls !== undefined, opts.ircsPort, { ...ircShared(opts.tcpOptions), ...opts.ircOptions, tls: opts.tcpOptions.tls }),
    // The browser port too, and it is HTTPS with the TCP port's certificate.
    plan(wsFactory, opts.http, opts.httpPort, { ...wsShared(opts.tcpOptions), tls: opts.tcpOptions.tls, ...opts.wsOptions }),
  ];
}

/** What the browser port takes from the TCP options: the limits (a browser user is held to a TCP user's). */
function wsShared(tcp: Partial<TcpOptions>): Partial<WsOptions> {
  const { rateLimit, floodKickMs, maxQueuedBytes, registrationTimeoutMs, onPeerError, onAcceptError, maxPacedBytes, maxLineBytes } = tcp;
  const picked: Partial<WsOptions> = { rateLimit, floodKickMs, maxQueuedBytes, registrationTimeoutMs, onAcceptError, maxPacedBytes, maxLineBytes };
  if (onPeerError !== undefined) picked.onPeerError = onPeerError as unknown as WsOptions['onPeerError'];
  for (const key of Object.keys(picked) as (keyof WsOptions)[]) if (picked[key] === undefined && !(key in tcp)) delete picked[key];
  return picked;
}

/** What the IRC transport takes from the TCP options: the limits, not the framing nor TLS. */
function ircShared(tcp: Partial<TcpOptions>): Partial<IrcOptions> {
  const { rateLimit, floodKickMs, maxQueuedBytes, registrationTimeoutMs, onPeerError, onAcceptError, keepAliveMs, maxPacedBytes } = tcp;
  const picked: Partial<IrcOptions> = { rateLimit, floodKickMs, maxQueuedBytes, registrationTimeoutMs, onPeerError, onAcceptError, keepAliveMs, maxPacedBytes };
  for (const key of Object.keys(picked) as (keyof IrcOptions)[]) if (picked[key] === undefined && !(key in tcp)) delete picked[key];
  return picked;
}

/** Starts a server. Rejects with a CharlaError when a port is taken or the host is not ours. */
export async function startServer(options: Partial<ServerOptions> = {}): Promise<ChatServer> {
  const opts: ServerOptions = { ...SERVER_DEFAULTS, ...options };
  const timers = opts.timers ?? nodeTimers(opts.now);
  const allow = new AddressList(opts.allow, { loopback: opts.exemptLoopback });
  // Who may read the metrics: loopback (only this machine's users) unless a list is given, which replaces it.
  const metricsAllow = new AddressList(opts.metrics.allow, { loopback: opts.metrics.allow.length === 0, flag: '--metrics-allow' });
  const benchLifts = opts.bench ? { maxUsers: 0, maxConnectionsPerAddress: 0 } : {};
  // A cluster node learns the others' users and the rooms' history before its hub is made (the
  // hub's rooms load their history when made).
  const cluster =
    opts.redis === undefined
      ? undefined
      : // Imported only for a cluster: the Redis client costs a server that has none 7 MB of heap.
        await (await import('./cluster/redis-bus.js')).RedisBus.connect({ log: opts.log, historyMaxLen: opts.hub.history ?? HUB_DEFAULTS.history, ...opts.cluster, url: opts.redis }).catch((err: unknown) => {
          throw new CharlaError('ERR_CONNECT', `cannot reach Redis at ${opts.redis}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        });
  const clusterHub: Partial<HubOptions> = cluster === undefined ? {} : { bus: cluster, store: cluster.history };
  const hub = new Hub({
    lang: opts.lang,
    log: opts.log,
    ...LIMIT_DEFAULTS,
    isExemptAddress: (address) => allow.has(address),
    now: timers.now,
    schedule: (ms, fn) => void timers.set(ms, call, fn).unref(),
    ...opts.hub,
    ...clusterHub,
    ...benchLifts,
  });
  // A browser pointed at a chat port is told the browser port's URL, once it is known.
  const web: WebPointer = { port: undefined, secure: false };
  if (opts.http) opts.tcpOptions = { web, ...opts.tcpOptions };
  // The operators' endpoints answer once the server has started (until then, the page's 404).
  let running: StatusSource | undefined;
  const status = opts.http ? new StatusRoutes(() => running, { detail: opts.metrics.detail, allow: metricsAllow }) : undefined;
  if (status !== undefined) opts.wsOptions = { routes: (req, res) => status.handle(req, res), ...opts.wsOptions };
  if (cluster !== undefined) {
    await cluster.attach(hub);
    opts.log(hub.t('log_cluster_joined', { url: redactUrl(opts.redis as string), node: cluster.node, users: cluster.remoteUsersAtStart }));
  }
  const transports: Transport[] = [];
  try {
    for (const planned of transportPlans(opts)) {
      if (!planned.enabled) continue;
      const { factory, port } = planned;
      const setup: TransportSetup = { host: opts.host, port, timers, bench: opts.bench, trustLoopback: opts.exemptLoopback };
      const transport = await planned.listen(hub, setup).catch((err: unknown) => {
        throw listenError(err, factory.label, opts.host, port, factory.portFlag);
      });
      transports.push(transport);
    }
  } catch (err) {
    await Promise.all(transports.flatMap((t) => [t.stopAccepting(), t.close(0)]));
    await cluster?.close();
    status?.close();
    throw err;
  }
  const browser = transports.find((t): t is WsTransport => t.kind === wsFactory.kind);
  if (browser !== undefined) {
    web.port = browser.address.port;
    web.secure = browser.secure;
  }
  running = { hub, transports, cluster };
  let closing: Promise<void> | undefined;
  return {
    hub,
    transports,
    tcp: transports.find((t): t is TcpTransport => t.kind === tcpFactory.kind),
    udp: transports.find((t): t is UdpTransport => t.kind === udpFactory.kind),
    irc: transports.find((t): t is IrcTransport => t.kind === ircFactory.kind),
    ircs: transports.find((t): t is IrcTransport => t.kind === ircsFactory.kind),
    http: browser,
    timers,
    cluster,
    close(graceMs = 2000) {
      closing ??= (async () => {
        // Stop accepting first (a TCP listener's promise resolves only once its users are gone,
        // so it is awaited with the rest), then the shutdown notice, then the goodbyes.
        status?.close();
        const stopped = transports.map((t) => t.stopAccepting());
        hub.shutdown();
        await Promise.all([...stopped, ...transports.map((t) => t.close(graceMs))]);
        // The other nodes hear that this one's users left (server shut down); their names are freed.
        await cluster?.close();
        // Every message accepted is in the room's log: let the history store write the last of it.
        await hub.options.store?.close();
      })();
      return closing;
    },
  };
}

/** A Redis URL without its password, for the log. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

/** Runs a thunk (the timer callback of the hub's scheduled work). */
function call(fn: () => void): void {
  fn();
}
