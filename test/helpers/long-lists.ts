import assert from 'node:assert/strict';

/**
 * `n` distinct valid names of exactly 24 code points and 52 UTF-8 bytes each (2-, 3- and 4-byte
 * characters), so a list of them is long in bytes and any count of characters instead of bytes
 * shows.
 */
export function longNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${'ñ語𝒜é'.repeat(4)}${String(i).padStart(8, '0')}`);
}

/**
 * Asserts that `lines` are a list reply cut to `maxBytes`: each line within the bound (UTF-8,
 * no terminator), each of the form `${prefix}a, b, ...`, and together every one of `expected`
 * exactly once, in order. Returns the number of lines.
 */
export function assertListLines(lines: readonly string[], prefix: string, maxBytes: number, expected: readonly string[]): number {
  const seen: string[] = [];
  for (const [i, line] of lines.entries()) {
    assert.ok(line.startsWith(prefix), `line ${i} does not start with ${JSON.stringify(prefix)}: ${JSON.stringify(line.slice(0, 40))}`);
    const bytes = Buffer.byteLength(line, 'utf8');
    assert.ok(bytes <= maxBytes, `line ${i} is ${bytes} bytes, over ${maxBytes}`);
    seen.push(...line.slice(prefix.length).split(', '));
  }
  assert.equal(seen.length, expected.length, 'every name once');
  assert.deepEqual(seen, expected, 'every name once, in join order');
  return lines.length;
}
