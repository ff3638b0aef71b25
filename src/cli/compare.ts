import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CharlaError } from '../util/errors.js';
import { ARQ_PROTOCOLS, type ArqProtocol, ArqConfigError } from '../protocol/arq/index.js';
import { parseDropScript } from '../lab/arq-link.js';
import { type ArqCompareOptions, type ArqCompareOutcome, arqNotes, runArqCompare } from '../lab/arq-compare.js';
import { type ArqReport, formatArqTable } from '../lab/arq-result.js';
import { arqConfigOf } from '../lab/arq-run.js';
import { formatSweepTable, parseSweep, runArqSweep, type SweepReport, type SweepSpec } from '../lab/arq-sweep.js';
import { describeImpairment, type Impairment, validateImpairment } from '../lab/impairment.js';
import { newRunId } from '../lab/payload.js';
import { cleanupLeftovers, kernelModeProblem } from '../lab/netns.js';
import { COMPARE_DEFAULTS, COMPARE_LIMITS, type CompareOptions, LAB_PROTOCOLS, type LabProtocol, type ModeRequest } from '../lab/options.js';
import { MIN_PAYLOAD_BYTES } from '../lab/payload.js';
import { ProgressBar } from '../lab/progress.js';
import { type ArqSection, protocolName } from '../lab/arq-report.js';
import { arqLadder } from '../lab/ladder.js';
import { writeReport } from '../lab/report.js';
import { runCompare } from '../lab/run.js';
import { formatTable } from '../lab/table.js';
import { parseCount, parseNumber, parsePort, parseFlags } from './args.js';

const D = COMPARE_DEFAULTS;

const HELP = `Usage: charla compare [options]

Sends the same numbered, timestamped messages over TCP and over UDP, from one sender to R
receivers each, and shows side by side what arrived, what was lost, duplicated or late, and
how long it took. By default it starts its own servers on loopback; see the README's
"TCP vs UDP: see it yourself" section.

What to send:
  --messages K        messages per sender (default ${D.messages})
  --receivers R       receivers per protocol (default ${D.receivers})
  --size BYTES        bytes per message, ${MIN_PAYLOAD_BYTES} to ${COMPARE_LIMITS.sizeBytes[1]} (default ${D.sizeBytes})
  --rate N            messages a second per sender (default ${D.ratePerSec}, what a normal server accepts);
                      max: as fast as each protocol allows (ARQ: the window is the limit)

Protocols:
  --protocols LIST    any of tcp,udp,sw,gbn,sr (default tcp,udp). tcp and udp go through the chat
                      server; sw (stop-and-wait), gbn (Go-Back-N) and sr (Selective Repeat) are
                      ARQ over UDP, sender to receiver across an impaired link
  --window N          ARQ window (gbn and sr; default 8; sw is always 1)
  --seq-bits B        bits of the sequence numbers (default: sw 1, gbn and sr 8)
  --rto MS            fixed retransmission timeout (default: RFC 6298's estimate, 200 ms floor)
  --unsafe-window     allow a window the sequence space cannot tell apart (to see why the rule exists)
  --direction D       what the impairment hits for ARQ: both (DATA and ACKs, default) or data
                      (also in kernel mode, where both ends of the link then impair)
  --drop LIST         drop chosen datagrams, counted from 1 per direction: data:3,ack:5,ack:7-9
  --sweep P=LIST      run the ARQ protocols once per value, goodput against the formula:
                      window=1,2,4,8,16 (gbn, sr) or delay=0,25,50,100 (ms each way)

Network impairment (server -> clients):
  --loss PCT          lose this share of packets
  --delay MS          delay every packet
  --jitter MS         vary the delay by up to ± this much (needs --delay)
  --duplicate PCT     send this share of packets twice
  --reorder PCT       send this share without the delay, so they overtake (needs --delay)
  --kernel            real kernel impairment in network namespaces (root; tc netem, or nftables)
  --relay             user-space relay (no root; TCP gets delay and jitter only)
                      (default: --kernel when root and impaired, else --relay)
  --seed N            seed of the relay's random choices (default ${D.seed})

Which server:
  --host ADDR         measure a running charla server instead of the lab's own
  --tcp-port PORT     its TCP port (default 5000)
  --udp-port PORT     its UDP port (default 5001)

Output:
  --json              print one JSON object (documented in the README) instead of the table
  --capture           record the run's packets (tcpdump or tshark) and summarise them
  --report DIR        write DIR/index.html (charts) and DIR/result.json
  --cleanup           remove network namespaces left by a crashed kernel-mode run, and exit
`;

