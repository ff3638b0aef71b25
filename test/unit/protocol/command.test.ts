import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { COMMAND_TABLE, type Command, parseCommand } from '../../../src/protocol/command.js';

test('command - a line not starting with / is a message, as it is', () => {
  for (const text of ['hola', ' /listar', 'hola /listar', 'a/b', '¿/quitar?']) {
    assert.deepEqual(parseCommand(text), { kind: 'message', text });
  }
});

test('command - the seed commands and their English aliases', () => {
  assert.deepEqual(parseCommand('/listar'), { kind: 'list' });
  assert.deepEqual(parseCommand('/list'), { kind: 'list' });
  assert.deepEqual(parseCommand('/quitar'), { kind: 'quit' });
  assert.deepEqual(parseCommand('/quit'), { kind: 'quit' });
  assert.deepEqual(parseCommand('/ayuda'), { kind: 'help' });
  assert.deepEqual(parseCommand('/help'), { kind: 'help' });
  assert.deepEqual(parseCommand('/nick ana'), { kind: 'nick', name: 'ana' });
  assert.deepEqual(parseCommand('/msg ana hola'), { kind: 'msg', to: 'ana', text: 'hola' });
});

test('command - every spelling in the table parses to its command', () => {
  for (const [spelling, name] of COMMAND_TABLE) {
    const ARGS: Record<string, string> = { nick: ' ana', msg: ' ana hola', room: ' juegos', admin: ' clave', kick: ' ana', mute: ' ana', announce: ' hola' };
    const args = ARGS[name] ?? '';
    assert.equal(parseCommand(`${spelling}${args}`).kind, name, spelling);
  }
});

test('command - command words are case-insensitive, their arguments are not changed', () => {
  assert.deepEqual(parseCommand('/LISTAR'), { kind: 'list' });
  assert.deepEqual(parseCommand('/Quitar'), { kind: 'quit' });
  assert.deepEqual(parseCommand('/HELP'), { kind: 'help' });
  assert.deepEqual(parseCommand('/Nick Ana'), { kind: 'nick', name: 'Ana' });
  assert.deepEqual(parseCommand('/MSG Bob Hola Bob'), { kind: 'msg', to: 'Bob', text: 'Hola Bob' });
});

test('command - // sends a literal slash', () => {
  assert.deepEqual(parseCommand('//listar'), { kind: 'message', text: '/listar' });
  assert.deepEqual(parseCommand('//'), { kind: 'message', text: '/' });
  assert.deepEqual(parseCommand('///x'), { kind: 'message', text: '//x' });
});

test('command - an unknown command is reported with its word, never taken as a message', () => {
  assert.deepEqual(parseCommand('/foo bar baz'), { kind: 'unknown', command: '/foo' });
  assert.deepEqual(parseCommand('/'), { kind: 'unknown', command: '/' });
  assert.deepEqual(parseCommand('/ listar'), { kind: 'unknown', command: '/' });
  assert.deepEqual(parseCommand('/listarr'), { kind: 'unknown', command: '/listarr' });
});

test('command - extra words after /listar, /quitar and /ayuda are ignored', () => {
  assert.deepEqual(parseCommand('/listar todo'), { kind: 'list' });
  assert.deepEqual(parseCommand('/quitar ya'), { kind: 'quit' });
});

test('command - /nick needs exactly one name', () => {
  assert.deepEqual(parseCommand('/nick'), { kind: 'usage', command: 'nick' });
  assert.deepEqual(parseCommand('/nick   '), { kind: 'usage', command: 'nick' });
  assert.deepEqual(parseCommand('/nick ana maria'), { kind: 'usage', command: 'nick' });
  assert.deepEqual(parseCommand('/nick   ana  '), { kind: 'nick', name: 'ana' });
});

test('command - /msg needs a name and a text; the text keeps its inner spaces', () => {
  assert.deepEqual(parseCommand('/msg'), { kind: 'usage', command: 'msg' });
  assert.deepEqual(parseCommand('/msg ana'), { kind: 'usage', command: 'msg' });
  assert.deepEqual(parseCommand('/msg ana    '), { kind: 'usage', command: 'msg' });
  assert.deepEqual(parseCommand('/msg  ana  hola   qué tal'), { kind: 'msg', to: 'ana', text: 'hola   qué tal' });
});

// --- properties ---

const KINDS: ReadonlySet<Command['kind']> = new Set(['message', 'list', 'quit', 'help', 'nick', 'msg', 'room', 'rooms', 'history', 'admin', 'kick', 'mute', 'announce', 'topic', 'usage', 'unknown']);

test('command - property: the parser never throws and always says what the line is', () => {
  const line = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.tuple(fc.constantFrom(...COMMAND_TABLE.keys(), '/', '//'), fc.string({ unit: 'binary', maxLength: 30 })).map(([c, rest]) => c + rest),
  );
  fc.assert(
    fc.property(line, (text) => {
      const command = parseCommand(text);
      assert.ok(KINDS.has(command.kind));
      if (!text.startsWith('/')) assert.deepEqual(command, { kind: 'message', text });
      if (command.kind === 'nick') assert.match(command.name, /^\S+$/);
      if (command.kind === 'msg') {
        assert.match(command.to, /^\S+$/);
        assert.notEqual(command.text.trim(), '');
      }
    }),
    { numRuns: 500 },
  );
});

test('command - /tema alone asks for the topic; with text (spaces kept inside) it sets it', () => {
  assert.deepEqual(parseCommand('/tema'), { kind: 'topic', text: undefined });
  assert.deepEqual(parseCommand('/topic   '), { kind: 'topic', text: undefined });
  assert.deepEqual(parseCommand('/tema  examen  el lunes '), { kind: 'topic', text: 'examen  el lunes' });
});
