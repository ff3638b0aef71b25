#!/usr/bin/env node
// Runs the compiled test files under dist/test with Node's own test runner.
// Usage: node scripts/run-tests.mjs [unit|integration|<path fragment>]
// An explicit file list keeps helpers (dist/test/helpers) from being run as tests, which a bare
// `node --test` would do for any .js file under a folder named "test".
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = 'dist/test';
const filter = process.argv[2] ?? '';

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = walk(root)
  .filter((f) => f.endsWith('.test.js') && f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`no test files under ${root} match "${filter}"`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--test-timeout=120000', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
