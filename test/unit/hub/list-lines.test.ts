import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { text } from '../../../src/hub/messages.js';
import { packLines } from '../../../src/hub/list-lines.js';
import { assertListLines, longNames } from '../../helpers/long-lists.js';

const usuarios = (users: string): string => text('es', 'user_list', { users });
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

test('list lines - a list that fits is the one seed line', () => {
  assert.deepEqual(packLines(['ana', 'bob', 'carla'], usuarios, 4096), ['Usuarios: ana, bob, carla']);
  assert.deepEqual(packLines([], usuarios, 4096), ['Usuarios: '], 'an empty list is still an answer');
});

test('list lines - bytes are counted in UTF-8, not characters: the bound is exact', () => {
  const names = ['ñandú', '語', '𝒜na'];
  const whole = usuarios(names.join(', '));
  assert.deepEqual(packLines(names, usuarios, bytes(whole)), [whole]);
  assert.deepEqual(packLines(names, usuarios, bytes(whole) - 1), ['Usuarios: ñandú, 語', 'Usuarios: 𝒜na']);
});

test('list lines - 700 names of 52 bytes fill as few lines as fit 4096 and 1200 bytes, every name once in order', () => {
  const names = longNames(700);
  for (const max of [4096, 1200, 200]) {
    const lines = packLines(names, usuarios, max);
    assertListLines(lines, 'Usuarios: ', max, names);
    // 10 bytes of "Usuarios: ", then 52 per name and 2 per separator: the fewest lines possible.
    const perLine = Math.floor((max - 10 + 2) / 54);
    assert.equal(lines.length, Math.ceil(700 / perLine), `${max}: ${lines.length} lines`);
  }
});

test('list lines - the English template works the same', () => {
  const names = longNames(100);
  const users = (u: string): string => text('en', 'user_list', { users: u });
  assertListLines(packLines(names, users, 1200), 'Users: ', 1200, names);
});

test('list lines - an item too long for any line gets a line of its own, never split or dropped', () => {
  // --max-line-bytes can be as small as 16: "Usuarios: " and a long name do not fit in it.
  const names = ['ana', 'ñ'.repeat(24), 'bo'];
  assert.deepEqual(packLines(names, usuarios, 16), ['Usuarios: ana', `Usuarios: ${'ñ'.repeat(24)}`, 'Usuarios: bo']);
  assert.deepEqual(packLines(names, usuarios, 1), names.map(usuarios));
});

test('list lines - property: lines hold every item once in order, within the bound, and no line could take the next item', () => {
  const item = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }).filter((s) => !s.includes(', '));
  fc.assert(
    fc.property(fc.array(item, { maxLength: 80 }), fc.integer({ min: 1, max: 600 }), (items, max) => {
      const lines = packLines(items, usuarios, max);
      if (items.length === 0) return assert.deepEqual(lines, ['Usuarios: ']);
      const groups: string[][] = [];
      let at = 0;
      for (const line of lines) {
        assert.ok(line.startsWith('Usuarios: '));
        // Rebuild each line's items by length (an item may hold ", "-free commas or spaces).
        const body = line.slice('Usuarios: '.length);
        const group: string[] = [];
        let rest = body;
        while (rest.length > 0 || group.length === 0) {
          const next = items[at++] as string;
          assert.ok(rest.startsWith(next), `${JSON.stringify(body)} should continue with ${JSON.stringify(next)}`);
          group.push(next);
          rest = rest.slice(next.length);
          if (rest.length > 0) {
            assert.ok(rest.startsWith(', '));
            rest = rest.slice(2);
          }
        }
        if (group.length > 1) assert.ok(bytes(line) <= max, `${bytes(line)} > ${max}`);
        groups.push(group);
      }
      assert.equal(at, items.length, 'every item once');
      for (let i = 0; i + 1 < groups.length; i++) {
        const fuller = usuarios([...(groups[i] as string[]), (groups[i + 1] as string[])[0] as string].join(', '));
        assert.ok(bytes(fuller) > max, 'greedy: the next item did not fit');
      }
      return undefined;
    }),
    { numRuns: 500 },
  );
});
