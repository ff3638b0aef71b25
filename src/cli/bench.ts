import { BENCH_DEFAULTS, BENCH_PROTOS, type BenchOptions, type BenchProto, WORKLOADS } from '../bench/options.js';
import { formatProgress, formatResult } from '../bench/report.js';
import { runBench } from '../bench/run.js';
import { CharlaError } from '../util/errors.js';
import { parseCount, parseNumber, parsePort, parseSeconds, parseFlags } from './args.js';

const D = BENCH_DEFAULTS;
const HELP = `Usage: charla bench [options]

Load-tests a chat server on this machine: N users register, the first S send M messages each,
every other user must receive every message. Reports deliveries/s, latency p50/p90/p99/max,
the time until all N were registered and, with a server pid, the server's CPU and RSS per user.
Without --port it starts a charla server of its own (a child process) and measures that.
Exit code 0 only when every expected delivery arrived.

Workload:
  --workload a|b|c|d     a preset (see the README, "Performance"); the flags below override it
                           a: 50 users, all send 200 x 64 B, window 8
                           b: 200 users, 10 send 500 x 64 B, window 8
                           c: 5000 idle users (RSS per user, ready time)
                           d: 50 users, all send 100 x 64 B at 20 msg/s each (latency)
  --clients N            users (default ${D.clients})
  --senders S            the first S users send (default: all)
  --msgs M               messages per sender (default ${D.msgs}; 0 = idle test: hold, then measure RSS)
  --size BYTES           payload bytes, 32 to 3000 (default ${D.size})
  --window W             most messages of a sender not yet delivered to everyone (default ${D.window}; 0 = none)
  --rate R               messages per second per sender (default 0 = as fast as the window allows)
  --hold-s S             idle test: how long to hold the users (default ${D.holdMs / 1000})

Target:
  --host ADDR            loopback only: 127.0.0.0/8 or ::1 (default ${D.host})
  --port PORT            a server that is already running (default: start our own charla;
                         with --proto irc, on its IRC port; with --proto ws, its HTTP port)
  --port P,Q[,R...]      nodes of one chat (charla server --redis): the senders connect to P,
                         the other users to Q, R, ... in turn, so every message crosses nodes
  --proto PROTO          line: "name", then lines (charla, the seed); irc: NICK/USER/JOIN,
                         PRIVMSG (ngIRCd, InspIRCd); ws: charla's WebSocket protocol (/ws);
                         ws-raw: a bare WebSocket broadcast server; sio: the socket.io chat
                         example (chat message events) (default ${D.proto})
  --server-pid PID       read this process's CPU and RSS from /proc (automatic for our own server)
  --channel #NAME        IRC channel (default ${D.channel})
  --nick-prefix P        user names are P00000, P00001, ... (default ${D.nickPrefix})
  --line-ready welcome|write
                         when a line user is registered: on the server's "***" welcome, or as
                         soon as its name is written (servers that greet no one) (default ${D.lineReady})

Pacing and deadlines:
  --conc N               most users connecting or registering at once (default ${D.conc})
  --settle-ms MS         pause between "all registered" and the first message (default ${D.settleMs})
  --timeout-s S          deadline of the send phase (default ${D.timeoutMs / 1000})
  --connect-timeout-s S  deadline of connecting and registering (default ${D.connectTimeoutMs / 1000})
  --idle-s S             end as stalled after this long without progress (default ${D.idleMs / 1000})
  --msg-timeout-s S      a message not delivered within this long stops holding the window (default ${D.msgTimeoutMs / 1000})
  --quiesce-max-s S      idle test: longest wait for the server to go quiet (default ${D.quiesceMaxMs / 1000})
  --batch K              messages a sender writes at once (default ${D.batch})
  --threads N            generator threads (default: cores - 1, at least 1, at most 8)

Output:
  --json                 print one JSON object (fields: README, "Performance") instead of the table
  --label TEXT           a label copied into the result
  --no-progress          no progress bar (it is shown on stderr only when stderr is a terminal)
`;

