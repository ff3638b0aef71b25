import assert from 'node:assert/strict';
import test from 'node:test';
import { connectOptions } from '../../../src/cli/client.js';

const badOption = (fragment: string) => (err: Error & { code?: string }) => err.code === 'ERR_BAD_OPTION' && err.message.includes(fragment);

test('client options - the seed\'s ports by default: 5000 over TCP, 5001 over UDP', () => {
  assert.equal(connectOptions({}, false, false).port, 5000);
  assert.equal(connectOptions({}, true, false).port, 5001);
  assert.equal(connectOptions({}, false, false).host, '127.0.0.1');
  assert.equal(connectOptions({ port: '6000' }, true, false).port, 6000);
});

test('client options - UDP keeps itself alive every 25 s unless told otherwise', () => {
  assert.equal(connectOptions({}, true, false).keepaliveMs, 25_000);
  assert.equal(connectOptions({ keepalive: '0.2' }, true, false).keepaliveMs, 200);
  assert.equal(connectOptions({ keepalive: '0' }, true, false).keepaliveMs, 0);
});

test('client options - --bare sends no keep-alives: the seed\'s UDP server would relay them', () => {
  assert.equal(connectOptions({}, true, true).keepaliveMs, 0);
  assert.throws(() => connectOptions({ keepalive: '5' }, true, true), badOption('--keepalive'));
});

test('client options - combinations that cannot work are refused, naming the flag', () => {
  assert.throws(() => connectOptions({ port: '0' }, false, false), badOption('--port'));
  assert.throws(() => connectOptions({ port: '70000' }, false, false), badOption('--port'));
  assert.throws(() => connectOptions({ port: 'x' }, false, false), badOption('--port'));
  assert.throws(() => connectOptions({ tls: true }, true, false), badOption('--tls'));
  assert.throws(() => connectOptions({ tls: true }, false, true), badOption('--tls'));
  assert.throws(() => connectOptions({ insecure: true }, false, false), badOption('--insecure'));
  assert.throws(() => connectOptions({ ca: 'x.pem' }, false, false), badOption('--ca'));
  assert.throws(() => connectOptions({ tls: true, ca: 'x.pem', insecure: true }, false, false), badOption('--insecure'));
  assert.throws(() => connectOptions({ tls: true, ca: '/nonexistent/ca.pem' }, false, false), badOption('/nonexistent/ca.pem'));
  assert.throws(() => connectOptions({ keepalive: '1' }, false, false), badOption('--keepalive'));
  assert.throws(() => connectOptions({ keepalive: '-1' }, true, false), badOption('--keepalive'));
});

test('client options - --tls --insecure skips the check, --tls alone checks against the system CAs', () => {
  assert.deepEqual(connectOptions({ tls: true, insecure: true }, false, false).tls, { ca: undefined, insecure: true });
  assert.deepEqual(connectOptions({ tls: true }, false, false).tls, { ca: undefined, insecure: false });
  assert.equal(connectOptions({}, false, false).tls, undefined);
});

test('client options - --fiable (--reliable) is reliable UDP: with --udp only, never with --bare', () => {
  assert.equal(connectOptions({}, true, false).reliable, false);
  assert.equal(connectOptions({ fiable: true }, true, false).reliable, true);
  assert.equal(connectOptions({ reliable: true }, true, false).reliable, true);
  assert.throws(() => connectOptions({ fiable: true }, false, false), badOption('--udp'));
  assert.throws(() => connectOptions({ reliable: true }, true, true), badOption('--bare'));
});
