import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { text } from '../../../src/hub/messages.js';
import { checkName, foldName, MAX_MARKS_PER_BASE, normalizeName, RESERVED_NAMES, reservedKey } from '../../../src/hub/names.js';
import { fakeRoom } from '../../helpers/fake-peer.js';

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);

test('names - ordinary names are accepted', () => {
  for (const name of ['ana', 'Ana', 'ana_1', 'ana.maría', 'jean-luc', "o'brien", 'Zoë', 'José', '李小龙', 'Ωμέγα', '42', 'a']) {
    assert.equal(checkName(normalizeName(name), 24), undefined, name);
  }
});

test('names - an empty name is refused', () => {
  assert.equal(checkName(normalizeName(''), 24), 'empty');
  assert.equal(checkName(normalizeName('   '), 24), 'empty');
});

test('names - the length bound counts characters (code points), not UTF-16 units', () => {
  assert.equal(checkName('a'.repeat(24), 24), undefined);
  assert.equal(checkName('a'.repeat(25), 24), 'too_long');
  assert.equal(checkName('ñ'.repeat(24), 24), undefined);
  assert.equal(checkName('𝒜'.repeat(24), 24), undefined, '24 astral letters are 48 UTF-16 units');
  assert.equal(checkName('𝒜'.repeat(25), 24), 'too_long');
});

test('names - whitespace, control characters and punctuation that would fake a line are refused', () => {
  for (const name of ['ana maria', 'ana\tmaria', 'ana\u00a0maria', 'ana\u3000maria', 'ana\u0007', 'a\u001b[31m', 'ana\u200b', 'ana:', 'ana,bob', '*** ana', '-ana', '.ana', '_ana', 'ana\u202e']) {
    assert.equal(checkName(normalizeName(name), 24), 'invalid', JSON.stringify(name));
  }
});

test('names - names that would pass for the server are reserved, in any case or width', () => {
  // "Usuarios", "Users" and "Error" would make "name: text" read as a server reply.
  for (const name of ['servidor', 'Server', 'ADMIN', 'charla', 'ｓｅｒｖｅｒ', 'Ｓｅｒｖｉｄｏｒ', 'Usuarios', 'USERS', 'Error']) {
    assert.equal(checkName(normalizeName(name), 24), 'reserved', name);
  }
  for (const name of RESERVED_NAMES) assert.equal(checkName(name, 24), 'reserved', name);
});

test('names - a reserved word with accents, trailing punctuation or another width is still reserved', () => {
  // "Error.: reconecta a 10.0.0.66" must not read as the server speaking.
  const fakes = [
    'Error.', 'ERROR-', 'Usuarios’', "usuarios'", 'servidor.', 'SERVIDOR...', 'usuarios-', 'Error_', 'error._-',
    'Érror', 'ÉRRÖR', 'E\u0301rror', 'Sérvídór', 'Ùsers', 'Ádmin.', 'tódos', 'Sýstem', 'sistéma-',
    'ｅｒｒｏｒ', 'ＥＲＲＯＲ', 'Ｕｓｕａｒｉｏｓ', 'ｓｅｒｖｉｄｏｒ.', '𝐄𝐫𝐫𝐨𝐫', '𝖀𝖘𝖚𝖆𝖗𝖎𝖔𝖘', 'ſervidor', 'ADMİN',
    'Comandos', 'commands.',
  ];
  for (const name of fakes) {
    assert.equal(checkName(normalizeName(name), 24), 'reserved', JSON.stringify(name));
  }
});

test('names - words that only start like a reserved one, or have punctuation inside, are free', () => {
  for (const name of ['errores', 'error2', 'Usuarios1', 'servidora', 'server-room', 'ad.min', 'Ana.', 'allá', 'rootkit', 'e.rror']) {
    assert.equal(checkName(normalizeName(name), 24), undefined, name);
  }
});

test('names - the reserved key folds case, width and accents and drops punctuation at both ends', () => {
  assert.equal(reservedKey('Érror.'), 'error');
  assert.equal(reservedKey('ＵＳＵＡＲＩＯＳ’'), 'usuarios');
  assert.equal(reservedKey('s.e.r'), 's.e.r', 'punctuation inside is kept');
  assert.equal(reservedKey('aña'), 'ana', 'looser than foldName: only for reserved words');
  assert.notEqual(foldName('aña'), foldName('ana'));
});

test('names - a name piling combining marks on one character is refused', () => {
  const marks = Array.from({ length: 23 }, (_, i) => String.fromCodePoint(0x300 + i)).join('');
  for (const name of ['a' + marks, 'z' + marks, 'ana' + marks.slice(0, 4) + 'b', 'q\u0323\u0302\u0301', 'ก\u0e31\u0e49\u0e48']) {
    assert.equal(checkName(normalizeName(name), 24), 'marks', JSON.stringify(name));
  }
});

