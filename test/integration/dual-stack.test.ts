import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import test, { type TestContext } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpClient } from '../helpers/udp-client.js';
import { within } from '../helpers/within.js';

async function tcpJoin(t: TestContext, host: string, port: number, name: string): Promise<LineClient> {
  const socket = net.connect({ host, port });
  t.after(() => socket.destroy());
  await within(once(socket, 'connect'), 3000, `connecting to [${host}]:${port}`);
  const client = new LineClient(socket);
  client.write(`${name}\n`);
  assert.match(await client.next(), /^\*\*\* Bienvenido/);
  return client;
}

test('dual stack - with --host :: IPv4 and IPv6 users on TCP and UDP all chat with each other', async (t) => {
  // Listening on :: takes every interface; every byte of this test still goes to 127.0.0.1 or ::1.
  const { server, tcpPort, udpPort } = await startTestServer(t, { host: '::' });
  const tcp4 = await tcpJoin(t, '127.0.0.1', tcpPort, 'tcp4');
  const tcp6 = await tcpJoin(t, '::1', tcpPort, 'tcp6');
  assert.equal(await tcp4.next(), '*** tcp6 se ha unido al chat ***');

  const udp4 = await udpClient(t, udpPort, '127.0.0.1');
  udp4.send('udp4');
  // The IPv4 user's source reaches the udp6 socket as ::ffff:127.0.0.1; the reply must go there.
  assert.match(await udp4.next(), /^\*\*\* Bienvenido\/a a charla, udp4\. /);
  const udp6 = await udpClient(t, udpPort, '::1');
  udp6.send('udp6');
  assert.match(await udp6.next(), /^\*\*\* Bienvenido\/a a charla, udp6\. /);
  assert.equal(await udp4.next(), '*** udp6 se ha unido al chat ***');

  tcp4.write('hola desde IPv4\n');
  for (const c of [tcp6]) assert.equal(await c.waitFor(/^tcp4: /), 'tcp4: hola desde IPv4');
  for (const c of [udp4, udp6]) assert.equal(await c.waitFor(/^tcp4: /), 'tcp4: hola desde IPv4');
  udp4.send('y yo por UDP sobre IPv4');
  for (const c of [tcp4, tcp6]) assert.equal(await c.waitFor(/^udp4: /), 'udp4: y yo por UDP sobre IPv4');
  assert.equal(await udp6.waitFor(/^udp4: /), 'udp4: y yo por UDP sobre IPv4');
  udp6.send('/msg udp4 privado por IPv6');
  assert.equal(await udp4.waitFor(/^\(privado\)/), '(privado) udp6: privado por IPv6');

  udp4.send('/listar');
  assert.equal(await udp4.waitFor(/^Usuarios: /), 'Usuarios: tcp4, tcp6, udp4, udp6');
  // Limits and logs see the IPv4 user as 127.0.0.1, not as ::ffff:127.0.0.1.
  const addresses = [...(server.udp?.peers.values() ?? [])].map((p) => p.address).sort();
  assert.deepEqual(addresses, ['127.0.0.1', '::1']);
  udp4.send('/quitar');
  assert.equal(await udp4.waitFor(/^\*\*\* /), '*** ¡Adiós, udp4! ***');
  assert.equal(await tcp6.waitFor(/udp4 ha salido/), '*** udp4 ha salido del chat ***');
});

test('dual stack - a failed send is logged once and removes that UDP user, with the reason', async (t) => {
  const { server, udpPort, tcpPort, logged } = await startTestServer(t);
  const watcher = await tcpJoin(t, '127.0.0.1', tcpPort, 'watcher');
  const udp = await udpClient(t, udpPort);
  udp.send('lejana');
  await udp.next();
  assert.equal(await watcher.next(), '*** lejana se ha unido al chat ***');
  // The kernel refusing a datagram to this one user (as EINVAL did for IPv4 users of a udp6
  // socket): simulated at the socket, since loopback never refuses.
  const socket = server.udp?.socket;
  assert.ok(socket !== undefined);
  const send = socket.send.bind(socket) as (...args: unknown[]) => void;
  (socket as unknown as { send: (...args: unknown[]) => void }).send = (...args: unknown[]) => {
    const port = args[1];
    const callback = args.at(-1) as (err: Error | null) => void;
    if (port === udp.socket.address().port) {
      queueMicrotask(() => callback(Object.assign(new Error('send EINVAL'), { code: 'EINVAL' })));
      return;
    }
    send(...args);
  };
  watcher.write('¿me oyes?\n');
  assert.equal(await watcher.next(), '*** lejana ha salido del chat (inalcanzable) ***');
  await logged(/no se puede enviar a udp 127\.0\.0\.1:\d+: EINVAL/);
  assert.deepEqual(server.hub.names(), ['watcher']);
});
