import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { createSecureContext } from 'node:tls';
import { translator } from '../hub/messages.js';
import { type ChatServer, LIMIT_DEFAULTS, type ServerOptions, startServer } from '../server.js';
import { DEFAULT_RATE_LIMIT } from '../hub/rate-limit.js';
import { CharlaError } from '../util/errors.js';
import { formatHostPort } from '../transport/stream-peer.js';
import { TCP_DEFAULTS } from '../transport/tcp.js';
import { webUrl } from '../transport/web-url.js';
import { qrLines } from '../util/qr.js';
import { normalizeOrigin } from '../transport/ws.js';
import { UDP_DEFAULTS } from '../transport/udp.js';
import { warmUp } from '../transport/warm-up.js';
import { capYoungGeneration } from '../util/heap.js';
import { closeHungUpTerminals } from '../util/hung-up-terminal.js';
import { HUB_DEFAULTS, noLog } from '../hub/hub.js';
import { FileHistoryStore, type HistoryWarning } from '../hub/store/file-store.js';
import { parseCount, parseLangFlag, parseNumber, parsePort, parseSeconds, parseFlags } from './args.js';
import { attributed, layered } from './config.js';
import { LOG_FLUSH_MS, ServerConsole } from './server-console.js';

const HELP = `Usage: charla server [options]

Runs a chat server: rooms for TCP and UDP users (everyone starts in "general"). Stop it with Ctrl+C.

  --host ADDR              address to listen on (default 0.0.0.0: every interface)
  --tcp-port PORT          TCP port (default 5000; 0 = any free port)
  --udp-port PORT          UDP port (default 5001; 0 = any free port)
  --irc-port PORT          IRC port, for HexChat, irssi, WeeChat... (default 6667; 0 = any free port)
  --ircs-port PORT         IRC over TLS, with --tls-cert/--tls-key (default 6697; 0 = any free port)
  --http-port PORT         browser port: the page at /, WebSocket at /ws (default 8080; 0 = any free port;
                           HTTPS and WSS with --tls-cert/--tls-key)
  --allow-origin ORIGIN    let pages of ORIGIN (http://host:port) open the WebSocket too (repeatable)
  --no-tcp / --no-udp / --no-irc / --no-http   run without that transport
  --lang es|en             language of what the server says (default es)
  --quiet                  do not log connections and departures
  --log-file PATH          log to this file (appended to; reopened on SIGHUP, for logrotate)
                           instead of stdout/stderr; the start banner still goes to stdout too
  --bench                  load-test mode on a trusted machine: no rate, user or per-address limits
  --no-warmup              open without first running the hot path for a moment (see README, Performance)

Rooms, history, moderation (see README "Rooms, history and moderation"):
  --max-rooms N            most rooms at once, general included (default ${HUB_DEFAULTS.maxRooms})
  --history N              messages each room keeps for /historial (default ${HUB_DEFAULTS.history}; 0 = none)
  --replay-on-join N       replay the last N messages to whoever enters a room (default 0)
  --data-dir DIR           keep each room's history in DIR across restarts (append-only files)
  --admin-password KEY     "/admin KEY" makes a user an operator (better: CHARLA_ADMIN_PASSWORD)

Several servers, one chat (see README "Several servers"):
  --redis URL              redis://HOST:PORT/DB: every server started with the same Redis is one
                           chat (also CHARLA_REDIS_URL)
  --node-id ID             this server's name in the cluster (default: random)

Operators (see README "Metrics and status"):
  --metrics-detail         room and user names in /metrics and /api/status (default: counts only)
  --metrics-allow ADDR[/BITS]  who may read /metrics and /api/status on the browser port
                           (repeatable; default loopback only; a list replaces loopback)
  --config FILE            every option above from a JSON file, by long name ({"tcp-port": 5000});
                           CHARLA_TCP_PORT and the like set them too. Flags override variables,
                           which override the file (also CHARLA_CONFIG)

Access:
  --password PW            users must send "/pass PW" before their name (better: set the
                           CHARLA_PASSWORD environment variable, so it is not in the process list)
  --tls-cert FILE          serve TCP over TLS with this certificate (PEM) ...
  --tls-key FILE           ... and this private key (PEM)

Limits (see README "Limits and security"):
  --max-users N            most users at once (default ${LIMIT_DEFAULTS.maxUsers}; 0 = no limit)
  --max-per-address N      most connections from one address (default ${LIMIT_DEFAULTS.maxConnectionsPerAddress}; 0 = no limit; loopback exempt)
  --allow ADDR[/BITS]      exempt an address or subnet from --max-per-address (repeatable; e.g. a classroom NAT)
  --rate N                 messages a second per user, sustained (default ${DEFAULT_RATE_LIMIT.ratePerSec})
  --burst N                messages a user may send at once before --rate applies (default ${DEFAULT_RATE_LIMIT.burst})
  --flood-kick S           disconnect a user held back by --rate for this long without a break (default ${TCP_DEFAULTS.floodKickMs / 1000})
  --max-line-bytes N       longest message in bytes (default ${TCP_DEFAULTS.maxLineBytes})
  --max-name-length N      longest name in characters (default ${HUB_DEFAULTS.maxNameLength})
  --max-queued-bytes N     output a TCP user may have pending before being cut off as too slow (default ${TCP_DEFAULTS.maxQueuedBytes})
  --bare-idle-ms N         bytes with no newline count as a message after this pause (default ${TCP_DEFAULTS.bareIdleMs}; for the seed's client)
  --registration-timeout S seconds a new connection has to give its name (default ${TCP_DEFAULTS.registrationTimeoutMs / 1000}; 0 = no limit)
  --idle-timeout S         disconnect TCP users silent this long (default 0 = never)
  --udp-timeout S          remove UDP users silent this long (default ${UDP_DEFAULTS.silenceMs / 1000})
  --udp-retries N          reliable UDP users (charla client --udp --fiable): removed once one packet
                           has been sent N times again without an ACK (default ${UDP_DEFAULTS.arq.maxRetries})
`;

