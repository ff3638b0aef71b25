import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { CONFUSABLES, CONFUSABLES_COUNT } from '../../../src/hub/confusables-data.js';
import { CONFUSABLES_VERSION, confusableKey, skeleton } from '../../../src/hub/confusables.js';

/** The table's entries: [source code point, prototype]. */
function entries(): Array<[number, string]> {
  return CONFUSABLES.split('\n').map((line) => {
    const source = line.codePointAt(0) as number;
    return [source, line.slice(source > 0xffff ? 2 : 1)];
  });
}

const cps = (s: string): string => [...s].map((c) => (c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')).join(' ');

/** Asserts that every string in `group` has the same skeleton, `expected`. */
function sameSkeleton(group: string[], expected: string): void {
  for (const s of group) assert.equal(cps(skeleton(s)), cps(expected), `skeleton(${JSON.stringify(s)}) [${cps(s)}]`);
}

function sameKey(a: string, b: string): void {
  assert.equal(confusableKey(a), confusableKey(b), `${JSON.stringify(a)} [${cps(a)}] and ${JSON.stringify(b)} [${cps(b)}] must collide`);
}

function differentKeys(a: string, b: string): void {
  assert.notEqual(confusableKey(a), confusableKey(b), `${JSON.stringify(a)} and ${JSON.stringify(b)} must stay apart`);
}

// --- the data ---

test('confusables - the table is the whole of confusables.txt 15.0.0, one mapping per source, in order', () => {
  assert.equal(CONFUSABLES_VERSION, '15.0.0');
  const all = entries();
  assert.equal(all.length, CONFUSABLES_COUNT);
  assert.equal(all.length, 6311, 'the "# total" of Unicode 15.0.0 confusables.txt');
  for (let i = 1; i < all.length; i++) {
    assert.ok((all[i - 1] as [number, string])[0] < (all[i] as [number, string])[0], `sorted and unique at entry ${i}`);
  }
  for (const [, prototype] of all) assert.ok(prototype.length > 0);
  // Lines of the file, as Unicode wrote them (source ; target).
  const table = new Map(all);
  const lines: Array<[number, string]> = [
    [0x0430, 'a'], // CYRILLIC SMALL LETTER A → LATIN SMALL LETTER A
    [0x0410, 'A'], // CYRILLIC CAPITAL LETTER A
    [0x13aa, 'A'], // CHEROKEE LETTER GO
    [0x0049, 'l'], // LATIN CAPITAL LETTER I → LATIN SMALL LETTER L
    [0x0031, 'l'], // DIGIT ONE
    [0x0030, 'O'], // DIGIT ZERO → LATIN CAPITAL LETTER O
    [0x039f, 'O'], // GREEK CAPITAL LETTER OMICRON
    [0x006d, 'rn'], // LATIN SMALL LETTER M → LATIN SMALL LETTER R, LATIN SMALL LETTER N
    [0xff21, 'A'], // FULLWIDTH LATIN CAPITAL LETTER A
    [0x1d400, 'A'], // MATHEMATICAL BOLD CAPITAL A
    [0x2fa1d, '\u{2A600}'], // the last line: CJK COMPATIBILITY IDEOGRAPH-2FA1D
    [0x05ad, '\u0596'], // the first line: HEBREW ACCENT DEHI → HEBREW ACCENT TIPEHA
  ];
  for (const [source, prototype] of lines) assert.equal(table.get(source), prototype, `U+${source.toString(16).toUpperCase()}`);
  for (const unmapped of ['a', 'l', 'O', 'A', 'i', 'e', 'é', '\u0301']) assert.equal(table.has(unmapped.codePointAt(0) as number), false, unmapped);
});

// --- skeleton ---

test('confusables - skeleton: the look-alikes UTS #39 is about share one', () => {
  sameSkeleton(['paypal', 'pаypаl', 'раураl'], 'paypal'); // Latin; Cyrillic а; Cyrillic р а у а
  sameSkeleton(['scope', 'ѕсоре'], 'scope'); // Cyrillic ѕ с о р е
  sameSkeleton(['paul', 'pauI', 'pau1', 'pau|'], 'paul'); // l, capital I, digit one, vertical line
  sameSkeleton(['O', 'Ο', 'О', '0', 'Ｏ', '𝐎'], 'O'); // Latin, Greek, Cyrillic, digit zero, fullwidth, math bold
  sameSkeleton(['o', 'ο', 'о'], 'o'); // Latin, Greek and Cyrillic small o
  sameSkeleton(['rn', 'm'], 'rn');
  sameSkeleton(['Ana', 'Аna', '𝐀𝐧𝐚', '𝔄𝔫𝔞', '𝙰𝚗𝚊'], 'Ana'); // Cyrillic А; math bold, Fraktur, monospace
  sameSkeleton(['ANA', 'ᎪNA', 'ΑΝΑ', 'ＡNA'], 'ANA'); // Cherokee Ꭺ; Greek Α Ν Α; fullwidth Ａ
  sameSkeleton(['a', 'ａ', 'а', '𝐚', '𝒂'], 'a');
  sameSkeleton(['fi', 'ﬁ'], 'fi'); // the ligature
});

test('confusables - skeleton keeps apart what does not look alike, accents and case included', () => {
  assert.notEqual(skeleton('ana'), skeleton('ane'));
  assert.notEqual(skeleton('paui'), skeleton('paul'), 'a lowercase i is not an l');
  assert.notEqual(skeleton('Ana'), skeleton('ana'), 'the skeleton keeps case');
  // Accents are visible: NFD splits é into e + U+0301, and U+0301 is its own prototype.
  assert.notEqual(skeleton('josé'), skeleton('jose'));
  assert.equal(skeleton('josé'), 'jose\u0301');
  assert.equal(skeleton('jose\u0301'), skeleton('josé'), 'precomposed or not, one skeleton');
  // ... but a look-alike accent is the accent: U+0341 COMBINING ACUTE TONE MARK → U+0301.
  assert.equal(skeleton('jose\u0341'), skeleton('josé'));
  assert.notEqual(skeleton('aña'), skeleton('ana'));
  // Fullwidth letters are mapped only where the data maps them: ａ is, ｎ is not.
  assert.equal(skeleton('ａｎａ'), 'aｎa');
});

test('confusables - skeleton is NFD, the mapping, NFD: nothing more', () => {
  assert.equal(skeleton(''), '');
  assert.equal(skeleton('ñ'), 'n\u0303', 'NFD output');
  // A mapping whose source decomposes never applies, as in ICU: Ő is O + U+030B before the data
  // is looked at (confusables.txt also maps U+0150 to Ö, a mapping step 1 makes unreachable).
  assert.equal(skeleton('Ő'), 'O\u030B'.normalize('NFD'));
  assert.notEqual(skeleton('Ő'), skeleton('Ö'));
  // One pass only: Ǆ maps to "DŽ", whose caron (itself mapped to a breve) is not mapped again.
  assert.equal(skeleton('\u01C4'), 'DZ\u030C');
  assert.equal(skeleton('DZ\u030C'), 'DZ\u0306');
  // Unassigned in 15.0 and unmapped characters stand for themselves.
  assert.equal(skeleton('\u{1FAE8}x'), '\u{1FAE8}x');
  // A lone surrogate passes through.
  assert.equal(skeleton('a\uD800b'), 'a\uD800b');
});

test('confusables - the skeleton of each source in the data is its prototype, in NFD', () => {
  // Steps 2 and 3 on a code point that step 1 leaves alone.
  let checked = 0;
  for (const [source, prototype] of entries()) {
    const c = String.fromCodePoint(source);
    if (c.normalize('NFD') !== c) continue; // step 1 splits it first (see above)
    assert.equal(skeleton(c), prototype.normalize('NFD'), `U+${source.toString(16).toUpperCase()}`);
    checked++;
  }
  assert.ok(checked > 5000, `${checked} sources checked`); // the others are mostly CJK compatibility ideographs
});

// --- confusableKey ---

test('confusables - confusableKey: look-alikes collide in any case (Ana, ANA, Аna, АNA, ᎪNA)', () => {
  const key = confusableKey('Ana');
  assert.equal(key, 'ana');
  for (const name of ['ana', 'ANA', 'Аna', 'АNA', 'ᎪNA', 'ΑΝΑ', '𝐀𝐧𝐚', 'аnа', 'ａｎａ', 'ａｎа']) {
    assert.equal(confusableKey(name), key, `${name} [${cps(name)}]`);
  }
  sameKey('pauI', 'paul'); // skeleton before lowercase: I is l, not i
  sameKey('Iuis', 'luis');
  sameKey('ѕсоре', 'Scope');
  sameKey('Мarta', 'marta'); // Cyrillic М: "Marta", lowercased "marta", whose skeleton is "rnarta"
  sameKey('MARTA', 'rnarta');
  sameKey('b0b', 'bob'); // digit zero counts as O in any case
  sameKey('PAUI', 'PAUL'); // every capital I is an l: a false "taken" accepted on purpose
  sameKey('jose\u0341', 'josé');
  sameKey('A\u200Bna', 'Ana'); // invisible characters drop out of the key
  sameKey('A\uFE0Fna', 'Ana');
});

test('confusables - confusableKey keeps real names apart', () => {
  differentKeys('ana', 'ane');
  differentKeys('josé', 'jose');
  differentKeys('aña', 'ana');
  differentKeys('paui', 'paul'); // a lowercase i is no l
  differentKeys('luis', 'liis');
  differentKeys('maria', 'mario');
  differentKeys('eve', 'eva');
  differentKeys('Ana', 'Ano');
  differentKeys('ana1', 'ana2');
  // The known gap: a look-alike of a case variant with a capital I where the other has an i.
  differentKeys('АNITA', 'Anita');
});

test('confusables - confusableKey leaves plain lowercase names without m, 0 or 1 as they are', () => {
  // Only ", %, 0, 1, I, `, m and | have a prototype in ASCII; such names are their own key, so
  // two different ones never collide.
  fc.assert(
    fc.property(fc.stringMatching(/^[a-ln-z2-9_.\-']{1,24}$/), (name) => {
      assert.equal(confusableKey(name), name);
    }),
    { numRuns: 500 },
  );
});

test('confusables - confusableKey ignores case, but for the capital I, which is an l', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[A-HJ-Za-hj-z0-9]{1,12}$/), (name) => {
      const key = confusableKey(name);
      assert.equal(confusableKey(name.toUpperCase()), key);
      assert.equal(confusableKey(name.toLowerCase()), key);
    }),
    { numRuns: 500 },
  );
  assert.notEqual(confusableKey('PAUI'), confusableKey('paui'), 'foldName, not this key, makes those one name');
});