test(`names - up to ${MAX_MARKS_PER_BASE} combining marks on one character are fine (Vietnamese, Thai, Hindi)`, () => {
  // Decomposed Vietnamese ệ (e + dot below + circumflex) composes under NFC; q has no
  // precomposed form, so it keeps two marks; Thai กั้ is a consonant, a vowel sign and a tone mark.
  for (const name of ['Nguye\u0323\u0302n', 'Vie\u0323\u0302t', 'q\u0323\u0302', 'กั้น', 'मोहन', 'José', 'Zoë']) {
    assert.equal(checkName(normalizeName(name), 24), undefined, JSON.stringify(name));
  }
  assert.equal(normalizeName('Vie\u0323\u0302t'), 'Việt');
});

test('hub - a name with too many marks gets its own Error line, and the next line is a new try', () => {
  const room = fakeRoom();
  const peer = room.connect();
  room.hub.input(peer, 'a' + '\u0301\u0302\u0303\u0304');
  assert.deepEqual(peer.take(), [es('name_marks', { marks: MAX_MARKS_PER_BASE })]);
  assert.match(es('name_marks', { marks: 2 }), /^Error: .*\(máximo 2\)/);
  assert.match(text('en', 'name_marks', { marks: 2 }), /^Error: .*\(at most 2\)/);
  room.hub.input(peer, 'ana');
  assert.equal(room.hub.session(peer)?.name, 'ana');
});

test('hub - /nick to a fake-server name is refused like a first name', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  room.hub.input(ana, '/nick Error.');
  assert.deepEqual(ana.take(), [es('name_reserved', { name: 'Error.' })]);
  assert.equal(room.hub.session(ana)?.name, 'ana');
});

test('names - "Ana", "ANA" and fullwidth "ａｎａ" are one name', () => {
  assert.equal(foldName('Ana'), foldName('ana'));
  assert.equal(foldName('ANA'), foldName('ana'));
  assert.equal(foldName('ａｎａ'), foldName('ana'));
  assert.equal(foldName('ＡＮＡ'), foldName('ana'));
  assert.notEqual(foldName('ana'), foldName('ana2'));
  assert.notEqual(foldName('ana'), foldName('aña'));
});

test('names - composed and decomposed accents are one name', () => {
  assert.equal(normalizeName('Jose\u0301'), 'José', 'stored in NFC');
  assert.equal(foldName(normalizeName('Jose\u0301')), foldName('JOSÉ'));
});

test('names - a name keeps the spelling its user chose', () => {
  assert.equal(normalizeName('  AnA  '), 'AnA');
});

test('hub - a bad name gets an Error line and the next line is a new try; the connection stays', () => {
  const room = fakeRoom();
  const peer = room.connect();
  const tries: Array<[string, Parameters<typeof text>[1]]> = [
    ['', 'name_empty'],
    ['ana maria', 'name_invalid'],
    ['a'.repeat(25), 'name_too_long'],
    ['servidor', 'name_reserved'],
    ['/listar', 'name_invalid'],
  ];
  for (const [name, key] of tries) {
    room.hub.input(peer, name);
    const reply = peer.take();
    assert.deepEqual(reply, [es(key, { name, max: 24 })], name);
    assert.match(reply[0] as string, /^Error: /);
    assert.equal(peer.closed, false);
    assert.equal(room.hub.session(peer)?.name, undefined);
  }
  room.hub.input(peer, 'ana');
  assert.equal(room.hub.session(peer)?.name, 'ana');
});

test('hub - a name held in another case or width is taken; a free one is then accepted', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  room.drain();
  const peer = room.connect();
  for (const name of ['ana', 'ANA', 'Ana', 'ａｎａ', ' ana ']) {
    room.hub.input(peer, name);
    assert.deepEqual(peer.take(), [es('name_taken', { name: name.trim() })], name);
  }
  room.hub.input(peer, 'ana2');
  room.hub.input(peer, '/listar');
  assert.deepEqual(peer.take().at(-1), 'Usuarios: ana, ana2');
  assert.deepEqual(ana.take(), ['*** ana2 se ha unido al chat ***']);
});

test('hub - a name is free again when its holder leaves', () => {
  const room = fakeRoom();
  const ana = room.join('ana');
  room.hub.leave(ana, 'disconnected');
  room.join('ANA');
  assert.deepEqual(room.hub.names(), ['ANA']);
});

test('hub - a name with an invisible character added is the same name (/listar never shows a name twice)', {
}, () => {
  const room = fakeRoom();
  room.join('ana');
  for (const twin of ['ana\u034f', 'ana\ufe0f', 'an\u034fa', 'ana\u3164']) {
    const peer = room.connect();
    room.hub.input(peer, twin);
    assert.match(peer.lines[0] as string, /^Error: /, JSON.stringify(twin));
  }
  assert.deepEqual(room.hub.names(), ['ana']);
});

test('names - a name that shows as nothing is refused', {
}, () => {
  for (const name of ['\u3164', '\u3164\u3164', '\u115f', '\uffa0']) {
    assert.notEqual(checkName(normalizeName(name), 24), undefined, JSON.stringify(name));
  }
});

// --- properties ---