/** `charla compare`: runs the TCP-vs-UDP lab and prints the table, or JSON. */
export async function run(argv: string[]): Promise<number> {
  const values = parseFlags('compare', argv, {
    messages: { type: 'string' },
    receivers: { type: 'string' },
    size: { type: 'string' },
    rate: { type: 'string' },
    loss: { type: 'string' },
    delay: { type: 'string' },
    jitter: { type: 'string' },
    duplicate: { type: 'string' },
    reorder: { type: 'string' },
    kernel: { type: 'boolean' },
    relay: { type: 'boolean' },
    seed: { type: 'string' },
    host: { type: 'string' },
    'tcp-port': { type: 'string' },
    'udp-port': { type: 'string' },
    json: { type: 'boolean' },
    capture: { type: 'boolean' },
    report: { type: 'string' },
    cleanup: { type: 'boolean' },
    protocols: { type: 'string' },
    window: { type: 'string' },
    'seq-bits': { type: 'string' },
    rto: { type: 'string' },
    'unsafe-window': { type: 'boolean' },
    direction: { type: 'string' },
    drop: { type: 'string' },
    sweep: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.cleanup) return cleanup();
  const opts = toOptions(values);
  if (opts.reportDir !== undefined) await mkdir(opts.reportDir, { recursive: true });

  const controller = new AbortController();
  const interrupt = (): void => {
    // A second Ctrl+C means "now": the exit hook still removes kernel mode's namespaces.
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new CharlaError('ERR_UNAVAILABLE', 'interrupted'));
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, interrupt);
  const bar = process.stderr.isTTY ? new ProgressBar(process.stderr, opts.messages) : undefined;
  const note = (line: string): void => {
    bar?.clear();
    if (!values.json) console.error(`charla compare: ${line}`);
  };
  const chat = opts.protocols.includes('tcp') || opts.protocols.includes('udp');
  const arqProtocols = opts.protocols.filter((p): p is ArqProtocol => (ARQ_PROTOCOLS as readonly string[]).includes(p));
  try {
    const outcome = chat ? await runCompare(opts, { signal: controller.signal, onProgress: (p) => bar?.update(p), onNote: note }) : undefined;
    bar?.clear();
    const arqOpts: ArqCompareOptions = {
      protocols: arqProtocols,
      runId: outcome?.result.run.runId ?? newRunId(),
      messages: opts.messages,
      sizeBytes: opts.sizeBytes,
      rate: opts.rateMax ? 'max' : opts.ratePerSec,
      impairment: opts.impairment,
      seed: opts.seed,
      settings: opts.arq,
      mode: opts.mode,
    };
    let sweep: SweepReport | undefined;
    let arq: ArqCompareOutcome | undefined;
    if (arqProtocols.length > 0 && opts.sweep !== undefined) {
      const swept = await runArqSweep(arqOpts, opts.sweep, note, controller.signal);
      sweep = swept.sweep;
      arq = { report: swept.report, results: [], records: [], analyses: [] };
    } else if (arqProtocols.length > 0) arq = await runArqCompare(arqOpts, note, controller.signal);
    const extraNotes = arq === undefined ? [] : [...arqModeNotes(opts, arq.report), ...arqNotes(arq.results)];
    const json: Record<string, unknown> = outcome !== undefined ? { ...outcome.result } : arqOnlyHeader(opts, arq?.report);
    if (arq !== undefined) {
      json.arq = arq.report;
      for (const r of arq.results) json[r.protocol] = r;
      if (sweep !== undefined) json.sweep = sweep;
      json.notes = [...((json.notes as string[] | undefined) ?? []), ...extraNotes];
    }
    if (values.json) console.log(JSON.stringify(json, null, 2));
    else {
      const parts: string[] = [];
      if (outcome !== undefined) parts.push(formatTable(outcome.result));
      if (sweep !== undefined) parts.push(formatSweepTable(sweep));
      else if (arq !== undefined) parts.push(formatArqTable(arq.results, arq.report));
      if (arq !== undefined && (outcome === undefined || extraNotes.length > 0)) parts.push(extraNotes.map((n) => `note: ${n}`).join('\n'));
      console.log(parts.filter((p) => p !== '').join('\n\n'));
    }
    if (opts.reportDir !== undefined && (outcome !== undefined || arq !== undefined)) {
      const ladders = [
        ...(outcome?.tcpLadder !== undefined ? [outcome.tcpLadder] : []),
        ...(arq?.records ?? []).map((r) => arqLadder(r.protocol, `${protocolName(r.protocol)} (${r.protocol}, window ${r.config.window})`, r.trace)),
      ];
      const section: ArqSection | undefined =
        arq === undefined && ladders.length === 0 ? undefined : { report: arq?.report ?? emptyArqReport(opts), results: arq?.results ?? [], ladders, sweep, notes: extraNotes };
      const page = await writeReport(opts.reportDir, outcome === undefined ? undefined : { result: outcome.result, analyses: outcome.analyses }, section, json);
      console.error(`charla compare: report written to ${page}`);
    }
    return 0;
  } catch (err) {
    bar?.clear();
    if (controller.signal.aborted) {
      console.error('charla compare: interrupted; everything the run had set up was removed');
      return 130;
    }
    throw err;
  } finally {
    for (const s of signals) process.off(s, interrupt);
  }
}

