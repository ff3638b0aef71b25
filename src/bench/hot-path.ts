/**
 * A micro-benchmark of the server's hot path with no sockets: bytes in -> LineDecoder -> Hub ->
 * broadcast -> StreamPeer queue -> one batched write per peer per turn. The real server
 * (`startServer`, the real TCP transport glue) is handed fake sockets through the listener's
 * 'connection' event, so whatever the transport does per chunk and per write is measured, and
 * a regression shows in seconds, without the noise of the kernel and a load generator.
 *
 * What it leaves out: syscalls, the kernel's TCP stack, libuv's polling. Its ns per delivery is
 * a floor for the real server's cost, not a prediction of its throughput.
 */
import { Duplex } from 'node:stream';
import { type ServerOptions, startServer } from '../server.js';
import { median } from './stats.js';

/** A socket with nothing behind it: counts what the server writes, delivers what we push. */
export class FakeSocket extends Duplex {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 5000;
  writtenBytes = 0;
  writes = 0;

  constructor(port: number) {
    super({ allowHalfOpen: true });
    this.remoteAddress = '127.0.0.1';
    this.remotePort = port;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.writtenBytes += chunk.length;
    this.writes++;
    done();
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: (err?: Error | null) => void): void {
    for (const { chunk } of chunks) this.writtenBytes += chunk.length;
    this.writes++;
    done();
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  setTimeout(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  /** Input from the client, as the net module hands it to 'data' listeners. */
  receive(chunk: Buffer): void {
    this.emit('data', chunk);
  }
}

export interface HotPathOptions {
  /** Users in the room. */
  peers: number;
  /** The first S users send (-1 = all). */
  senders: number;
  /** Turns measured; in each, every sender sends `perTurn` messages in one chunk. */
  turns: number;
  perTurn: number;
  /** Payload bytes per message. */
  size: number;
  /** Turns run before measuring (JIT warm-up). */
  warmupTurns: number;
  /** The line protocol on the TCP port, or IRC (NICK/USER, JOIN #bench, PRIVMSG #bench) on the IRC port. */
  proto: 'line' | 'irc';
}

const IRC_CHANNEL = '#bench';

export const HOT_PATH_DEFAULTS: HotPathOptions = { peers: 50, senders: -1, turns: 400, perTurn: 1, size: 64, warmupTurns: 100, proto: 'line' };

/** The scenarios shaped like workloads a and b. */
export const HOT_PATH_SCENARIOS: Record<string, Partial<HotPathOptions>> = {
  a: { peers: 50, senders: -1, turns: 400, perTurn: 1 },
  b: { peers: 200, senders: 10, turns: 1000, perTurn: 1 },
};

export interface HotPathResult {
  peers: number;
  senders: number;
  turns: number;
  per_turn: number;
  size: number;
  deliveries: number;
  elapsed_ms: number;
  ns_per_delivery: number;
  deliveries_per_s: number;
  /** write() calls the server made per delivery (1 = no batching at all). */
  writes_per_delivery: number;
  /** True when every receiver got exactly the bytes it should have. */
  exact: boolean;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs one measurement on a fresh server. */
export async function runHotPath(options: Partial<HotPathOptions> = {}): Promise<HotPathResult> {
  const o: HotPathOptions = { ...HOT_PATH_DEFAULTS, ...options };
  const senders = o.senders < 0 || o.senders > o.peers ? o.peers : o.senders;
  // As `charla server --bench`: no rate limit, no caps. Built loosely so the benchmark keeps
  // compiling while server options come and go.
  const serverOptions: Record<string, unknown> = {
    host: '127.0.0.1',
    tcpPort: 0,
    udp: false,
    bench: true,
    tcpOptions: { registrationTimeoutMs: 0, keepAliveMs: 0, rateLimit: undefined },
    ...(o.proto === 'irc' ? { irc: true, ircPort: 0, ircOptions: { registrationTimeoutMs: 0, keepAliveMs: 0, rateLimit: undefined, pingIntervalMs: 0 } } : {}),
  };
  const irc = o.proto === 'irc';
  const server = await startServer(serverOptions as Partial<ServerOptions>);
  const listener = irc ? server.irc?.server : server.tcp?.server;
  if (listener === undefined) throw new Error(`the server has no ${irc ? 'IRC' : 'TCP'} transport`);
  try {
    const sockets = Array.from({ length: o.peers }, (_, i) => new FakeSocket(10000 + i));
    const names = sockets.map((_, i) => `u${String(i).padStart(5, '0')}`);
    for (const [i, s] of sockets.entries()) {
      listener.emit('connection', s);
      const name = names[i] as string;
      s.receive(Buffer.from(irc ? `NICK ${name}\r\nUSER ${name} 0 * :b\r\nJOIN ${IRC_CHANNEL}\r\n` : `${name}\n`));
      await turn();
    }
    const payload = 'x'.repeat(o.size);
    const chunk = Buffer.from((irc ? `PRIVMSG ${IRC_CHANNEL} :${payload}\r\n` : `${payload}\n`).repeat(o.perTurn));
    // What each receiver gets per message: "name: payload\n", or ":name!name@irc.charla PRIVMSG #bench :payload\r\n".
    const head = (name: string): string => (irc ? `:${name}!${name}@irc.charla PRIVMSG ${IRC_CHANNEL} :` : `${name}: `);
    const lineBytes = (i: number): number => head(names[i] as string).length + o.size + (irc ? 2 : 1);

    const runTurns = async (n: number): Promise<void> => {
      for (let t = 0; t < n; t++) {
        for (let i = 0; i < senders; i++) (sockets[i] as FakeSocket).receive(chunk);
        await turn();
      }
    };
    await runTurns(o.warmupTurns);
    const before = sockets.map((s) => s.writtenBytes);
    const writesBefore = sockets.reduce((n, s) => n + s.writes, 0);
    const t0 = process.hrtime.bigint();
    await runTurns(o.turns);
    const elapsedNs = Number(process.hrtime.bigint() - t0);
    const deliveries = o.turns * o.perTurn * senders * (o.peers - 1);
    const writes = sockets.reduce((n, s) => n + s.writes, 0) - writesBefore;
    let exact = true;
    for (let r = 0; r < o.peers; r++) {
      let want = 0;
      for (let i = 0; i < senders; i++) if (i !== r) want += o.turns * o.perTurn * lineBytes(i);
      if ((sockets[r] as FakeSocket).writtenBytes - (before[r] as number) !== want) exact = false;
    }
    return {
      peers: o.peers,
      senders,
      turns: o.turns,
      per_turn: o.perTurn,
      size: o.size,
      deliveries,
      elapsed_ms: Math.round(elapsedNs / 1e4) / 100,
      ns_per_delivery: Math.round((elapsedNs / deliveries) * 10) / 10,
      deliveries_per_s: Math.round(deliveries / (elapsedNs / 1e9)),
      writes_per_delivery: Math.round((writes / deliveries) * 1000) / 1000,
      exact,
    };
  } finally {
    await server.close(50);
  }
}

/** `node bench/hot-path.mjs [a|b ...] [--repeat N]`: JSON lines first, then a summary. */
export async function main(argv: string[]): Promise<number> {
  let repeat = 5;
  let proto: 'line' | 'irc' = 'line';
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--repeat') repeat = Math.max(1, Number(argv[++i]) || 1);
    else if (arg === '--proto' && (argv[i + 1] === 'line' || argv[i + 1] === 'irc')) proto = argv[++i] as 'line' | 'irc';
    else if (arg in HOT_PATH_SCENARIOS) names.push(arg);
    else {
      process.stderr.write(`usage: hot-path [${Object.keys(HOT_PATH_SCENARIOS).join('|')} ...] [--repeat N] [--proto line|irc]\n`);
      return 2;
    }
  }
  if (names.length === 0) names.push(...Object.keys(HOT_PATH_SCENARIOS));
  const summary: string[] = [];
  let ok = true;
  for (const name of names) {
    const runs: HotPathResult[] = [];
    for (let k = 0; k < repeat; k++) {
      const r = await runHotPath({ ...HOT_PATH_SCENARIOS[name], proto });
      runs.push(r);
      process.stdout.write(`${JSON.stringify({ scenario: name, run: k + 1, ...r })}\n`);
      ok &&= r.exact;
    }
    const ns = median(runs.map((r) => r.ns_per_delivery));
    const best = Math.min(...runs.map((r) => r.ns_per_delivery));
    const first = runs[0] as HotPathResult;
    summary.push(
      `hot path ${name} (${proto}): ${first.peers} peers, ${first.senders} senders: median ${ns.toFixed(1)} ns/delivery (best ${best.toFixed(1)}), ` +
        `${(1e9 / ns / 1e6).toFixed(2)}M deliveries/s on one core, ${first.writes_per_delivery} writes/delivery${runs.every((r) => r.exact) ? '' : ', WRONG BYTES'}`,
    );
  }
  process.stderr.write(`${summary.join('\n')}\n`);
  return ok ? 0 : 1;
}
