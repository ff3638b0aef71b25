import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Lang, text } from '../hub/messages.js';
import { CLIENT_SCENARIO_IDS, runClientCheck } from '../check/client.js';
import { gradeFolder, usesPlaceholder } from '../check/folder.js';
import { splitCommand } from '../check/launch.js';
import type { Endpoint } from '../check/probe.js';
import { formatSummary, formatTable, type Graded, toHtml, toJson, toJunit } from '../check/report.js';
import { grade, parseRubric } from '../check/rubric.js';
import { CHECK_DEFAULTS, type CheckOptions, runCheck, trafficBound } from '../check/run.js';
import { TIMING_DEFAULTS } from '../check/scenario.js';
import { SCENARIO_IDS } from '../check/scenarios.js';
import { CharlaError } from '../util/errors.js';
import { badArgs, parseCount, parseLangFlag, parseNumber } from './args.js';

const HELP = `Usage: charla check --tcp HOST:PORT [--udp HOST:PORT] [options]
       charla check --cmd "python3 {file} 127.0.0.1 {port}" FILE... [options]
       charla check --client "python3 cliente_chat.py {host} {port}" [options]

Grades a TP 4.2 chat server: runs scenarios (join notices, broadcast, /listar, /quitar, a FIN
and a RST, UTF-8, framing, duplicate names, 20 clients at once, a slow reader, a 1 MiB line,
UDP) and prints PASS, FAIL or SKIP for each, with the evidence and, for each failure, the
networking idea behind it and what to change.

Which server:
  --tcp HOST:PORT     a running server's TCP port (PORT alone means 127.0.0.1:PORT)
  --udp HOST:PORT     its UDP port (the UDP scenarios are SKIP without it)
  --cmd "COMMAND"     start each FILE's server with COMMAND on free loopback ports: {file},
                      {dir}, {host}, {port} (TCP) and {udp_port} (UDP) are filled in
  --start-timeout S   how long a started server gets to listen (default 10)
  --jobs N            servers graded at once in folder mode (default 1)

Which client (instead of a server):
  --client "COMMAND"  run a fake seed-style server on a free loopback port, start COMMAND on a
                      terminal ({host} and {port} filled in), type the name at its prompt, and
                      check what it shows and sends (client_* scenarios; needs python3 for the
                      terminal); --start-timeout is how long it gets to connect

What to run:
  --only ID,ID        run only these scenarios (the others are SKIP); ids: see the table
  --timeout S         deadline of the whole run, per server (default ${CHECK_DEFAULTS.runDeadlineMs / 1000})
  --pause MS          pause after each send in the seed's style (default ${TIMING_DEFAULTS.pauseMs})

Output:
  --lang es|en        language of the explanations (default es)
  --json              print JSON instead of the table
  --junit FILE        also write JUnit XML (one testsuite per server, one testcase per scenario)
  --rubric FILE       points per scenario or group, JSON: {"seed": 60, "robustness": 40}
  --report DIR        also write DIR/index.html, a page for the teacher
  --no-color          no colours in the table (also NO_COLOR=1, or output that is not a terminal)

Exit code: 0 when nothing failed, 1 when something failed (or a server did not start), 2 for a
usage error.
`;