type Values = Record<string, string | boolean | undefined>;

/** The ARQ settings shown beside TCP's ladder when no ARQ protocol ran. */
function emptyArqReport(opts: CompareOptions): ArqReport {
  return {
    settings: { direction: opts.arq.direction, rate: opts.rateMax ? 'max' : opts.ratePerSec, rtoMs: null, drops: { data: [], ack: [] }, linkRateBitsPerSec: 0, impairment: opts.impairment, unavailable: [], mode: 'relay' },
  };
}

/** The JSON's head when only ARQ protocols ran (no chat server, so no tcp or udp object). */
function arqOnlyHeader(opts: CompareOptions, report: ArqReport | undefined): Record<string, unknown> {
  const mode = report?.settings.mode ?? 'relay';
  return {
    mode,
    impairment: {
      ...(report?.settings.impairment ?? opts.impairment),
      direction: opts.arq.direction,
      seed: mode === 'relay' ? opts.seed : null,
      requested: opts.impairment,
      unavailable: report?.settings.unavailable ?? [],
    },
    run: { messages: opts.messages, receivers: 1, sizeBytes: opts.sizeBytes, ratePerSec: opts.rateMax ? 'max' : opts.ratePerSec },
    notes: [],
    capture: null,
  };
}

function arqModeNotes(opts: CompareOptions, report: ArqReport): string[] {
  const s = report.settings;
  const what = `impairment: ${describeImpairment(s.impairment)}, ${opts.arq.direction === 'both' ? 'on DATA and ACKs' : 'on DATA only'}`;
  if (s.mode === 'relay') {
    return [`ARQ protocols run sender to receiver over the lab's user-space link on loopback (${what}); the seed ${opts.seed} gives each protocol the same random choices`];
  }
  const notes = [
    `ARQ protocols run sender to receiver across a veth link between two network namespaces, impaired by the kernel (${s.mode === 'kernel-netem' ? 'tc netem' : 'nftables'}; ${what})` +
      `${opts.arq.drops.data.size + opts.arq.drops.ack.size > 0 ? '; --drop is applied by the ends, which do not put those datagrams on the wire' : ''}`,
  ];
  if (s.unavailable.length > 0) notes.push(`this kernel has no netem: ${s.unavailable.map((k) => `--${k.replace(/(Ms|Pct)$/, '')}`).join(', ')} cannot be applied to the ARQ protocols in kernel-nftables mode (use --relay for them)`);
  return notes;
}