/** Any UTF-16 string, lone surrogates included. */
const anyUtf16 = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((units) => String.fromCharCode(...units));

test('names - property: validating, normalising and folding any string never throws', () => {
  fc.assert(
    fc.property(fc.oneof(anyUtf16, fc.string({ unit: 'binary', maxLength: 40 })), fc.integer({ min: 1, max: 64 }), (raw, max) => {
      const name = normalizeName(raw);
      const problem = checkName(name, max);
      assert.ok(problem === undefined || ['empty', 'too_long', 'invalid', 'marks', 'reserved'].includes(problem));
      assert.equal(typeof foldName(name), 'string');
      if (problem === undefined) {
        assert.ok([...name].length >= 1 && [...name].length <= max);
        assert.doesNotMatch(name, /[\s:,]/u);
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(name, /[\u0000-\u001f\u007f-\u009f]/);
      }
    }),
    { numRuns: 1000 },
  );
});

test('names - property: the hub turns any first line into a user or an Error line, never an exception', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(anyUtf16, fc.string({ unit: 'binary', maxLength: 30 })), { minLength: 1, maxLength: 5 }), (lines) => {
      const room = fakeRoom();
      const peer = room.connect();
      for (const line of lines) {
        if (room.hub.session(peer)?.name !== undefined || peer.closed) break;
        room.hub.input(peer, line);
        const named = room.hub.session(peer)?.name !== undefined;
        const reply = peer.take();
        if (!named && !peer.closed) assert.match(reply[0] ?? '', /^Error: /);
      }
    }),
    { numRuns: 1000 },
  );
});

// Variants of one name that must collide: case, fullwidth forms, decomposed accents.
const LETTERS = [...'abcdefghijklmnopqrstuvwxyzñé0123456789'];
const baseName = fc
  .tuple(fc.constantFrom(...LETTERS.slice(0, 28)), fc.array(fc.constantFrom(...LETTERS, '_', '.', '-'), { maxLength: 10 }))
  .map(([first, rest]) => first + rest.join(''))
  .filter((name) => checkName(name, 24) === undefined);

function variant(name: string, choices: number[]): string {
  return [...name]
    .map((ch, i) => {
      switch ((choices[i % choices.length] ?? 0) % 4) {
        case 1:
          return ch.toUpperCase();
        case 2: // fullwidth form of ASCII letters and digits
          return /[a-z0-9]/.test(ch) ? String.fromCharCode(ch.charCodeAt(0) + 0xfee0) : ch;
        case 3:
          return ch.normalize('NFD');
        default:
          return ch;
      }
    })
    .join('');
}

test('names - property: folded-equal names collide (case, width and accent composition variants are taken)', () => {
  fc.assert(
    fc.property(baseName, fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), (name, choices) => {
      const twin = variant(name, choices);
      assert.equal(foldName(normalizeName(twin)), foldName(name));
      const room = fakeRoom();
      room.join(name);
      const peer = room.connect();
      room.hub.input(peer, twin);
      assert.equal(room.hub.session(peer)?.name, undefined, `${JSON.stringify(twin)} was let in beside ${JSON.stringify(name)}`);
      assert.match(peer.lines[0] as string, /^Error: /);
      assert.equal(room.hub.userCount, 1);
    }),
    { numRuns: 500 },
  );
});

test('hub - property: whatever joins, renames and leaves happen, /listar never shows a name twice', () => {
  const POOL = ['ana', 'Ana', 'ＡＮＡ', 'bob', 'BOB', 'José', 'Jose\u0301', 'JOSÉ', 'zoë'];
  const action = fc.oneof(
    fc.record({ kind: fc.constant('join' as const), name: fc.constantFrom(...POOL) }),
    fc.record({ kind: fc.constant('nick' as const), who: fc.nat(), name: fc.constantFrom(...POOL) }),
    fc.record({ kind: fc.constant('leave' as const), who: fc.nat() }),
  );
  fc.assert(
    fc.property(fc.array(action, { maxLength: 30 }), (actions) => {
      const room = fakeRoom();
      const inRoom = () => room.peers.filter((p) => room.hub.session(p)?.name !== undefined);
      for (const a of actions) {
        if (a.kind === 'join') {
          room.hub.input(room.connect(), a.name);
        } else {
          const peers = inRoom();
          const peer = peers[a.who % Math.max(peers.length, 1)];
          if (peer === undefined) continue;
          if (a.kind === 'nick') room.hub.input(peer, `/nick ${a.name}`);
          else room.hub.leave(peer, 'disconnected');
        }
        const keys = room.hub.names().map((n) => foldName(n));
        assert.equal(new Set(keys).size, keys.length, `names: ${JSON.stringify(room.hub.names())}`);
        const asker = inRoom()[0];
        if (asker !== undefined) {
          room.hub.input(asker, '/listar');
          assert.equal(asker.lines.at(-1), `Usuarios: ${room.hub.names().join(', ')}`);
        }
      }
    }),
    { numRuns: 300 },
  );
});
