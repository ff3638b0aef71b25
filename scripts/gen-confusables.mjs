#!/usr/bin/env node
// Regenerates src/hub/confusables-data.ts from Unicode's confusables.txt (UTS #39 data).
// Run by hand when moving to a newer Unicode version; the build and `npm ci` never run it (the
// generated module is committed).
//
// Usage: node scripts/gen-confusables.mjs PATH/TO/confusables.txt
//
// The file is Unicode's own, unmodified. Debian's `icu` source package carries it as
// icu/source/data/unidata/confusables.txt (`apt-get source --download-only icu` with a deb-src
// entry; bookworm's ICU 72.1 has Unicode 15.0.0); it is also published with UTS #39 itself.
//
// The output keeps every mapping line of the file (there is no subset), one per line, sorted by
// source code point, as the escapes of the source and then of its prototype inside one template
// literal (`\u05AD\u0596`): JavaScript's own parser decodes them, so the table builds in about a
// millisecond, and the table stays ASCII and greppable by code point. The header has the
// version, date and SHA-256 of the input and Unicode's copyright and permission notice.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const input = process.argv[2];
if (input === undefined) {
  console.error('usage: node scripts/gen-confusables.mjs PATH/TO/confusables.txt');
  process.exit(2);
}
const output = fileURLToPath(new URL('../src/hub/confusables-data.ts', import.meta.url));

const bytes = readFileSync(input);
const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
const sha256 = createHash('sha256').update(bytes).digest('hex');

const header = (label) => {
  const m = new RegExp(`^#\\s*${label}:\\s*(.+?)\\s*$`, 'm').exec(text);
  if (m === null) throw new Error(`no "# ${label}:" line in ${input}`);
  return m[1];
};
const version = header('Version');
const date = header('Date');
const copyright = /^#\s*(©.+?)\s*$/m.exec(text)?.[1];
if (copyright === undefined) throw new Error(`no copyright line in ${input}`);
const declaredTotal = Number(/^#\s*total:\s*(\d+)\s*$/m.exec(text)?.[1]);

const HEX = /^[0-9A-F]{4,6}$/;
const entries = new Map();
let lineNo = 0;
for (const raw of text.split(/\r?\n/)) {
  lineNo++;
  const data = raw.split('#', 1)[0].trim();
  if (data === '') continue;
  const fields = data.split(';').map((f) => f.trim());
  if (fields.length < 3) throw new Error(`line ${lineNo}: expected "source ; target ; type": ${raw}`);
  const [source, target, type] = fields;
  if (type !== 'MA') throw new Error(`line ${lineNo}: unknown mapping type ${type}`);
  if (!HEX.test(source)) throw new Error(`line ${lineNo}: the source must be one code point: ${raw}`);
  const targets = target.split(/\s+/);
  if (targets.length === 0 || !targets.every((t) => HEX.test(t))) throw new Error(`line ${lineNo}: bad target: ${raw}`);
  const cp = parseInt(source, 16);
  if (entries.has(cp)) throw new Error(`line ${lineNo}: ${source} is mapped twice`);
  // LF separates the entries of the generated table: it must not be data.
  if (cp === 0x0a || targets.some((t) => parseInt(t, 16) === 0x0a)) throw new Error(`line ${lineNo}: U+000A in the data`);
  entries.set(cp, targets.map((t) => parseInt(t, 16)));
}
if (entries.size !== declaredTotal) {
  throw new Error(`read ${entries.size} mappings, the file says "# total: ${declaredTotal}"`);
}

/** `\uXXXX` for the BMP, `\u{XXXXX}` beyond it. */
const escape = (cp) => {
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return hex.length === 4 ? `\\u${hex}` : `\\u{${hex}}`;
};
const body = [...entries]
  .sort((a, b) => a[0] - b[0])
  .map(([cp, targets]) => [cp, ...targets].map(escape).join(''))
  .join('\n');

const notice = `COPYRIGHT AND PERMISSION NOTICE

Copyright © 1991-2022 Unicode, Inc. All rights reserved.
Distributed under the Terms of Use in https://www.unicode.org/copyright.html.

Permission is hereby granted, free of charge, to any person obtaining
a copy of the Unicode data files and any associated documentation
(the "Data Files") or Unicode software and any associated documentation
(the "Software") to deal in the Data Files or Software
without restriction, including without limitation the rights to use,
copy, modify, merge, publish, distribute, and/or sell copies of
the Data Files or Software, and to permit persons to whom the Data Files
or Software are furnished to do so, provided that either
(a) this copyright and permission notice appear with all copies
of the Data Files or Software, or
(b) this copyright and permission notice appear in associated
Documentation.

THE DATA FILES AND SOFTWARE ARE PROVIDED "AS IS", WITHOUT WARRANTY OF
ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT OF THIRD PARTY RIGHTS.
IN NO EVENT SHALL THE COPYRIGHT HOLDER OR HOLDERS INCLUDED IN THIS
NOTICE BE LIABLE FOR ANY CLAIM, OR ANY SPECIAL INDIRECT OR CONSEQUENTIAL
DAMAGES, OR ANY DAMAGES WHATSOEVER RESULTING FROM LOSS OF USE,
DATA OR PROFITS, WHETHER IN AN ACTION OF CONTRACT, NEGLIGENCE OR OTHER
TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION WITH THE USE OR
PERFORMANCE OF THE DATA FILES OR SOFTWARE.

Except as contained in this notice, the name of a copyright holder
shall not be used in advertising or otherwise to promote the sale,
use or other dealings in these Data Files or Software without prior
written authorization of the copyright holder.`;

const out = `// GENERATED by scripts/gen-confusables.mjs: do not edit by hand, run the script again.
//
// Every mapping of Unicode's confusables.txt (UTS #39, Unicode Security Mechanisms):
//   Version: ${version}
//   Date: ${date}
//   SHA-256 of the input: ${sha256}
//   ${entries.size} mappings (the file's "# total")
// One mapping a line, sorted by source code point: the source code point, then its prototype
// (the string it is confusable with), as JavaScript escapes. src/hub/confusables.ts reads this
// into a Map once, on first use.
//
// The data is ${copyright.replace(/\s*\n\s*/g, ' ')}, used under this notice:
//
${notice
  .split('\n')
  .map((l) => (l === '' ? '//' : `//   ${l}`))
  .join('\n')}

/** Unicode version of the data (UTS #39 confusables.txt). */
export const CONFUSABLES_VERSION = '${version}';

/** Number of mappings in \`CONFUSABLES\`. */
export const CONFUSABLES_COUNT = ${entries.size};

/** The mappings, one a line (LF-separated): one source code point, then its prototype. */
export const CONFUSABLES = \`${body}\`;
`;

writeFileSync(output, out);
console.log(`wrote ${output}: ${entries.size} mappings, Unicode ${version}, ${Buffer.byteLength(out)} bytes`);
