import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import { within } from './within.js';

/**
 * Runs `cmd args` with stdout and stderr collected (killed by pid after the test, should it
 * outlive it); resolves its exit code and output once it exits, within `ms`.
 */
export async function runChild(t: TestContext, cmd: string, args: string[], ms = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const [code] = (await within(once(child, 'exit'), ms, `${cmd} ${args.join(' ')} to exit`)) as [number | null];
  return { code, stdout, stderr };
}
