import v8 from 'node:v8';
import vm from 'node:vm';

/** The flag of the `charla` command's shebang that caps V8's young generation. */
const SEMI_SPACE_FLAG = '--max-semi-space-size';

/**
 * Keeps V8's young generation small in a server started without the `charla` command's
 * `--max-semi-space-size` (as `node dist/src/cli/main.js server`, say). A burst of thousands of
 * connections makes V8 grow the young generation from 1 MiB to 16 MiB a semi-space and keep it,
 * about 30 MB more resident memory for nothing; the shebang caps it at 2 MiB. The cap can only
 * be set at start-up, but how much the space grows is read at each collection, so without the
 * flag the growth factor is set to 1 instead: the space stays at its initial size. With the flag
 * given (command line or NODE_OPTIONS), the user's choice stands. Returns whether it acted.
 */
export function capYoungGeneration(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env['NODE_OPTIONS'] ?? ''): boolean {
  if (execArgv.some((a) => a.startsWith(SEMI_SPACE_FLAG)) || nodeOptions.includes(SEMI_SPACE_FLAG)) return false;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}

/**
 * A full garbage collection, now: `gc()` of `--expose-gc`, which a server not started with that
 * flag gets by setting it and reading `gc` in a fresh context (the flag only adds the function
 * to contexts made after it). For moments that leave much garbage and precede a long idle time,
 * such as the end of the warm-up: its tens of MB are released before the first user comes,
 * instead of staying resident until some later collection.
 */
export function collectGarbage(): void {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') {
    (exposed as () => void)();
    return;
  }
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}
