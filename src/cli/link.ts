/**
 * `charla link`: the lab's lossy link on its own, between a chat server and its clients, so a
 * class can chat through a bad network and see it (`charla client --udp` shows the gaps,
 * `--fiable` repairs them). The same user-space relay `charla compare` uses in relay mode
 * (src/lab/relay.ts), with the same impairment flags and seed; it runs until Ctrl+C and then
 * says what it did.
 */
import { type Impairment, describeImpairment, validateImpairment } from '../lab/impairment.js';
import { type RelayCounters, type RelayDirection, startRelay } from '../lab/relay.js';
import { CharlaError, listenError } from '../util/errors.js';
import { parseCount, parseFlags, parseNumber, parsePort } from './args.js';

const HELP = `Usage: charla link [options]

The lab's lossy link between a chat server and its clients: clients connect to the link, the
link to the server, and it loses, delays, duplicates or reorders what crosses it. Runs until
Ctrl+C, then says what it did.

  charla server &
  charla link --loss 10 &
  charla client --udp --port 5011 --name ana            (sees the gaps)
  charla client --udp --fiable --port 5011 --name lee   (gets every message, in order)

Options:
  --host HOST            the server (default 127.0.0.1)
  --tcp-port PORT        the server's TCP port (default 5000)
  --udp-port PORT        the server's UDP port (default 5001)
  --listen-host HOST     where the link listens (default 127.0.0.1)
  --listen-tcp-port P    the link's TCP port (default 5010; 0 = any free one)
  --listen-udp-port P    the link's UDP port (default 5011; 0 = any free one)
  --no-tcp, --no-udp     do not relay that transport
  --loss PCT             lose this share of datagrams
  --delay MS             delay every datagram (and the server's TCP bytes)
  --jitter MS            vary the delay by up to ± this much (needs --delay)
  --duplicate PCT        send this share twice
  --reorder PCT          send this share without the delay, so they overtake (needs --delay)
  --direction D          both (default): datagrams both ways; down: only the server's
  --seed N               the random choices' seed (default 1): the same traffic, the same losses
  -h, --help             this help

TCP gets delay and jitter only, on the way to the clients: by the time bytes reach a program
the kernel has made them reliable, so a user-space link cannot lose a TCP segment
(charla compare --kernel can).`;

const OPTIONS = {
  host: { type: 'string' },
  'tcp-port': { type: 'string' },
  'udp-port': { type: 'string' },
  'listen-host': { type: 'string' },
  'listen-tcp-port': { type: 'string' },
  'listen-udp-port': { type: 'string' },
  'no-tcp': { type: 'boolean' },
  'no-udp': { type: 'boolean' },
  loss: { type: 'string' },
  delay: { type: 'string' },
  jitter: { type: 'string' },
  duplicate: { type: 'string' },
  reorder: { type: 'string' },
  direction: { type: 'string' },
  seed: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What `charla link` was asked for. */
export interface LinkOptions {
  serverHost: string;
  serverTcpPort: number | undefined;
  serverUdpPort: number | undefined;
  listenHost: string;
  listenTcpPort: number;
  listenUdpPort: number;
  impairment: Impairment;
  direction: RelayDirection;
  seed: number;
}

/** Flags -> options, each checked with a message that names the flag. */
export function linkOptions(argv: string[]): LinkOptions | 'help' {
  const v = parseFlags('link', argv, OPTIONS);
  if (v.help) return 'help';
  if (v['no-tcp'] && v['no-udp']) throw new CharlaError('ERR_BAD_OPTION', '--no-tcp and --no-udp together leave nothing to relay');
  const direction = v.direction ?? 'both';
  if (direction !== 'both' && direction !== 'down') throw new CharlaError('ERR_BAD_OPTION', `--direction is both or down, not "${direction}"`);
  return {
    serverHost: v.host ?? '127.0.0.1',
    serverTcpPort: v['no-tcp'] ? undefined : parsePort(v['tcp-port'], '--tcp-port', 5000),
    serverUdpPort: v['no-udp'] ? undefined : parsePort(v['udp-port'], '--udp-port', 5001),
    listenHost: v['listen-host'] ?? '127.0.0.1',
    listenTcpPort: parsePort(v['listen-tcp-port'], '--listen-tcp-port', 5010),
    listenUdpPort: parsePort(v['listen-udp-port'], '--listen-udp-port', 5011),
    impairment: validateImpairment({
      lossPct: parseNumber(v.loss, '--loss', 0, 0, 100),
      delayMs: parseNumber(v.delay, '--delay', 0, 0, 60_000),
      jitterMs: parseNumber(v.jitter, '--jitter', 0, 0, 60_000),
      duplicatePct: parseNumber(v.duplicate, '--duplicate', 0, 0, 100),
      reorderPct: parseNumber(v.reorder, '--reorder', 0, 0, 100),
    }),
    direction,
    seed: parseCount(v.seed, '--seed', 1),
  };
}

/** The closing summary: what crossed the link and what it did to it. */
export function describeCounters(c: RelayCounters, direction: RelayDirection): string {
  const up = direction === 'both' ? `, ${c.udpUpDropped} lost` : '';
  return (
    `UDP: ${c.udpFromClients} datagrams to the server${up}; ${c.udpFromServer} to the clients, ` +
    `${c.udpDropped} lost, ${c.udpDuplicated} duplicated. TCP: ${c.tcpChunksHeld} chunks held back.`
  );
}

export async function run(argv: string[]): Promise<number> {
  const opts = linkOptions(argv);
  if (opts === 'help') {
    console.log(HELP);
    return 0;
  }
  let relay;
  try {
    relay = await startRelay({ ...opts });
  } catch (err) {
    // The UDP socket binds first, then the TCP listener: the error's port says which failed.
    const udp = opts.serverUdpPort !== undefined && (err as { port?: number }).port === opts.listenUdpPort && (err as { syscall?: string }).syscall === 'bind';
    const [what, port, flag] = udp ? ['UDP', opts.listenUdpPort, '--listen-udp-port'] : ['TCP', opts.listenTcpPort, '--listen-tcp-port'];
    const mapped = listenError(err, `the link's ${what}`, opts.listenHost, port, flag);
    if (mapped instanceof CharlaError && mapped.code === 'ERR_BAD_HOST') {
      throw new CharlaError('ERR_BAD_HOST', `cannot listen on ${opts.listenHost}: it is not an address of this machine (--listen-host)`, { cause: err });
    }
    throw mapped;
  }
  const where = [
    relay.tcpPort === undefined ? undefined : `TCP ${opts.listenHost}:${relay.tcpPort} -> ${opts.serverHost}:${opts.serverTcpPort}`,
    relay.udpPort === undefined ? undefined : `UDP ${opts.listenHost}:${relay.udpPort} -> ${opts.serverHost}:${opts.serverUdpPort}`,
  ].filter((x) => x !== undefined);
  const hits = opts.direction === 'both' ? 'datagrams both ways' : "the server's datagrams";
  console.log(`charla link: ${where.join(', ')}; ${describeImpairment(opts.impairment)} on ${hits}, seed ${opts.seed}. Ctrl+C to stop.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await relay.close();
  console.log(`charla link: ${describeCounters(relay.counters, opts.direction)}`);
  return 0;
}
