import assert from 'node:assert/strict';
import test from 'node:test';
import { AddressTokens, parseTokenLine, TOKEN_PREFIX, TOKEN_REQUEST, TOKEN_WINDOW_MS } from '../../../src/protocol/address-token.js';
import { AMPLIFICATION_FACTOR } from '../../../src/transport/udp.js';

test('address token - a token checks for the address and port it was made for, in its window and the next', () => {
  const tokens = new AddressTokens();
  const t0 = 5 * TOKEN_WINDOW_MS + 10;
  const token = tokens.make('192.168.1.30', 40000, t0);
  assert.match(token, /^[A-Za-z0-9_-]{16}$/);
  assert.equal(tokens.check(token, '192.168.1.30', 40000, t0), true);
  assert.equal(tokens.check(token, '192.168.1.30', 40000, t0 + TOKEN_WINDOW_MS), true, 'still good in the next window');
  assert.equal(tokens.check(token, '192.168.1.30', 40000, t0 + 2 * TOKEN_WINDOW_MS), false, 'expired two windows later');
  assert.equal(tokens.check(token, '192.168.1.31', 40000, t0), false, 'another address');
  assert.equal(tokens.check(token, '192.168.1.30', 40001, t0), false, 'another port');
  assert.equal(tokens.check(token, '::ffff:192.168.1.30', 40000, t0), false, 'the address exactly as the socket reported it');
});

test('address token - tokens of one server are worthless to another, and malformed ones are refused', () => {
  const a = new AddressTokens();
  const b = new AddressTokens();
  const token = a.make('10.0.0.1', 1234, 0);
  assert.equal(b.check(token, '10.0.0.1', 1234, 0), false);
  for (const bad of ['', 'abc', `${token}A`, token.slice(1), '!!!!!!!!!!!!!!!!']) assert.equal(a.check(bad, '10.0.0.1', 1234, 0), false, bad);
});

test('address token - control lines: the request, an echo, and anything else is not one', () => {
  assert.deepEqual(parseTokenLine(TOKEN_REQUEST), { kind: 'request' });
  const token = new AddressTokens().make('127.0.0.1', 9, 0);
  assert.deepEqual(parseTokenLine(`${TOKEN_PREFIX}${token}`), { kind: 'echo', token });
  for (const other of ['/token', '/token ', '/token charla/2', '/TOKEN charla/1', `//token ${token}`, `/token ${token} x`, 'ana', '']) {
    assert.equal(parseTokenLine(other), undefined, other);
  }
});

test('address token - the answer to a request fits three times the request', () => {
  const answer = `${TOKEN_PREFIX}${new AddressTokens().make('2001:db8::1', 65535, 0)}`;
  assert.ok(Buffer.byteLength(answer) <= AMPLIFICATION_FACTOR * Buffer.byteLength(TOKEN_REQUEST), `${answer.length} bytes`);
});
