#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * `charla`: dispatches to one subcommand per file. Each subcommand exports
 * `run(argv): Promise<number>` (the exit code). A CharlaError is printed as one line and exits 2;
 * anything else is a bug and keeps its stack.
 *
 * The shebang caps V8's young generation at 2 MiB a semi-space (the default lets it grow to
 * 16 MiB, and a burst of thousands of connections makes it grow): with it, an idle user costs
 * the server about 3 KiB instead of 6 (README, Performance). `node dist/src/cli/main.js` works
 * too: `charla server` then stops the growth itself (util/heap.ts).
 */
import { CharlaError } from '../util/errors.js';
import { VERSION } from '../util/version.js';

type Subcommand = { run(argv: string[]): Promise<number> };

const SUBCOMMANDS: Record<string, { summary: string; load: () => Promise<Subcommand> }> = {
  server: { summary: 'run a chat server (TCP 5000 + UDP 5001)', load: () => import('./server.js') },
  client: { summary: 'chat from this terminal (TCP, or UDP with --udp)', load: () => import('./client.js') },
  compare: { summary: 'measure TCP against UDP, on a clean or impaired network', load: () => import('./compare.js') },
  bench: { summary: 'load-test a chat server (charla, or IRC servers with --proto irc)', load: () => import('./bench.js') },
  link: { summary: "the lab's lossy link between a server and its clients, to chat through", load: () => import('./link.js') },
  check: { summary: 'grade a TP 4.2 chat server (or a folder of them) and explain each failure', load: () => import('./check.js') },
};

function usage(): string {
  const lines = [
    `charla ${VERSION}: a TCP/UDP chat and a lab to see how TCP and UDP differ`,
    '',
    'Usage: charla <command> [options]     (charla <command> --help for its options)',
    '',
    ...Object.entries(SUBCOMMANDS).map(([name, { summary }]) => `  ${name.padEnd(9)} ${summary}`),
  ];
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // SIGUSR1 would make Node open its inspector on 127.0.0.1:9229, where any local user could
  // attach and run code as ours: no charla command opens one unless started with --inspect.
  // (A listener is enough to stop Node from doing it; `charla server` adds one that logs.)
  process.on('SIGUSR1', ignoreSignal);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(VERSION);
    return 0;
  }
  const sub = SUBCOMMANDS[name];
  if (sub === undefined) {
    console.error(`charla: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await sub.load()).run(rest);
  } catch (err) {
    if (err instanceof CharlaError) {
      console.error(`charla ${name}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

function ignoreSignal(): void {}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
