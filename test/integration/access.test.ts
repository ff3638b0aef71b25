import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import tls from 'node:tls';
import { connectLine, joinAs, LineClient } from '../helpers/line-client.js';
import { selfSigned } from '../helpers/self-signed.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpClient } from '../helpers/udp-client.js';
import { within } from '../helpers/within.js';

test('access - with a password, a client must give it first; a wrong one is refused and nobody hears of it', async (t) => {
  const { tcpPort } = await startTestServer(t, { hub: { password: 's3creto' } });
  const ana = await connectLine(t, tcpPort);
  ana.write('/pass s3creto\nana\n');
  assert.match(await ana.next(), /^\*\*\* Bienvenido\/a a charla, ana\./);

  const noPass = await connectLine(t, tcpPort);
  noPass.write('bob\n');
  assert.equal(await noPass.next(), 'Error: este servidor pide contraseña: envía /pass CONTRASEÑA antes de tu nombre.');
  noPass.write('/pass mal\n');
  assert.equal(await noPass.next(), 'Error: contraseña incorrecta. Conexión cerrada.');
  await noPass.closedByServer();

  ana.write('/listar\n');
  assert.equal(await ana.next(), 'Usuarios: ana', 'no notice of the refused client came first');
});

test('access - the password applies to UDP users too', async (t) => {
  const { udpPort, tcpPort } = await startTestServer(t, { hub: { password: 'clave' } });
  const bob = await connectLine(t, tcpPort);
  bob.write('/pass clave\nbob\n');
  await bob.next();
  const eve = await udpClient(t, udpPort);
  eve.send('eve');
  assert.match(await eve.next(), /^Error: este servidor pide contraseña/);
  const ana = await udpClient(t, udpPort);
  ana.send('/pass clave');
  ana.send('ana');
  assert.match(await ana.next(), /^\*\*\* Bienvenido\/a a charla, ana\./);
  assert.equal(await bob.next(), '*** ana se ha unido al chat ***');
});

test('access - over TLS the chat works with a trusted certificate, and plain TCP gets nothing', async (t) => {
  const pair = await selfSigned(t);
  if (pair === undefined) {
    t.skip('openssl is not installed');
    return;
  }
  const { tcpPort, server } = await startTestServer(t, { tcpOptions: { tls: { cert: pair.cert, key: pair.key } } });
  assert.equal(server.tcp?.secure, true);
  const secure = async (name: string): Promise<LineClient> => {
    const socket = tls.connect({ host: '127.0.0.1', port: tcpPort, ca: pair.cert, servername: 'localhost' });
    t.after(() => socket.destroy());
    await within(once(socket, 'secureConnect'), 3000, 'the TLS handshake');
    const client = new LineClient(socket);
    client.write(`${name}\n`);
    await client.next();
    return client;
  };
  const ana = await secure('ana');
  const bob = await secure('bob');
  await ana.waitFor('*** bob se ha unido al chat ***');
  bob.write('hola cifrado\n');
  assert.equal(await ana.next(), 'bob: hola cifrado');

  // A plain client's name is not TLS: the server drops it and the room never hears of it.
  const plain = net.connect({ host: '127.0.0.1', port: tcpPort });
  t.after(() => plain.destroy());
  plain.write('eve\nhola a todos\n');
  await within(once(plain, 'close'), 3000, 'the server to drop a plain-TCP client');
  ana.write('/listar\n');
  assert.equal(await ana.next(), 'Usuarios: ana, bob');

  // An untrusted certificate is refused by a verifying client.
  const untrusted = tls.connect({ host: '127.0.0.1', port: tcpPort, servername: 'localhost' });
  const [err] = (await within(once(untrusted, 'error'), 3000, 'the untrusted certificate to be refused')) as [NodeJS.ErrnoException];
  assert.match(String(err.code), /SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
});

test('access - joinAs helper still works against a passwordless server (sanity of the defaults)', async (t) => {
  const { tcpPort } = await startTestServer(t);
  await joinAs(t, tcpPort, 'ana');
});
