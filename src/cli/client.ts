import { readFileSync } from 'node:fs';
import { translator } from '../hub/messages.js';
import { CONNECT_DEFAULTS, type ConnectOptions, formatTarget, openConnection } from '../client/connection.js';
import { runPipe } from '../client/pipe.js';
import { colorWanted, renderStatus } from '../client/render.js';
import { connectFailure } from '../client/session.js';
import { runTty } from '../client/tty.js';
import { CharlaError } from '../util/errors.js';
import { parseLangFlag, parsePort, parseSeconds, parseFlags } from './args.js';

const HELP = `Usage: charla client [options]

Chats from this terminal with a charla server (or, with --bare, the lab's Python servers).
On a terminal: type messages and commands; /quitar, Ctrl+C or Ctrl+D leave.
In a pipe (stdin not a terminal): each input line is a message, each received line goes to
stdout; the name is --name or the first input line.

  --host HOST          server address (default 127.0.0.1)
  --port PORT          server port (default 5000, or 5001 with --udp)
  --udp                use UDP instead of TCP
  --fiable, --reliable with --udp: reliable UDP (Selective Repeat with the server): every
                       message arrives, once and in order, or the client says the server
                       stopped acknowledging; the retransmissions are counted on leaving
  --name NAME          your name (otherwise asked, or the first input line)
  --lang es|en         language of the client's own messages (default es)
  --no-color           no colours (also: the NO_COLOR environment variable)
  --password PW        send "/pass PW" before the name (better: set CHARLA_PASSWORD,
                       which other users of this machine cannot see in the process list)
  --tls                TCP over TLS
  --ca FILE            with --tls: trust this certificate (PEM), e.g. the server's self-signed one
  --insecure           with --tls: do not check the certificate at all (warns)
  --keepalive S        with --udp: send a keep-alive after S seconds of silence (default ${CONNECT_DEFAULTS.keepaliveMs / 1000}; 0 = off)
  --bare               talk to the lab's Python servers (servidor_chat.py, servidor_udp.py):
                       no newlines, paced sends, no welcome awaited, no keep-alives

Exit codes: 0 left normally; 1 the server closed or went away; 2 bad option or could not
connect; 3 name (or password) refused (pipe mode).
`;

/** How long the server has to answer a name, and to close after /quitar (pipe, terminal). */
const ANSWER_MS = 5000;
const QUIT_PIPE_MS = 3000;
const QUIT_TTY_MS = 1500;

/** `charla client`: connects, then runs the interactive or the pipe front end. */
export async function run(argv: string[]): Promise<number> {
  const values = parseFlags('client', argv, {
    udp: { type: 'boolean' },
    fiable: { type: 'boolean' },
    reliable: { type: 'boolean' },
    host: { type: 'string' },
    port: { type: 'string' },
    name: { type: 'string' },
    lang: { type: 'string' },
    'no-color': { type: 'boolean' },
    bare: { type: 'boolean' },
    password: { type: 'string' },
    tls: { type: 'boolean' },
    ca: { type: 'string' },
    insecure: { type: 'boolean' },
    keepalive: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const t = translator(parseLangFlag(values.lang));
  const udp = values.udp === true;
  const bare = values.bare === true;
  const connect = connectOptions(values, udp, bare);
  const reliable = connect.reliable;
  const password = values.password ?? process.env['CHARLA_PASSWORD'];
  if (password !== undefined && password.length === 0) throw bad('the password cannot be empty (--password or CHARLA_PASSWORD)');
  if (password !== undefined && bare) throw bad("--bare cannot send a password: the lab's Python servers have none (unset CHARLA_PASSWORD)");
  if (connect.tls?.insecure) process.stderr.write(`${t('client_tls_insecure')}\n`);

  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const render = { color: colorWanted(interactive, values['no-color'] === true, process.env), you: t('client_you') };
  const target = formatTarget(connect.host, connect.port);
  if (interactive) process.stdout.write(`${renderStatus(t('client_connecting', { target: `${udp ? 'udp' : connect.tls ? 'tls' : 'tcp'}://${target}` }), render)}\n`);
  const conn = await openConnection(connect).catch((err: unknown) => {
    throw connectFailure(t, target, err, connect.tls !== undefined);
  });
  const stop = leaveOnSignals();
  const common = { name: values.name, password, t, answerMs: ANSWER_MS, stop };
  const code = interactive
    ? await runTty(conn, { ...common, render, quitMs: QUIT_TTY_MS, input: process.stdin, output: process.stdout })
    : await runPipe(conn, { ...common, quitMs: QUIT_PIPE_MS, input: process.stdin, output: process.stdout, errors: process.stderr });
  const stats = reliable ? conn.arqStats?.() : undefined;
  if (stats !== undefined) {
    // On leaving: what reliability cost (stderr in pipe mode, so stdout keeps only the chat).
    const line = t('client_arq_stats', { sent: stats.sent, retransmissions: stats.retransmissions, delivered: stats.delivered, duplicates: stats.duplicatesDiscarded });
    if (interactive) process.stdout.write(`${renderStatus(line, render)}\n`);
    else process.stderr.write(`${line}\n`);
  }
  return code;
}

/**
 * SIGINT, SIGTERM and SIGHUP (a closed terminal window) leave cleanly, /quitar included: over UDP
 * nothing else would tell the server, which would keep the name until its silence timeout. A
 * second signal exits at once. (At a terminal, Ctrl+C is a key to readline, not a signal.)
 */
function leaveOnSignals(): AbortSignal {
  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      controller.abort();
      process.once(signal, () => process.exit(1));
    });
  }
  return controller.signal;
}

