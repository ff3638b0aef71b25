import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressList } from '../../../src/util/address-list.js';
import { CharlaError } from '../../../src/util/errors.js';

test('address-list - loopback is in by default, other addresses only when allowed', () => {
  const list = new AddressList(['192.168.1.0/24', '10.0.0.7', 'fd00::/8']);
  assert.equal(list.has('127.0.0.1'), true);
  assert.equal(list.has('127.9.9.9'), true);
  assert.equal(list.has('::1'), true);
  assert.equal(list.has('192.168.1.200'), true);
  assert.equal(list.has('192.168.2.1'), false);
  assert.equal(list.has('10.0.0.7'), true);
  assert.equal(list.has('10.0.0.8'), false);
  assert.equal(list.has('fd12::1'), true);
  assert.equal(list.has('not an address'), false);
});

test('address-list - loopback can be left out', () => {
  assert.equal(new AddressList([], { loopback: false }).has('127.0.0.1'), false);
});

test('address-list - a bad entry is a CharlaError that names it', () => {
  for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/x', '']) {
    assert.throws(() => new AddressList([bad]), (err: unknown) => err instanceof CharlaError && err.message.includes(`"${bad}"`));
  }
});
