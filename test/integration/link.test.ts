/**
 * `charla link`, the lab's lossy link as a command: a UDP and a TCP user chat through it, and on
 * Ctrl+C it says what crossed it and what it lost.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { spawnCharla } from '../helpers/charla-process.js';
import { joinAs } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpClient, udpJoinAs } from '../helpers/udp-client.js';

const BANNER = /^charla link: TCP 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:(\d+), UDP 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:(\d+); (.+) on (.+), seed (\d+)\. Ctrl\+C to stop\.$/;

test('link - users chat through it over TCP and UDP, and on SIGINT it counts what crossed it', async (t) => {
  const srv = await startTestServer(t);
  const link = spawnCharla(t, ['link', '--tcp-port', String(srv.tcpPort), '--udp-port', String(srv.udpPort), '--listen-tcp-port', '0', '--listen-udp-port', '0', '--seed', '7']);
  const banner = BANNER.exec(await link.line(BANNER)) as RegExpExecArray;
  assert.equal(Number(banner[2]), srv.tcpPort);
  assert.equal(Number(banner[4]), srv.udpPort);
  assert.deepEqual([banner[5], banner[6], banner[7]], ['none', 'datagrams both ways', '7']);
  const ana = await joinAs(t, Number(banner[1]), 'ana');
  const bob = await udpJoinAs(t, Number(banner[3]), 'bob');
  await ana.waitFor(/bob se ha unido/);
  bob.send('hola desde udp');
  await ana.waitFor('bob: hola desde udp');
  ana.write('hola desde tcp\n');
  await bob.waitFor('ana: hola desde tcp');
  link.child.kill('SIGINT');
  assert.equal(await link.exit(5000), 0);
  const summary = await link.line(/^charla link: UDP: /);
  const m = /UDP: (\d+) datagrams to the server, 0 lost; (\d+) to the clients, 0 lost, 0 duplicated\. TCP: (\d+) chunks held back\.$/.exec(summary);
  assert.ok(m !== null, summary);
  assert.ok(Number(m[1]) >= 2 && Number(m[2]) >= 2 && Number(m[3]) >= 1, summary);
});

test('link - with --loss 100 nothing crosses it, and the summary says so', async (t) => {
  const srv = await startTestServer(t);
  const link = spawnCharla(t, ['link', '--no-tcp', '--udp-port', String(srv.udpPort), '--listen-udp-port', '0', '--loss', '100', '--direction', 'down']);
  const banner = await link.line(/^charla link: UDP /);
  const port = Number(/UDP 127\.0\.0\.1:(\d+) ->/.exec(banner)?.[1]);
  assert.match(banner, /loss 100% on the server's datagrams, seed 1\./);
  const bob = await udpClient(t, port);
  bob.send('bob');
  // The name reaches the server (the uplink is clean with --direction down), the welcome is lost.
  await srv.logged(/bob/, 5000);
  link.child.kill('SIGINT');
  assert.equal(await link.exit(5000), 0);
  const summary = await link.line(/^charla link: UDP: /);
  const m = /UDP: (\d+) datagrams to the server; (\d+) to the clients, (\d+) lost,/.exec(summary);
  assert.ok(m !== null && Number(m[1]) >= 1 && Number(m[2]) >= 1 && m[2] === m[3], summary);
  assert.deepEqual(bob.messages, []);
});