/** `charla bench`: runs one load test and prints the result. */
export async function run(argv: string[]): Promise<number> {
  const values = parseFlags('bench', argv, {
    workload: { type: 'string' },
    clients: { type: 'string' },
    senders: { type: 'string' },
    msgs: { type: 'string' },
    size: { type: 'string' },
    window: { type: 'string' },
    rate: { type: 'string' },
    'hold-s': { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    proto: { type: 'string' },
    'server-pid': { type: 'string' },
    channel: { type: 'string' },
    'nick-prefix': { type: 'string' },
    'line-ready': { type: 'string' },
    conc: { type: 'string' },
    'settle-ms': { type: 'string' },
    'timeout-s': { type: 'string' },
    'connect-timeout-s': { type: 'string' },
    'idle-s': { type: 'string' },
    'msg-timeout-s': { type: 'string' },
    'quiesce-max-s': { type: 'string' },
    batch: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
    label: { type: 'string' },
    'no-progress': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  let preset: Partial<BenchOptions> = {};
  if (values.workload !== undefined) {
    const w = WORKLOADS[values.workload];
    if (w === undefined) throw new CharlaError('ERR_BAD_OPTION', `--workload must be one of ${Object.keys(WORKLOADS).join(', ')}, not "${values.workload}"`);
    preset = w;
  }
  const base: BenchOptions = { ...BENCH_DEFAULTS, ...preset };
  const proto = values.proto ?? base.proto;
  if (!isBenchProto(proto)) throw new CharlaError('ERR_BAD_OPTION', `--proto must be one of ${BENCH_PROTOS.join(', ')}, not "${proto}"`);
  const lineReady = values['line-ready'] ?? base.lineReady;
  if (lineReady !== 'welcome' && lineReady !== 'write') throw new CharlaError('ERR_BAD_OPTION', `--line-ready must be "welcome" or "write", not "${lineReady}"`);
  const opts: BenchOptions = {
    ...base,
    proto,
    lineReady,
    host: values.host ?? base.host,
    ...parsePorts(values.port, base.port),
    clients: parseCount(values.clients, '--clients', base.clients, 1),
    senders: values.senders === undefined ? base.senders : parseCount(values.senders, '--senders', 0),
    msgs: parseCount(values.msgs, '--msgs', base.msgs),
    size: parseCount(values.size, '--size', base.size),
    window: parseCount(values.window, '--window', base.window),
    rate: parseNumber(values.rate, '--rate', base.rate, 0, 1e6),
    holdMs: parseSeconds(values['hold-s'], '--hold-s', base.holdMs),
    serverPid: parseCount(values['server-pid'], '--server-pid', base.serverPid),
    channel: values.channel ?? base.channel,
    nickPrefix: values['nick-prefix'] ?? base.nickPrefix,
    conc: parseCount(values.conc, '--conc', base.conc, 1),
    settleMs: parseCount(values['settle-ms'], '--settle-ms', base.settleMs),
    timeoutMs: parseSeconds(values['timeout-s'], '--timeout-s', base.timeoutMs),
    connectTimeoutMs: parseSeconds(values['connect-timeout-s'], '--connect-timeout-s', base.connectTimeoutMs),
    idleMs: parseSeconds(values['idle-s'], '--idle-s', base.idleMs),
    msgTimeoutMs: parseSeconds(values['msg-timeout-s'], '--msg-timeout-s', base.msgTimeoutMs),
    quiesceMaxMs: parseSeconds(values['quiesce-max-s'], '--quiesce-max-s', base.quiesceMaxMs),
    batch: parseCount(values.batch, '--batch', base.batch, 1),
    threads: parseCount(values.threads, '--threads', base.threads),
    label: values.label ?? base.label,
  };

  const showProgress = process.stderr.isTTY === true && !values['no-progress'];
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let lastDraw = 0;
  try {
    const result = await runBench(opts, {
      signal: abort.signal,
      onProgress: showProgress
        ? (p) => {
            const now = Date.now();
            if (now - lastDraw < 200) return;
            lastDraw = now;
            process.stderr.write(`\r${formatProgress(p, process.stderr.columns)}\x1b[K`);
          }
        : undefined,
    });
    if (showProgress) process.stderr.write('\r\x1b[K');
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      for (const w of result.warnings) process.stderr.write(`charla bench: warning: ${w}\n`);
    } else {
      process.stdout.write(formatResult(result));
    }
    return result.end_reason === 'complete' ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** `--port P` or `--port P,Q,...` (the senders' node first, then the receivers' nodes). */
function parsePorts(value: string | undefined, fallback: number): { port: number; receiverPorts: number[] } {
  if (value === undefined) return { port: fallback, receiverPorts: [] };
  const [first, ...rest] = value.split(',').map((p) => parsePort(p.trim(), '--port', 0));
  if (rest.includes(0) || (rest.length > 0 && first === 0)) throw new CharlaError('ERR_BAD_OPTION', `--port ${value}: with several ports, each must be a server's port (not 0)`);
  return { port: first as number, receiverPorts: rest };
}

function isBenchProto(value: string): value is BenchProto {
  return (BENCH_PROTOS as readonly string[]).includes(value);
}