function bad(message: string): CharlaError {
  return new CharlaError('ERR_BAD_OPTION', message);
}

type Values = {
  fiable?: boolean | undefined;
  reliable?: boolean | undefined;
  host?: string | undefined;
  port?: string | undefined;
  tls?: boolean | undefined;
  ca?: string | undefined;
  insecure?: boolean | undefined;
  keepalive?: string | undefined;
};

/** The connection's options from the flags, each combination that cannot work refused by name. */
export function connectOptions(values: Values, udp: boolean, bare: boolean): ConnectOptions {
  const port = parsePort(values.port, '--port', udp ? 5001 : 5000); // seed: 5000 TCP, 5001 UDP
  if (port === 0) throw bad('--port must be the server\'s port, from 1 to 65535, not 0');
  const host = values.host ?? '127.0.0.1';
  if (host.trim() === '') throw bad('--host cannot be empty');
  if (values.tls && udp) throw bad('--tls is for TCP: it cannot be used with --udp');
  if (values.tls && bare) throw bad("--tls cannot be used with --bare: the lab's Python servers have no TLS");
  if ((values.ca !== undefined || values.insecure) && !values.tls) throw bad('--ca and --insecure go with --tls');
  if (values.ca !== undefined && values.insecure) throw bad('use either --ca FILE (check against this certificate) or --insecure (no check), not both');
  if (values.keepalive !== undefined && !udp) throw bad('--keepalive is for --udp (a TCP connection needs none)');
  const reliable = values.fiable === true || values.reliable === true;
  if (reliable && !udp) throw bad('--fiable (--reliable) is reliable UDP: use it with --udp (TCP is reliable already)');
  if (reliable && bare) throw bad("--fiable cannot be used with --bare: the lab's Python servers do not speak ARQ");
  if (values.keepalive !== undefined && bare) {
    throw bad("--keepalive cannot be used with --bare: the lab's UDP server would relay each keep-alive as an empty message");
  }
  return {
    ...CONNECT_DEFAULTS,
    transport: udp ? 'udp' : 'tcp',
    host,
    port,
    bare,
    reliable,
    tls: values.tls ? { ca: values.ca === undefined ? undefined : readCa(values.ca), insecure: values.insecure === true } : undefined,
    // seed: its UDP server would relay an empty datagram, so --bare sends no keep-alives.
    keepaliveMs: bare ? 0 : parseSeconds(values.keepalive, '--keepalive', CONNECT_DEFAULTS.keepaliveMs),
  };
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CharlaError('ERR_BAD_OPTION', `--ca: cannot read ${file} (${(err as { code?: string }).code ?? String(err)})`, { cause: err });
  }
}