/** Flags -> options, each checked with a message that names the flag. */
export function toOptions(values: Values): CompareOptions {
  const str = (k: string): string | undefined => values[k] as string | undefined;
  if (values.kernel && values.relay) throw new CharlaError('ERR_BAD_OPTION', 'choose one of --kernel and --relay');
  const mode: ModeRequest = values.kernel ? 'kernel' : values.relay ? 'relay' : 'auto';
  const impairment: Impairment = validateImpairment({
    lossPct: parseNumber(str('loss'), '--loss', 0, 0, 100),
    delayMs: parseNumber(str('delay'), '--delay', 0, 0, 60_000),
    jitterMs: parseNumber(str('jitter'), '--jitter', 0, 0, 60_000),
    duplicatePct: parseNumber(str('duplicate'), '--duplicate', 0, 0, 100),
    reorderPct: parseNumber(str('reorder'), '--reorder', 0, 0, 100),
  });
  const L = COMPARE_LIMITS;
  const messages = wholeIn(str('messages'), '--messages', D.messages, L.messages);
  const rateMax = str('rate') === 'max';
  const ratePerSec = rateMax ? L.ratePerSec[1] : parseNumber(str('rate'), '--rate', D.ratePerSec, L.ratePerSec[0], L.ratePerSec[1]);
  const protocols = parseProtocols(str('protocols'));
  const arq = arqSettings(values, protocols);
  const sweep = str('sweep') === undefined ? undefined : sweepOf(str('sweep') as string, protocols, arq);
  if (((messages - 1) / ratePerSec) * 1000 > L.maxSendingMs) {
    throw new CharlaError('ERR_BAD_OPTION', `--messages ${messages} at --rate ${ratePerSec} would take over an hour: send fewer or faster`);
  }
  const wantsTarget = str('host') !== undefined || str('tcp-port') !== undefined || str('udp-port') !== undefined;
  const reportDir = str('report') === undefined ? undefined : resolve(str('report') as string);
  return {
    ...D,
    target: wantsTarget
      ? { host: str('host') ?? '127.0.0.1', tcpPort: parsePort(str('tcp-port'), '--tcp-port', 5000), udpPort: parsePort(str('udp-port'), '--udp-port', 5001) }
      : undefined,
    messages,
    receivers: wholeIn(str('receivers'), '--receivers', D.receivers, L.receivers),
    sizeBytes: wholeIn(str('size'), '--size', D.sizeBytes, [MIN_PAYLOAD_BYTES, L.sizeBytes[1]]),
    ratePerSec,
    impairment,
    mode,
    seed: parseCount(str('seed'), '--seed', D.seed),
    captureFile: values.capture ? captureFileName(reportDir) : undefined,
    reportDir,
    protocols,
    rateMax,
    arq,
    sweep,
  };
}

