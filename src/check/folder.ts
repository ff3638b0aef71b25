/**
 * Folder mode: for each file, start the server under test with `--cmd` on free loopback ports,
 * wait (bounded) for it to listen, run the scenarios, stop it. A server that exits before it
 * listens, never listens, or dies during the run is reported as such and the next file runs.
 */
import { resolve } from 'node:path';
import { type Lang, text } from '../hub/messages.js';
import { fillCommand, freePort, launch, waitListening } from './launch.js';
import { type Grade, type Rubric, grade } from './rubric.js';
import { type CheckOptions, runCheck } from './run.js';
import type { Graded } from './report.js';
import { showText } from './escape.js';

export interface FolderOptions {
  /** The command's words, with placeholders. */
  command: readonly string[];
  files: readonly string[];
  lang: Lang;
  startTimeoutMs: number;
  /** How many servers are graded at once. */
  jobs: number;
  rubric: Rubric | undefined;
  check: Partial<CheckOptions>;
  onStart?: (file: string, n: number, total: number) => void;
}

const HOST = '127.0.0.1';

export function usesPlaceholder(words: readonly string[], name: 'port' | 'udp_port'): boolean {
  return words.some((w) => w.includes(`{${name}}`));
}

export async function gradeOne(file: string, opts: FolderOptions): Promise<Graded> {
  const lang = opts.lang;
  const wantsTcp = usesPlaceholder(opts.command, 'port');
  const wantsUdp = usesPlaceholder(opts.command, 'udp_port');
  const port = wantsTcp ? await freePort('tcp', HOST) : 0;
  const udpPort = wantsUdp ? await freePort('udp', HOST) : 0;
  const argv = fillCommand(opts.command, { file: resolve(file), port, udpPort, host: HOST });
  const server = launch(argv);
  try {
    const state = await waitListening(server, HOST, { tcp: wantsTcp ? port : undefined, udp: wantsUdp ? udpPort : undefined }, opts.startTimeoutMs);
    if (state !== 'listening') {
      const lastLines = server.output().trim().split('\n').slice(-3).join('\n');
      const stateText =
        state === 'exited'
          ? text(lang, 'check_server_crashed', { code: String(server.exitCode()), stderr: showText(lastLines, 160) })
          : text(lang, 'check_server_never_listened', { seconds: Math.round(opts.startTimeoutMs / 100) / 10 });
      return { name: file, state: state === 'exited' ? 'crashed' : 'never_listened', stateText, report: undefined, grade: undefined };
    }
    const report = await runCheck({
      ...opts.check,
      lang,
      tcp: wantsTcp ? { host: HOST, port } : undefined,
      udp: wantsUdp ? { host: HOST, port: udpPort } : undefined,
    });
    const died = server.exitCode();
    const g: Grade | undefined = opts.rubric === undefined ? undefined : grade(opts.rubric, report.results);
    if (died !== undefined) return { name: file, state: 'died', stateText: text(lang, 'check_server_died', { code: String(died) }), report, grade: g };
    return { name: file, state: 'ok', stateText: text(lang, 'check_server_ok'), report, grade: g };
  } finally {
    await server.stop();
  }
}

/** Grades every file, `jobs` at a time, keeping the files' order in the result. */
export async function gradeFolder(opts: FolderOptions): Promise<Graded[]> {
  const out = new Array<Graded>(opts.files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.files.length) {
      const i = next++;
      const file = opts.files[i] as string;
      opts.onStart?.(file, i + 1, opts.files.length);
      out[i] = await gradeOne(file, opts);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, opts.files.length)) }, worker));
  return out;
}
