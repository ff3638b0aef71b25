import assert from 'node:assert/strict';
import test from 'node:test';
import { colorWanted, displayWidth, NAME_COLORS, nameColor, renderLine, renderOwn, renderStatus } from '../../../src/client/render.js';

const plain = { color: false, you: 'tú' };
const color = { color: true, you: 'tú' };
const ESC = '\u001b';
const strip = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');

test('render - without colours a line is the sanitised line, byte for byte', () => {
  assert.equal(renderLine('ana: hola', plain), 'ana: hola');
  assert.equal(renderLine('*** bob se ha unido al chat ***', plain), '*** bob se ha unido al chat ***');
  assert.equal(renderLine('Usuarios: ana, bob', plain), 'Usuarios: ana, bob');
  assert.equal(renderLine('ana: hola', plain).includes(ESC), false);
});

test('render - escapes from the network never reach the terminal, with or without colours', () => {
  const hostile = `mallory: hi${ESC}[2J${ESC}]0;pwned\u0007\rana: fake${ESC}[31m \u202eevil`;
  for (const options of [plain, color]) {
    const out = renderLine(hostile, options);
    assert.equal(strip(out), 'mallory: hiana: fake evil');
    assert.equal(out.includes('\r'), false);
    assert.equal(out.includes('\u202e'), false);
    // The only escapes left are our own SGR colour codes.
    assert.equal(out.replace(/\u001b\[[0-9;]*m/g, '').includes(ESC), false);
  }
  assert.equal(renderLine(`${ESC}[31mError: fake`, plain), 'Error: fake');
});

test('render - a chat line colours the name only, in the name\'s own colour', () => {
  const out = renderLine('ana: hola', color);
  assert.equal(out, `${ESC}[1;${nameColor('ana')}mana${ESC}[0m: hola`);
});

test('render - notices, errors and private messages have their colour, names inside keep theirs', () => {
  const notice = renderLine('*** bob se ha unido al chat ***', color);
  assert.equal(notice, `${ESC}[33m*** ${ESC}[0m${ESC}[1;${nameColor('bob')}mbob${ESC}[0m${ESC}[33m se ha unido al chat ***${ESC}[0m`);
  assert.equal(renderLine('Error: el nombre «ana» ya está en uso. Escribe otro:', color), `${ESC}[31mError: el nombre «ana» ya está en uso. Escribe otro:${ESC}[0m`);
  const priv = renderLine('(privado) ana: hola', color);
  assert.ok(priv.startsWith(`${ESC}[35m(privado) ${ESC}[0m${ESC}[1;${nameColor('ana')}mana`), priv);
  assert.equal(strip(priv), '(privado) ana: hola');
  const list = renderLine('Users: ana, bob', color);
  assert.ok(list.includes(`${ESC}[1;${nameColor('bob')}mbob${ESC}[0m`), list);
  assert.equal(strip(list), 'Users: ana, bob');
});

test('render - a line that is not chat (the help) is left alone', () => {
  assert.equal(renderLine('  /listar (/list)           muestra quién está conectado', color), '  /listar (/list)           muestra quién está conectado');
});

test('render - own messages say who wrote them, and cannot be faked by a peer', () => {
  assert.equal(renderOwn('ana', 'hola', plain), 'ana (tú): hola');
  assert.equal(renderOwn('ana', 'hi', { color: false, you: 'you' }), 'ana (you): hi');
  assert.equal(renderOwn('ana', 'hola', color), `${ESC}[1;${nameColor('ana')}mana${ESC}[0m ${ESC}[2m(tú)${ESC}[0m: hola`);
  assert.equal(renderOwn('ana', `x${ESC}[2Jy`, plain), 'ana (tú): xy');
  // A peer's line always starts "name: " and a name has no spaces or "(".
  assert.equal(renderLine('ana: (tú): hola', plain).startsWith('ana (tú)'), false);
});

test('render - a name has one colour whatever its case, from a fixed palette', () => {
  assert.equal(nameColor('Ana'), nameColor('ana'));
  assert.equal(nameColor('ANA'), nameColor('ａｎａ'));
  for (const name of ['ana', 'bob', 'carol', 'dave', 'eve', 'ñandú', '李']) assert.ok(NAME_COLORS.includes(nameColor(name)));
  const used = new Set(['ana', 'bob', 'carol', 'dave', 'eve', 'frank', 'grace', 'heidi', 'ivan', 'judy'].map(nameColor));
  assert.ok(used.size >= 4, `ten names got only ${used.size} colours`);
});

test('render - status lines are dim, or red when bad, and plain without colours', () => {
  assert.equal(renderStatus('Conectado', plain), 'Conectado');
  assert.equal(renderStatus('Conectado', color), `${ESC}[2mConectado${ESC}[0m`);
  assert.equal(renderStatus('Cerrado', { ...color, bad: true }), `${ESC}[31mCerrado${ESC}[0m`);
});

test('render - colours only on a terminal, and off with --no-color, NO_COLOR or TERM=dumb', () => {
  assert.equal(colorWanted(true, false, { TERM: 'xterm' }), true);
  assert.equal(colorWanted(false, false, { TERM: 'xterm' }), false);
  assert.equal(colorWanted(true, true, { TERM: 'xterm' }), false);
  assert.equal(colorWanted(true, false, { TERM: 'xterm', NO_COLOR: '1' }), false);
  assert.equal(colorWanted(true, false, { TERM: 'xterm', NO_COLOR: '' }), true); // no-color.org: set and not empty
  assert.equal(colorWanted(true, false, { TERM: 'dumb' }), false);
});

test('render - display width counts wide characters twice and combining marks not at all', () => {
  assert.equal(displayWidth('> hola'), 6);
  assert.equal(displayWidth('ñandú'), 5);
  assert.equal(displayWidth('n\u0303'), 1);
  assert.equal(displayWidth('李明'), 4);
  assert.equal(displayWidth('😀'), 2);
});
