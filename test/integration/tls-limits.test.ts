import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import test, { type TestContext } from 'node:test';
import tls from 'node:tls';
import { closed } from '../../src/util/closed.js';
import { LineClient } from '../helpers/line-client.js';
import { selfSigned } from '../helpers/self-signed.js';
import { startTestServer } from '../helpers/start-server.js';
import { within } from '../helpers/within.js';

/** The first bytes of a ClientHello: a handshake record header announcing 512 bytes that never come. */
const HELLO_START = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]);

/** Hands out, in order, the server-side sockets a listener accepts (as its 'connection' event sees them). */
function acceptedSockets(server: net.Server): () => Promise<net.Socket> {
  const queue: net.Socket[] = [];
  const waiters: Array<(s: net.Socket) => void> = [];
  server.on('connection', (socket: net.Socket) => {
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter(socket);
    else queue.push(socket);
  });
  return () => {
    const socket = queue.shift();
    if (socket !== undefined) return Promise.resolve(socket);
    return within(new Promise<net.Socket>((resolve) => waiters.push(resolve)), 3000, 'the server to accept a connection');
  };
}

/** A client that starts a TLS handshake and stops: the slowloris of TLS. */
function halfOpen(t: TestContext, port: number): net.Socket {
  const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(HELLO_START));
  socket.on('error', () => {});
  t.after(() => socket.destroy());
  return socket;
}

test('tls-limits - half-open TLS handshakes count against the per-address cap from accept, together with users, each released once', async (t) => {
  const pair = await selfSigned(t);
  if (pair === undefined) {
    t.skip('openssl is not installed');
    return;
  }
  const { server, tcpPort, logged } = await startTestServer(t, {
    udp: false,
    exemptLoopback: false,
    hub: { maxConnectionsPerAddress: 2 },
    tcpOptions: { tls: { cert: pair.cert, key: pair.key } },
  });
  const tcp = server.tcp;
  assert.ok(tcp !== undefined);
  const nextAccepted = acceptedSockets(tcp.server);
  // The transport's own 'connection' listener runs before ours: a socket it drops at accept is
  // already destroyed when we see it, one it keeps for its handshake is not.
  const held = async (what: string): Promise<{ client: net.Socket; accepted: net.Socket }> => {
    const client = halfOpen(t, tcpPort);
    const accepted = await nextAccepted();
    assert.equal(accepted.destroyed, false, `${what}: kept for its handshake`);
    return { client, accepted };
  };
  const dropped = async (what: string, client: net.Socket = halfOpen(t, tcpPort)): Promise<void> => {
    const accepted = await nextAccepted();
    assert.equal(accepted.destroyed, true, `${what}: dropped at accept, before any handshake`);
    await within(closed(client), 2000, `${what}: the client to see its connection closed`);
  };
  const join = async (name: string): Promise<{ client: LineClient; accepted: net.Socket }> => {
    const socket = tls.connect({ host: '127.0.0.1', port: tcpPort, ca: pair.cert, servername: 'localhost' });
    t.after(() => socket.destroy());
    const accepted = await nextAccepted();
    await within(once(socket, 'secureConnect'), 3000, `${name}'s TLS handshake`);
    const client = new LineClient(socket);
    client.write(`${name}\n`);
    assert.match(await client.next(), /^\*\*\* Bienvenido\/a a charla/);
    return { client, accepted };
  };
  const reset = async (h: { client: net.Socket; accepted: net.Socket }): Promise<void> => {
    h.client.resetAndDestroy();
    await within(closed(h.accepted), 3000, 'the server to close a reset handshake');
  };

  const h1 = await held('1st handshake');
  const h2 = await held('2nd handshake');
  await dropped('3rd handshake');
  const complete = tls.connect({ host: '127.0.0.1', port: tcpPort, ca: pair.cert, servername: 'localhost' });
  complete.on('error', () => {});
  t.after(() => complete.destroy());
  await dropped('a complete TLS client past the cap', complete);
  assert.equal(complete.authorized, false, 'it never got a handshake');

  await reset(h1); // one handshake left: room for one user
  const ana = await join('ana');
  await dropped('a handshake while a user and a handshake fill the cap');
  await reset(h2); // ana alone: her handshake's count was handed to the hub, not kept twice
  const h3 = await held('a handshake next to ana');
  await dropped('one more next to ana and a handshake');

  ana.client.write('/quitar\n');
  await logged('ana desconectado');
  await within(closed(ana.accepted), 3000, "ana's socket to close on the server");
  await held('a handshake next to the one left'); // ana's count went back once, not twice:
  await dropped('a third while two handshakes fill the cap');
  await reset(h3);
});
