#!/usr/bin/env node
// Builds the browser page into dist/web/: the TypeScript of web/ (and the few pure modules of
// src/ it imports) compiled by tsc into dist/web/js/, plus index.html and style.css copied as
// they are. No bundler: the browser loads the ES modules (a dozen small files on a LAN).
// Usage: node scripts/build-web.mjs [--size]   (--size: print what the browser downloads, gzipped)
import { cpSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';

const out = 'dist/web';
rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const built = spawnSync(process.execPath, [tsc, '-p', 'web/tsconfig.json'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
for (const file of ['index.html', 'style.css']) cpSync(join('web', file), join(out, file));

if (process.argv.includes('--size')) {
  const walk = (dir) => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
  let raw = 0;
  let gz = 0;
  let jsCss = 0;
  for (const file of walk(out).sort()) {
    const bytes = readFileSync(file);
    const zipped = gzipSync(bytes, { level: 9 }).length;
    raw += bytes.length;
    gz += zipped;
    if (/\.(js|css)$/.test(file)) jsCss += zipped;
    console.log(`${String(bytes.length).padStart(7)} ${String(zipped).padStart(6)}  ${file}`);
  }
  console.log(`${String(raw).padStart(7)} ${String(gz).padStart(6)}  total (bytes, gzipped); JS + CSS gzipped: ${jsCss} bytes (${(jsCss / 1024).toFixed(1)} KiB)`);
}
