#!/usr/bin/env node
// Micro-benchmark of charla's hot path (decode -> hub -> encode -> batched write), no sockets.
// Build first (npx tsc -p .), then: node bench/hot-path.mjs [a|b ...] [--repeat N]
// Prints one JSON line per run on stdout, a summary on stderr. Source: src/bench/hot-path.ts.
// Runs under the Node flags of the `charla` command's shebang (as the server runs), re-executing
// itself with them when they are missing.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cliNodeFlags } from '../dist/src/bench/server-process.js';

const flags = cliNodeFlags().filter((f) => !process.execArgv.includes(f));
if (flags.length > 0) {
  const r = spawnSync(process.execPath, [...process.execArgv, ...flags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} else {
  const { main } = await import('../dist/src/bench/hot-path.js');
  process.exitCode = await main(process.argv.slice(2));
}
