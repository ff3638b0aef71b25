import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Screen } from '../../../src/check/screen.js';

test('check screen - "\\r" writes over the row; the overwritten text is gone, a longer row keeps its tail', () => {
  const s = new Screen();
  s.write('> hola ñandú');
  s.write('\rbob: hey\n> ');
  assert.deepEqual(s.rows(), ['bob: heyandú', '>']);
  assert.equal(s.cursorRow(), '>');
});

test('check screen - a line editor\'s redraw: column, erase to the end, erase below; colours dropped', () => {
  const s = new Screen();
  s.write('\u001b[1G\u001b[0J> hola');
  s.write('\u001b[1G\u001b[0J\u001b[33mbob: hey\u001b[0m\n\u001b[1G\u001b[0J> hola\u001b[7G');
  assert.deepEqual(s.rows(), ['bob: hey', '> hola']);
  assert.equal(s.col, 6);
  s.write('\u001b[2D\u001b[K');
  assert.equal(s.cursorRow(), '> ho');
});

test('check screen - wide characters take two columns; sequences cut between writes still act', () => {
  const s = new Screen();
  s.write('🎉x\u001b[');
  s.write('1Gy');
  assert.equal(s.cursorRow(), 'yx'); // "y" over the emoji's first cell; "x" stays in column 2
  s.write('\u001b]0;title\u0007z');
  assert.equal(s.cursorRow(), 'yzx'); // the title is not drawn
});