test('confusables - confusableKey is idempotent on every letter, digit and mark of the data', () => {
  const nameish = /^[\p{L}\p{M}\p{N}]$/u;
  let checked = 0;
  for (const [source, prototype] of entries()) {
    const c = String.fromCodePoint(source);
    if (!nameish.test(c)) continue;
    const key = confusableKey(c);
    assert.equal(confusableKey(key), key, `U+${source.toString(16).toUpperCase()}`);
    if (c.normalize('NFD') === c && [...prototype].every((p) => nameish.test(p))) {
      assert.equal(confusableKey(prototype), key, `U+${source.toString(16).toUpperCase()} and its prototype ${cps(prototype)}`);
    }
    checked++;
  }
  assert.ok(checked > 4000, `${checked} letters, digits and marks checked`);
});

// --- cost ---

test('confusables - the cost of a skeleton and a key for a 24-character name (measured, not asserted)', (t) => {
  const names = ['ana.maria-gonzalez_ruiz2', 'Аna.Маria-González_Ruíz2', 'pauI_the_second_of_his_n', '𝐀𝐧𝐚𝐌𝐚𝐫𝐢𝐚𝐆𝐨𝐧𝐳𝐚𝐥𝐞𝐳𝐑𝐮𝐢𝐳𝐞𝐬𝐞𝐬'];
  for (const name of names) assert.equal([...name].length, 24, name);
  const median = (f: (s: string) => string, name: string): number => {
    const rounds = 21;
    const perRound = 1000;
    const samples: number[] = [];
    let sink = 0;
    for (let r = 0; r < rounds; r++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < perRound; i++) sink += f(name).length;
      samples.push(Number(process.hrtime.bigint() - start) / perRound);
    }
    assert.ok(sink > 0);
    samples.sort((a, b) => a - b);
    return samples[rounds >> 1] as number;
  };
  for (const name of names) {
    t.diagnostic(`${JSON.stringify(name)}: skeleton ${median(skeleton, name).toFixed(0)} ns, confusableKey ${median(confusableKey, name).toFixed(0)} ns (median)`);
  }
});
