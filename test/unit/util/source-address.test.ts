import assert from 'node:assert/strict';
import test from 'node:test';
import { forbiddenSource, ipv4Broadcast, LocalAddresses } from '../../../src/util/source-address.js';
import { isEcho } from '../../../src/transport/udp.js';

test('source address - port 0, unspecified, broadcast and multicast sources are never users', () => {
  assert.equal(forbiddenSource('192.168.1.30', 0), 'port_zero');
  assert.equal(forbiddenSource('0.0.0.0', 5000), 'unspecified');
  assert.equal(forbiddenSource('::', 5000), 'unspecified');
  assert.equal(forbiddenSource('255.255.255.255', 5000), 'broadcast');
  assert.equal(forbiddenSource('224.0.0.1', 5000), 'multicast');
  assert.equal(forbiddenSource('239.255.255.250', 1900), 'multicast');
  assert.equal(forbiddenSource('ff02::1', 5000), 'multicast');
  assert.equal(forbiddenSource('FF05::2', 5000), 'multicast');
  for (const ok of ['192.168.1.30', '10.0.0.255', '223.255.255.255', '240.0.0.1', '127.0.0.1', '::1', 'fe80::1', '2001:db8::ff']) {
    assert.equal(forbiddenSource(ok, 40000), undefined, ok);
  }
});

test("source address - this machine's addresses and its subnets' broadcast addresses", () => {
  const local = new LocalAddresses(() => ({
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
    eth0: [
      { address: '192.168.1.23', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.168.1.23/24' },
      { address: 'fd00::23', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fd00::23/64', scopeid: 0 },
    ],
  }));
  assert.equal(local.isOwn('192.168.1.23', 0), true);
  assert.equal(local.isOwn('fd00::23', 0), true);
  assert.equal(local.isOwn('127.0.0.9', 0), true, 'all of 127/8 is this machine');
  assert.equal(local.isOwn('192.168.1.24', 0), false);
  assert.equal(local.isSubnetBroadcast('192.168.1.255', 0), true);
  assert.equal(local.isSubnetBroadcast('192.168.1.254', 0), false);
  assert.equal(ipv4Broadcast('10.1.2.3', '255.255.240.0'), '10.1.15.255');
});

test('echo - "...: LINE" for a line just sent is an echo; a person quoting text is not', () => {
  const sent = ['ana: hola', '*** bob se ha unido al chat ***', undefined];
  assert.equal(isEcho('eco: ana: hola', sent), true);
  assert.equal(isEcho('srv2: *** bob se ha unido al chat ***', sent), true);
  assert.equal(isEcho('c: b: ana: hola', sent), true, 'through several servers');
  assert.equal(isEcho('ana: hola', sent), false, 'the line itself, typed again');
  assert.equal(isEcho('dije ana: hola', sent), false, 'no colon before the line');
  assert.equal(isEcho(': ana: hola', sent), false, 'nothing before the colon');
  assert.equal(isEcho('eco: ana: hola!', sent), false);
  assert.equal(isEcho('eco: ana: hola', undefined), false);
});