/** `charla check`: grades a server (or a folder of them) and prints the results. */
export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        tcp: { type: 'string' },
        udp: { type: 'string' },
        cmd: { type: 'string' },
        client: { type: 'string' },
        'start-timeout': { type: 'string' },
        jobs: { type: 'string' },
        only: { type: 'string' },
        timeout: { type: 'string' },
        pause: { type: 'string' },
        lang: { type: 'string' },
        json: { type: 'boolean' },
        junit: { type: 'string' },
        rubric: { type: 'string' },
        report: { type: 'string' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return badArgs('check', err);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const lang = parseLangFlag(values.lang);
  const only = parseOnly(values.only, values.client === undefined ? SCENARIO_IDS : CLIENT_SCENARIO_IDS);
  const check: Partial<CheckOptions> = {
    only,
    runDeadlineMs: Math.round(parseNumber(values.timeout, '--timeout', CHECK_DEFAULTS.runDeadlineMs / 1000, 1, 3600) * 1000),
    timing: { ...TIMING_DEFAULTS, pauseMs: parseCount(values.pause, '--pause', TIMING_DEFAULTS.pauseMs) },
  };
  const rubric = values.rubric === undefined ? undefined : parseRubric(await readText(values.rubric, '--rubric'), values.rubric);
  const color = !values['no-color'] && !values.json && process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;

  let graded: Graded[];
  if (values.client !== undefined) {
    if (values.tcp !== undefined || values.udp !== undefined || values.cmd !== undefined) throw usage('--client checks a client: give it alone, without --tcp, --udp or --cmd');
    if (positionals.length > 0) throw usage(`unexpected argument "${positionals[0]}" (--client takes one command)`);
    const command = splitCommandFlag(values.client, '--client');
    if (!command.some((w) => w.includes('{port}'))) throw usage('--client must say where the client connects: {port} (and {host}), e.g. "python3 cliente_chat.py {host} {port}"');
    const report = await runClientCheck({
      ...check,
      command,
      lang,
      startMs: Math.round(parseNumber(values['start-timeout'], '--start-timeout', 10, 0.1, 600) * 1000),
    });
    const name = `client: ${values.client}`;
    graded = [{ name, state: 'ok', stateText: text(lang, 'check_server_ok'), report, grade: rubric === undefined ? undefined : grade(rubric, report.results) }];
  } else if (values.cmd !== undefined) {
    if (values.tcp !== undefined || values.udp !== undefined) throw usage('give either --cmd and files, or --tcp/--udp, not both');
    if (positionals.length === 0) throw usage('--cmd needs the files to grade after it, e.g. alumnos/*/servidor_chat.py');
    const command = splitCommandFlag(values.cmd, '--cmd');
    if (!usesPlaceholder(command, 'port') && !usesPlaceholder(command, 'udp_port')) throw usage('--cmd must say where the server listens: {port} (TCP) and/or {udp_port} (UDP)');
    graded = await gradeFolder({
      command,
      files: positionals,
      lang,
      startTimeoutMs: Math.round(parseNumber(values['start-timeout'], '--start-timeout', 10, 0.1, 600) * 1000),
      jobs: parseCount(values.jobs, '--jobs', 1, 1),
      rubric,
      check,
      onStart: (file, n, total) => {
        if (!values.json) console.error(text(lang, 'check_progress', { n, total, file }));
      },
    });
  } else {
    if (positionals.length > 0) throw usage(`unexpected argument "${positionals[0]}" (files are graded with --cmd)`);
    const tcp = values.tcp === undefined ? undefined : parseEndpoint(values.tcp, '--tcp');
    const udp = values.udp === undefined ? undefined : parseEndpoint(values.udp, '--udp');
    if (tcp === undefined && udp === undefined) throw usage('say which server to check: --tcp HOST:PORT, --udp HOST:PORT, or --cmd with files (or a client: --client "COMMAND")');
    announceTraffic(lang, tcp, udp, only);
    const report = await runCheck({ ...check, lang, tcp, udp });
    const name = [tcp && `TCP ${tcp.host}:${tcp.port}`, udp && `UDP ${udp.host}:${udp.port}`].filter(Boolean).join(', ');
    graded = [{ name, state: 'ok', stateText: text(lang, 'check_server_ok'), report, grade: rubric === undefined ? undefined : grade(rubric, report.results) }];
  }

  if (values.json) {
    if (values.cmd === undefined) {
      const g = graded[0] as Graded;
      console.log(JSON.stringify(toJson(g.report!, g.grade), null, 2));
    } else {
      const files = graded.map((g) => ({ file: g.name, state: g.state, detail: g.stateText, ...(g.report === undefined ? {} : toJson(g.report, g.grade)) }));
      console.log(JSON.stringify({ files }, null, 2));
    }
  } else if (values.cmd === undefined) {
    const g = graded[0] as Graded;
    console.log(formatTable(g.report!, { lang, color, target: g.name, grade: g.grade }));
  } else {
    for (const g of graded) {
      if (g.report === undefined) continue;
      console.log(formatTable(g.report, { lang, color, target: g.name, grade: g.grade }));
      console.log('');
    }
    console.log(formatSummary(graded, { lang, color }));
  }
  if (values.junit !== undefined) {
    await writeFile(resolve(values.junit), toJunit(graded));
    if (!values.json) console.error(text(lang, 'check_junit_written', { path: resolve(values.junit) }));
  }
  if (values.report !== undefined) {
    const dir = resolve(values.report);
    await mkdir(dir, { recursive: true });
    const page = join(dir, 'index.html');
    await writeFile(page, toHtml(graded, lang));
    if (!values.json) console.error(text(lang, 'check_report_written', { path: page }));
  }
  const bad = graded.some((g) => g.state !== 'ok' || (g.report?.failed ?? 0) > 0);
  return bad ? 1 : 0;
}

function usage(message: string): CharlaError {
  return new CharlaError('ERR_BAD_OPTION', `${message} (see charla check --help)`);
}

function parseOnly(value: string | undefined, known: readonly string[]): string[] | undefined {
  if (value === undefined) return undefined;
  const ids = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const id of ids) if (!known.includes(id)) throw usage(`--only: unknown scenario "${id}"; the ids are ${known.join(', ')}`);
  if (ids.length === 0) throw usage('--only needs at least one scenario id');
  return ids;
}

function splitCommandFlag(value: string, flag: string): string[] {
  try {
    const words = splitCommand(value);
    if (words.length === 0) throw new Error('it is empty');
    return words;
  } catch (err) {
    throw usage(`${flag}: ${(err as Error).message}`);
  }
}

/** "HOST:PORT", "[v6]:PORT" or "PORT" (127.0.0.1). */
export function parseEndpoint(value: string, flag: string): Endpoint {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value) ?? (/^(\d+)$/.test(value) ? [value, undefined, '127.0.0.1', value] : null);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !Number.isInteger(port) || port < 1 || port > 65535) throw usage(`${flag} must be HOST:PORT (or a port), not "${value}"`);
  const host = (m[1] ?? m[2] ?? '') || '127.0.0.1';
  return { host, port };
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return net.isIPv4(host) && host.startsWith('127.');
}

function announceTraffic(lang: Lang, tcp: Endpoint | undefined, udp: Endpoint | undefined, only: string[] | undefined): void {
  const remote = [tcp, udp].find((e) => e !== undefined && !isLoopback(e.host));
  if (remote === undefined) return;
  const bound = trafficBound({ tcp: tcp !== undefined, udp: udp !== undefined, only });
  console.error(text(lang, 'check_traffic_notice', { host: remote.host, kib: Math.ceil(bound.bytes / 1024), connections: bound.connections, datagrams: bound.datagrams }));
}

async function readText(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw usage(`${flag}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