/** `--sweep`, checked against the protocols: every value must make a valid configuration. */
function sweepOf(text: string, protocols: LabProtocol[], arq: CompareOptions['arq']): SweepSpec {
  let spec: SweepSpec;
  try {
    spec = parseSweep(text);
  } catch (err) {
    throw new CharlaError('ERR_BAD_OPTION', `--sweep: ${err instanceof Error ? err.message : String(err)}`);
  }
  const arqProtocols = protocols.filter((p): p is ArqProtocol => (ARQ_PROTOCOLS as readonly string[]).includes(p));
  if (arqProtocols.length === 0) throw new CharlaError('ERR_BAD_OPTION', '--sweep runs the ARQ protocols: name one or more with --protocols (e.g. --protocols gbn --sweep window=1,2,4,8,16)');
  if (spec.parameter === 'window') {
    if (arqProtocols.includes('sw')) throw new CharlaError('ERR_BAD_OPTION', "--sweep window: stop-and-wait's window is always 1; sweep gbn or sr (compare sw with --sweep delay=...)");
    for (const p of arqProtocols) {
      for (const w of spec.values) {
        try {
          arqConfigOf(p, { ...arq, window: w });
        } catch (err) {
          if (err instanceof ArqConfigError) throw new CharlaError('ERR_BAD_OPTION', `--sweep window=${w}: ${p}: ${err.message} (raise --seq-bits)`);
          throw err;
        }
      }
    }
  }
  return spec;
}

function parseProtocols(text: string | undefined): LabProtocol[] {
  if (text === undefined) return D.protocols;
  const list = text.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
  const bad = list.find((p) => !(LAB_PROTOCOLS as readonly string[]).includes(p));
  if (bad !== undefined || list.length === 0) {
    throw new CharlaError('ERR_BAD_OPTION', `--protocols takes a list of ${LAB_PROTOCOLS.join(', ')}, not "${bad ?? text}"`);
  }
  return LAB_PROTOCOLS.filter((p) => list.includes(p));
}

/** The ARQ flags, each checked; the window rules checked here, before anything starts. */
function arqSettings(values: Values, protocols: LabProtocol[]): CompareOptions['arq'] {
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const direction = str('direction') ?? 'both';
  if (direction !== 'both' && direction !== 'data') throw new CharlaError('ERR_BAD_OPTION', `--direction is both or data, not "${direction}"`);
  let drops = D.arq.drops;
  if (str('drop') !== undefined) {
    try {
      drops = parseDropScript(str('drop') as string);
    } catch (err) {
      throw new CharlaError('ERR_BAD_OPTION', `--drop: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const settings = {
    window: str('window') === undefined ? undefined : wholeIn(str('window'), '--window', 8, [1, 32_768]),
    seqBits: str('seq-bits') === undefined ? undefined : wholeIn(str('seq-bits'), '--seq-bits', 8, [1, 16]),
    rtoMs: str('rto') === undefined ? undefined : parseNumber(str('rto'), '--rto', 0, 1, 60_000),
    unsafeWindow: values['unsafe-window'] === true,
    direction: direction as 'both' | 'data',
    drops,
  };
  for (const p of protocols) {
    if (!(ARQ_PROTOCOLS as readonly string[]).includes(p)) continue;
    try {
      arqConfigOf(p as ArqProtocol, settings);
    } catch (err) {
      if (err instanceof ArqConfigError) throw new CharlaError('ERR_BAD_OPTION', `${p}: ${err.message}${settings.unsafeWindow ? '' : ' (--unsafe-window runs it anyway, to show the failure)'}`);
      throw err;
    }
  }
  return settings;
}

function wholeIn(value: string | undefined, flag: string, fallback: number, [min, max]: readonly [number, number]): number {
  const n = parseCount(value, flag, fallback, min);
  if (n > max) throw new CharlaError('ERR_BAD_OPTION', `${flag} must be a whole number from ${min} to ${max}, not "${value}"`);
  return n;
}

function captureFileName(reportDir: string | undefined): string {
  if (reportDir !== undefined) return resolve(reportDir, 'capture.pcap');
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return resolve(`charla-compare-${stamp}.pcap`);
}

function cleanup(): number {
  const problem = kernelModeProblem();
  if (problem !== undefined) throw new CharlaError('ERR_UNAVAILABLE', problem.replace('kernel mode needs', '--cleanup needs'));
  const removed = cleanupLeftovers();
  console.log(removed.length === 0 ? 'charla compare: nothing to clean up' : `charla compare: removed ${removed.join(', ')}`);
  return 0;
}
