import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { confusableKey } from '../../../src/hub/confusables.js';
import { checkName, foldName, ircNick, ircNickKey, isIrcChosenNick } from '../../../src/hub/names.js';
import { Hub } from '../../../src/hub/hub.js';
import { FakePeer } from '../../helpers/fake-peer.js';

const IRC_NICK = /^[A-Za-z_|][A-Za-z0-9_|-]*$/;

test('ircNick: IRC-valid names are themselves, a leading digit gets "_", others are spelled in ASCII with a tag', () => {
  assert.equal(ircNick('ana'), 'ana');
  assert.equal(ircNick('Bob_2'), 'Bob_2');
  assert.equal(ircNick('x-y'), 'x-y');
  assert.equal(ircNick('2pac'), '_2pac');
  assert.match(ircNick('José'), /^Jose\|[a-z2-9]{4}$/);
  assert.match(ircNick('o’brien'), /^o_brien\|[a-z2-9]{4}$/);
  assert.match(ircNick("o'brien"), /^o_brien\|[a-z2-9]{4}$/);
  assert.match(ircNick('ana.b'), /^ana_b\|[a-z2-9]{4}$/);
  assert.match(ircNick('李'), /^\|[a-z2-9]{4}$/);
  assert.match(ircNick('3é'), /^_3e\|[a-z2-9]{4}$/);
  assert.notEqual(ircNick('José'), ircNick('Josè'), 'names that spell the same in ASCII differ by their tag');
  assert.equal(ircNick('José'), ircNick('José'), 'stable');
  assert.equal(ircNickKey(ircNick('JOSÉ')), ircNickKey(ircNick('josé')), 'case of a name is case of its nick');
  // The README's table ("IRC: HexChat, irssi, WeeChat") shows these very nicks.
  assert.deepEqual(['José', 'o’brien', 'ana.b', '李'].map(ircNick), ['Jose|3wbs', 'o_brien|2ii6', 'ana_b|px5m', '|bghk']);
});

const nameChars = fc.constantFrom(...'abcXYZ019_.-\'’éñüÅßλжД李😀'.split(/(?:)/u));
const charlaName = fc
  .array(nameChars, { minLength: 1, maxLength: 12 })
  .map((a) => a.join(''))
  .filter((n) => checkName(n, 24) === undefined);

test('property: every charla name maps to a valid IRC nick; only IRC-chosen nicks map to themselves', () => {
  fc.assert(
    fc.property(charlaName, (name) => {
      const nick = ircNick(name);
      assert.match(nick, IRC_NICK);
      assert.equal(nick === name, isIrcChosenNick(name));
    }),
  );
});

test('two names spelled the same in ASCII with the same tag cannot both be taken (nicks stay unique)', () => {
  // Find such a pair: 4 letters with 10 accents each is 10,000 names for a 20-bit tag.
  const accents = 'àáâãäåāăąǎ';
  const seen = new Map<string, string>();
  let pair: [string, string] | undefined;
  for (let i = 0; i < 10_000 && pair === undefined; i++) {
    const name = [0, 1, 2, 3].map((k) => accents[Math.floor(i / 10 ** k) % 10]).join('');
    const nick = ircNick(name);
    const other = seen.get(nick);
    if (other !== undefined && foldName(other) !== foldName(name) && confusableKey(other) !== confusableKey(name)) pair = [other, name];
    seen.set(nick, name);
  }
  assert.ok(pair !== undefined, 'no two names share a nick (the tag would be too long for this test)');
  const [first, second] = pair;
  const hub = new Hub();
  const a = new FakePeer('tcp 1');
  const b = new FakePeer('tcp 2');
  hub.connect(a);
  hub.connect(b);
  hub.input(a, first);
  assert.equal(hub.session(a)?.name, first);
  hub.input(b, second);
  assert.equal(hub.session(b)?.name, undefined, `${second} would show on IRC as ${first} does (${ircNick(first)})`);
  assert.match(b.lines.at(-1) ?? '', /ya está en uso/);
});

test('the hub refuses a name whose IRC nick is taken, and finds users by nick', () => {
  const hub = new Hub();
  const a = new FakePeer('tcp 1');
  const b = new FakePeer('tcp 2');
  hub.connect(a);
  hub.connect(b);
  hub.input(a, '2pac');
  assert.equal(hub.findByNick('_2PAC')?.name, '2pac');
  assert.equal(hub.nameError('_2pac')?.key, 'name_invalid'); // "_" cannot start a name anyway
  hub.input(a, '/nick José');
  const nick = ircNick('José');
  assert.equal(hub.findByNick(nick)?.name, 'José');
  assert.equal(hub.findByNick('_2pac'), undefined, 'the old nick is free again');
});
