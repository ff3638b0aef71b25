import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { sanitize } from '../../../src/protocol/sanitize.js';

/** C0 (tab included), DEL and C1: nothing of these may survive. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;

test('sanitize - plain text comes back unchanged', () => {
  for (const text of ['hola', 'mañana, ¿qué tal? ¡bien!', 'ñandú 🌮 € — «comillas»', '日本語のテキスト', 'a:b, c; /listar', '', '   ']) {
    assert.equal(sanitize(text), text);
  }
});

test('sanitize - ANSI CSI sequences are removed (colours, cursor moves, screen clears)', () => {
  assert.equal(sanitize('\u001b[31mrojo\u001b[0m'), 'rojo');
  assert.equal(sanitize('\u001b[2J\u001b[1;1Hlimpio'), 'limpio');
  assert.equal(sanitize('a\u001b[?25lb'), 'ab');
  assert.equal(sanitize('\u001b[38;5;196mx'), 'x');
  assert.equal(sanitize('\u009b31mrojo'), 'rojo', 'the 8-bit CSI too');
});

test('sanitize - OSC sequences are removed with their payload (titles, hyperlinks)', () => {
  assert.equal(sanitize('\u001b]0;título falso\u0007hola'), 'hola');
  assert.equal(sanitize('\u001b]8;;http://malo.example\u001b\\enlace\u001b]8;;\u001b\\'), 'enlace');
  assert.equal(sanitize('\u001bPdcs\u001b\\ok'), 'ok', 'DCS too');
});

test('sanitize - two-byte escapes and a lone ESC are removed', () => {
  assert.equal(sanitize('a\u001bcb'), 'ab', 'RIS (reset)');
  assert.equal(sanitize('a\u001b7b\u001b8'), 'ab', 'save/restore cursor');
  assert.equal(sanitize('fin\u001b'), 'fin');
});

test('sanitize - C0 and C1 controls and DEL are removed; a tab becomes a space', () => {
  assert.equal(sanitize('a\u0000b\u0007c\u0008d'), 'abcd');
  assert.equal(sanitize('ana: hola\rbob: mentira'), 'ana: holabob: mentira', 'a CR cannot overwrite the line');
  assert.equal(sanitize('uno\ndos'), 'unodos');
  assert.equal(sanitize('x\u007fy\u0085z\u009dw'), 'xyzw');
  assert.equal(sanitize('a\tb'), 'a b');
});

test('sanitize - bidirectional overrides, embeddings and isolates are removed', () => {
  assert.equal(sanitize('\u202eanil\u202c'), 'anil');
  assert.equal(sanitize('a\u202ab\u202bc\u202dd'), 'abcd');
  assert.equal(sanitize('\u2066x\u2067y\u2068z\u2069'), 'xyz');
  assert.equal(sanitize('a\u2028b\u2029c'), 'abc', 'line and paragraph separators');
});

// --- properties ---

/** Strings rich in escapes and controls. */
const hostile = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)),
      fc.constantFrom('\u001b', '\u001b[', '\u001b]', '\u001bP', '\u0007', '\u001b\\', '\u009b', '[31m', '\u202e', '\u2066', '\t', '\r\n'),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

test('sanitize - property: no ESC, C0, C1 or bidi control ever survives', () => {
  fc.assert(
    fc.property(hostile, (text) => {
      const clean = sanitize(text);
      assert.doesNotMatch(clean, CONTROL);
      assert.doesNotMatch(clean, BIDI);
    }),
    { numRuns: 1000 },
  );
});

test('sanitize - property: sanitizing twice is sanitizing once', () => {
  fc.assert(
    fc.property(hostile, (text) => {
      const once = sanitize(text);
      assert.equal(sanitize(once), once);
    }),
    { numRuns: 1000 },
  );
});

test('sanitize - property: text without controls is unchanged', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary', maxLength: 50 }).filter((s) => !CONTROL.test(s) && !BIDI.test(s) && !/[\u2028\u2029]/.test(s)),
      (text) => assert.equal(sanitize(text), text),
    ),
    { numRuns: 1000 },
  );
});
