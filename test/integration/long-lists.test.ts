import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Hub } from '../../src/hub/hub.js';
import { UDP_MAX_DATAGRAM_BYTES } from '../../src/protocol/datagram.js';
import { FakePeer } from '../helpers/fake-peer.js';
import { joinAs } from '../helpers/line-client.js';
import { assertListLines, longNames } from '../helpers/long-lists.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpJoinAs } from '../helpers/udp-client.js';

/**
 * Fills the server's room straight through its hub with `names` (fake peers: joining hundreds
 * over real sockets would only make the test slow). The test's own socket client, which joins
 * last, is the one that asks /listar over the real transport.
 */
function fillRoom(hub: Hub, names: readonly string[]): void {
  for (const [i, name] of names.entries()) {
    const peer = new FakePeer(`127.0.0.1:${20000 + i}`);
    assert.ok(hub.connect(peer), `the hub let ${name} in`);
    hub.input(peer, name);
    assert.equal(hub.session(peer)?.name, name);
  }
}

/** How many names the list lines so far hold (a line always holds at least one). */
const namesIn = (lines: readonly string[]): number => lines.reduce((n, l) => n + l.split(', ').length, 0);

for (const maxLineBytes of [4096, 700]) {
  test(`long lists - /listar with 700 long names over TCP: "Usuarios: " lines of at most ${maxLineBytes} bytes, every name once in join order`, async (t) => {
    const { server, tcpPort } = await startTestServer(t, { tcpOptions: { maxLineBytes } });
    const names = longNames(700);
    fillRoom(server.hub, names);
    const reader = await joinAs(t, tcpPort, 'lector');
    reader.write('/listar\n');
    const lines: string[] = [];
    // Bounded: every line adds at least one name, and each wait is bounded.
    while (namesIn(lines) < names.length + 1) lines.push(await reader.next());
    const count = assertListLines(lines, 'Usuarios: ', maxLineBytes, [...names, 'lector']);
    assert.ok(count >= Math.ceil((701 * 54) / maxLineBytes), `${count} lines`);
  });
}

const udpCases = [
  { what: '700 long names', names: longNames(700), udpOptions: {}, bound: UDP_MAX_DATAGRAM_BYTES },
  { what: '700 long names, --max-line-bytes 600', names: longNames(700), udpOptions: { maxLineBytes: 600 }, bound: 600 },
  { what: '999 short names', names: Array.from({ length: 999 }, (_, i) => `u${i}`), udpOptions: {}, bound: UDP_MAX_DATAGRAM_BYTES },
];
for (const { what, names, udpOptions, bound } of udpCases) {
  test(`long lists - /listar with ${what} over UDP: datagrams of at most ${bound} bytes, each "Usuarios: ...", every name once in join order`, async (t) => {
    const { server, udpPort } = await startTestServer(t, { udpOptions });
    fillRoom(server.hub, names);
    const reader = await udpJoinAs(t, udpPort, 'lector');
    reader.send('/listar');
    const datagrams: string[] = [];
    while (namesIn(datagrams) < names.length + 1) datagrams.push(await reader.next());
    const count = assertListLines(datagrams, 'Usuarios: ', bound, [...names, 'lector']);
    assert.ok(count > 1, `${count} datagrams`);
  });
}
