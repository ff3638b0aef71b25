#!/usr/bin/env node
// Micro-benchmark of charla's hot path (decode -> hub -> encode -> batched write), no sockets.
// Build first (npx tsc -p .), then: node bench/hot-path.mjs [a|b ...] [--repeat N]
// Prints one JSON line per run on stdout, a summary on stderr. Source: src/bench/hot-path.ts.
import { main } from '../dist/src/bench/hot-path.js';

process.exitCode = await main(process.argv.slice(2));