/**
 * Every `charla server` option, by long name: the command line's table, and the keys of
 * `--config FILE` and the CHARLA_* variables (src/cli/config.ts).
 */
export const SERVER_FLAGS = {
  host: { type: 'string' },
  'tcp-port': { type: 'string' },
  'udp-port': { type: 'string' },
  'no-tcp': { type: 'boolean' },
  'no-udp': { type: 'boolean' },
  'irc-port': { type: 'string' },
  'ircs-port': { type: 'string' },
  'no-irc': { type: 'boolean' },
  'http-port': { type: 'string' },
  'no-http': { type: 'boolean' },
  'allow-origin': { type: 'string', multiple: true },
  lang: { type: 'string' },
  quiet: { type: 'boolean' },
  'log-file': { type: 'string' },
  bench: { type: 'boolean' },
  'no-warmup': { type: 'boolean' },
  password: { type: 'string' },
  'admin-password': { type: 'string' },
  'max-rooms': { type: 'string' },
  history: { type: 'string' },
  'replay-on-join': { type: 'string' },
  'data-dir': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'max-users': { type: 'string' },
  'max-per-address': { type: 'string' },
  allow: { type: 'string', multiple: true },
  rate: { type: 'string' },
  burst: { type: 'string' },
  'flood-kick': { type: 'string' },
  'max-line-bytes': { type: 'string' },
  'max-name-length': { type: 'string' },
  'max-queued-bytes': { type: 'string' },
  'bare-idle-ms': { type: 'string' },
  'registration-timeout': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'udp-timeout': { type: 'string' },
  redis: { type: 'string' },
  'node-id': { type: 'string' },
  'udp-retries': { type: 'string' },
  'metrics-detail': { type: 'boolean' },
  'metrics-allow': { type: 'string', multiple: true },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Older variable names still read (after the option's own CHARLA_ name). */
const ENV_ALIASES = { redis: ['CHARLA_REDIS_URL'] } as const;

/** `charla server`: starts the server, prints where to reach it, stops cleanly on Ctrl+C. */
export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags('server', argv, SERVER_FLAGS);
  if (flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const { values, origins } = layered(SERVER_FLAGS, flags, process.env, ENV_ALIASES);
  try {
    return await serve(values);
  } catch (err) {
    throw attributed(err, origins);
  }
}

/** Runs the server with its options merged (file, environment, flags). */
async function serve(values: ReturnType<typeof parseFlags<typeof SERVER_FLAGS>>): Promise<number> {
  // SIGUSR1 would open Node's inspector on 127.0.0.1:9229, where any local user could attach and
  // run code as this user. A listener of our own keeps Node from doing that (Node 20 has no
  // --disable-sigusr1); it is installed before anything slow, and logs a line once the console
  // exists.
  let onSigusr1 = (): void => {};
  process.on('SIGUSR1', () => onSigusr1());
  capYoungGeneration();
  const lang = parseLangFlag(values.lang);
  const t = translator(lang);
  if (values['log-file'] === '') throw new CharlaError('ERR_BAD_OPTION', '--log-file needs a path');
  const output = new ServerConsole(t, values['log-file']);
  onSigusr1 = () => output.log(t('log_sigusr1_ignored'));
  process.on('SIGHUP', () => void output.reopen());
  process.on('exit', closeHungUpTerminals);
  const stopSignal = untilStopSignal();
  const host = values.host ?? '0.0.0.0';
  const maxLineBytes = parseCount(values['max-line-bytes'], '--max-line-bytes', TCP_DEFAULTS.maxLineBytes, 16);
  const log = values.quiet ? noLog : (line: string) => output.log(line);
  const password = values.password ?? process.env['CHARLA_PASSWORD'] ?? undefined;
  if (password !== undefined && password.length === 0) throw new CharlaError('ERR_BAD_OPTION', 'the password cannot be empty (--password or CHARLA_PASSWORD)');
  const adminPassword = values['admin-password'] ?? process.env['CHARLA_ADMIN_PASSWORD'] ?? undefined;
  if (adminPassword !== undefined && adminPassword.length === 0) {
    throw new CharlaError('ERR_BAD_OPTION', 'the operator key cannot be empty (--admin-password or CHARLA_ADMIN_PASSWORD)');
  }
  const history = parseCount(values.history, '--history', HUB_DEFAULTS.history);
  const store = values['data-dir'] === undefined || history === 0 ? undefined : openHistory(values['data-dir'], history, (line) => output.error(line), t);
  const rateLimit = {
    ratePerSec: parseNumber(values.rate, '--rate', DEFAULT_RATE_LIMIT.ratePerSec, 0.01),
    burst: parseCount(values.burst, '--burst', DEFAULT_RATE_LIMIT.burst, 1),
  };
  const redis = values.redis ?? process.env['CHARLA_REDIS_URL'] ?? undefined;
  if (redis !== undefined && !/^rediss?:\/\//.test(redis)) throw new CharlaError('ERR_BAD_OPTION', `--redis: ${redis} is not a redis://HOST:PORT/DB URL`);
  const nodeId = values['node-id'];
  if (nodeId !== undefined && !/^[\w.-]{1,64}$/.test(nodeId)) throw new CharlaError('ERR_BAD_OPTION', '--node-id: letters, digits, ".", "-" and "_", at most 64');
  const options: Partial<ServerOptions> = {
    redis: redis === '' ? undefined : redis,
    metrics: { detail: values['metrics-detail'] === true, allow: values['metrics-allow'] ?? [] },
    cluster: nodeId === undefined ? {} : { node: nodeId },
    host,
    tcpPort: parsePort(values['tcp-port'], '--tcp-port', 5000),
    udpPort: parsePort(values['udp-port'], '--udp-port', 5001),
    ircPort: parsePort(values['irc-port'], '--irc-port', 6667),
    ircsPort: parsePort(values['ircs-port'], '--ircs-port', 6697),
    tcp: !values['no-tcp'],
    udp: !values['no-udp'],
    irc: !values['no-irc'],
    httpPort: parsePort(values['http-port'], '--http-port', 8080),
    http: !values['no-http'],
    wsOptions: { allowOrigins: parseOrigins(values['allow-origin'] ?? []) },
    lang,
    log,
    bench: values.bench === true,
    allow: values.allow ?? [],
    hub: {
      maxNameLength: parseCount(values['max-name-length'], '--max-name-length', HUB_DEFAULTS.maxNameLength, 1),
      maxUsers: parseCount(values['max-users'], '--max-users', LIMIT_DEFAULTS.maxUsers),
      maxConnectionsPerAddress: parseCount(values['max-per-address'], '--max-per-address', LIMIT_DEFAULTS.maxConnectionsPerAddress),
      password,
      adminPassword,
      maxRooms: parseCount(values['max-rooms'], '--max-rooms', HUB_DEFAULTS.maxRooms, 1),
      history,
      replayOnJoin: parseCount(values['replay-on-join'], '--replay-on-join', 0),
      store,
    },
    tcpOptions: {
      tls: readTls(values['tls-cert'], values['tls-key']),
      rateLimit,
      floodKickMs: parseSeconds(values['flood-kick'], '--flood-kick', TCP_DEFAULTS.floodKickMs),
      onAcceptError: acceptErrorLogger(output),
      maxLineBytes,
      maxQueuedBytes: parseCount(values['max-queued-bytes'], '--max-queued-bytes', TCP_DEFAULTS.maxQueuedBytes, 1024),
      bareIdleMs: parseCount(values['bare-idle-ms'], '--bare-idle-ms', TCP_DEFAULTS.bareIdleMs),
      registrationTimeoutMs: parseSeconds(values['registration-timeout'], '--registration-timeout', TCP_DEFAULTS.registrationTimeoutMs),
      idleTimeoutMs: parseSeconds(values['idle-timeout'], '--idle-timeout', 0),
      onPeerError: (peer, err) => output.error(t('log_peer_error', { peer: peer.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) })),
    },
    udpOptions: {
      maxLineBytes,
      rateLimit,
      silenceMs: parseSeconds(values['udp-timeout'], '--udp-timeout', UDP_DEFAULTS.silenceMs),
      arq: { ...UDP_DEFAULTS.arq, maxRetries: udpRetries(values['udp-retries']) },
      // Failed sends and loops found: errors, said even with --quiet (once per peer).
      logError: (line) => output.error(line),
    },
  };
  // Compile the hot path before the ports open (about half a second): the first users then get
  // optimised code, and a client or load test that waits for the port, rather than for the
  // banner, never meets a server still warming up.
  if (!values['no-warmup'] && options.tcp === true) {
    await warmUp({ ...options.tcpOptions, rateLimit: options.bench === true ? undefined : rateLimit }, {}, { irc: options.irc === true, ws: options.http === true });
  }
  const server = await startServer(options);
  if (values.bench) output.banner(t('log_bench_mode'));
  printBanner(output, server, host, t);
  await stopSignal;
  await server.close();
  if (!(await output.flush(LOG_FLUSH_MS))) exitWithoutLog(output);
  return 0;
}

/**
 * Shutdown is done but an output still holds lines (a terminal nobody reads): exit without them.
 * A pending write keeps Node's loop alive, hence the explicit exit; a write stuck in a blocking
 * descriptor even keeps `process.exit` from finishing (it waits for the threadpool), and then
 * only a signal ends the process.
 */
function exitWithoutLog(output: ServerConsole): never {
  if (output.stuckInKernel) process.kill(process.pid, 'SIGKILL');
  process.exit(0);
}

function printBanner(output: ServerConsole, server: ChatServer, host: string, t: ReturnType<typeof translator>): void {
  // Tests and scripts read the bound ports from these two lines, on stdout.
  if (server.tcp) output.banner(t('log_tcp_listening', { address: formatHostPort(server.tcp.address.address, server.tcp.address.port) }));
  if (server.udp) output.banner(t('log_udp_listening', { address: formatHostPort(server.udp.address.address, server.udp.address.port) }));
  if (server.irc) output.banner(t('log_irc_listening', { address: formatHostPort(server.irc.address.address, server.irc.address.port) }));
  if (server.ircs) output.banner(t('log_ircs_listening', { address: formatHostPort(server.ircs.address.address, server.ircs.address.port) }));
  if (server.http) {
    const key = server.http.secure ? 'log_https_listening' : 'log_http_listening';
    output.banner(t(key, { address: formatHostPort(server.http.address.address, server.http.address.port) }));
  }
  const httpPort = server.http?.address.port;
  const browserLine = (addr: string): string[] => (httpPort === undefined ? [] : [t('log_browser_hint', { url: webUrl(server.http?.secure === true, addr, httpPort) })]);
  const tcpPort = server.tcp?.address.port;
  const udpPort = server.udp?.address.port;
  const ircPort = server.irc?.address.port;
  const hint = (addr: string): string[] => {
    const h = addr.includes(':') ? `[${addr}]` : addr;
    const lines: string[] = [];
    const tls = server.tcp?.secure ? ' --tls' : '';
    if (tcpPort !== undefined) lines.push(`  charla client${tls} --host ${h}${tcpPort === 5000 ? '' : ` --port ${tcpPort}`}`);
    if (udpPort !== undefined) lines.push(`  charla client --udp --host ${h}${udpPort === 5001 ? '' : ` --port ${udpPort}`}`);
    if (ircPort !== undefined) lines.push(t('log_irc_hint', { host: h, port: ircPort }));
    lines.push(...browserLine(addr));
    return lines;
  };
  const wildcard = host === '0.0.0.0' || host === '::';
  const lan = wildcard ? lanAddresses(host === '::') : isLoopback(host) ? [] : [host];
  output.banner(t('log_local_hint'));
  for (const line of hint(wildcard || isLoopback(host) ? '127.0.0.1' : host)) output.banner(line);
  if (lan.length > 0) {
    output.banner(t('log_lan_hint'));
    for (const addr of lan) for (const line of hint(addr)) output.banner(line);
  }
  // A QR code of the LAN URL to scan from the projector: only for a person at a terminal (a log
  // file or a pipe gets the URL lines alone).
  const lanHost = lan[0];
  if (httpPort !== undefined && lanHost !== undefined && process.stdout.isTTY === true) {
    const url = webUrl(server.http?.secure === true, lanHost, httpPort);
    output.banner(t('log_browser_qr', { url }));
    for (const line of qrLines(url)) output.banner(line);
  }
}

/** The history store of `--data-dir`; its warnings (a torn line skipped, a failed write) go to the error log. */
function openHistory(dir: string, maxEntries: number, error: (line: string) => void, t: ReturnType<typeof translator>): FileHistoryStore {
  if (dir === '') throw new CharlaError('ERR_BAD_OPTION', '--data-dir needs a directory');
  const onWarning = (w: HistoryWarning): void => {
    switch (w.kind) {
      case 'skipped-lines':
        error(t('log_history_skipped', { room: w.room, file: w.file, count: w.count }));
        break;
      case 'load-failed':
      case 'write-failed':
        error(t(w.kind === 'load-failed' ? 'log_history_load_failed' : 'log_history_write_failed', { room: w.room, file: w.file, error: w.error.code ?? w.error.message }));
        break;
      case 'fell-behind':
        error(t('log_history_behind', { room: w.room, file: w.file }));
        break;
      case 'recovered':
        error(t('log_history_recovered', { room: w.room, file: w.file }));
        break;
    }
  };
  try {
    return new FileHistoryStore({ dir, maxEntries, onWarning });
  } catch (err) {
    throw new CharlaError('ERR_BAD_OPTION', `--data-dir: cannot use ${dir} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}

function readTls(certFile: string | undefined, keyFile: string | undefined): { cert: Buffer; key: Buffer } | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new CharlaError('ERR_BAD_OPTION', 'TLS needs both --tls-cert and --tls-key (README "Limits and security" shows how to make them)');
  }
  const read = (file: string, flag: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new CharlaError('ERR_BAD_OPTION', `${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
  };
  const pair = { cert: read(certFile, '--tls-cert'), key: read(keyFile, '--tls-key') };
  try {
    createSecureContext(pair);
  } catch (err) {
    throw new CharlaError('ERR_BAD_OPTION', `--tls-cert/--tls-key: not a usable PEM certificate and matching key (${(err as Error).message})`, { cause: err });
  }
  return pair;
}

/** `--allow-origin` values, checked: each must be an http(s) origin. */
function parseOrigins(values: readonly string[]): string[] {
  return values.map((value) => {
    const origin = normalizeOrigin(value);
    if (origin === undefined) throw new CharlaError('ERR_BAD_OPTION', `--allow-origin: "${value}" is not an origin like http://host:port`);
    return origin;
  });
}

/** Logs accept() failures (EMFILE: out of file descriptors) at most once a second. */
function acceptErrorLogger(output: ServerConsole): (err: Error) => void {
  let last = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    output.error(`charla server: cannot accept new connections: ${err.message} (existing users are still served; raise "ulimit -n")`);
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Addresses other machines can use: every non-internal IPv4 (and IPv6 when listening on ::). */
export function lanAddresses(withIpv6: boolean): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      if (info.family === 'IPv4' || (withIpv6 && info.family === 'IPv6' && !info.address.startsWith('fe80'))) out.push(info.address);
    }
  }
  return out;
}

/** Signals that stop the server gracefully: every user is told, exit code 0. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGUSR2', 'SIGQUIT'] as const;

/**
 * Resolves on the first stop signal. The listeners stay: a repeat during the (bounded) shutdown
 * is ignored rather than killing the process, except a second Ctrl+C, which means "now".
 */
function untilStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping && signal === 'SIGINT') process.exit(130);
      stopping = true;
      resolve();
    };
    for (const signal of STOP_SIGNALS) process.on(signal, stop);
  });
}

/** `--udp-retries N`: 1 to 1000 (past that a vanished user would hold its name for hours). */
function udpRetries(value: string | undefined): number {
  const n = parseCount(value, '--udp-retries', UDP_DEFAULTS.arq.maxRetries, 1);
  if (n > 1000) throw new CharlaError('ERR_BAD_OPTION', `--udp-retries must be at most 1000, not ${n}`);
  return n;
}
