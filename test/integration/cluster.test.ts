import assert from 'node:assert/strict';
import test, { type TestContext } from 'node:test';
import { text } from '../../src/hub/messages.js';
import { connectIrc } from '../helpers/irc-client.js';
import { connectLine, joinAs } from '../helpers/line-client.js';
import { HAVE_REDIS, NO_REDIS, startRedis, type TestRedis } from '../helpers/redis-server.js';
import { startTestServer, type TestServer } from '../helpers/start-server.js';
import { udpJoinAs } from '../helpers/udp-client.js';
import { within } from '../helpers/within.js';

/** Several charla servers, one chat, through a Redis of the test's own (README "Several servers"). */

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);
const skip = HAVE_REDIS ? false : NO_REDIS;

/** A cluster node: an in-process server on its own ports (TCP, UDP, IRC), joined to `redis`. */
async function node(t: TestContext, redis: TestRedis, id: string, cluster = {}): Promise<TestServer & { ircPort: number }> {
  const s = await startTestServer(t, { redis: redis.url, irc: true, ircPort: 0, cluster: { node: id, ...cluster } });
  return { ...s, ircPort: s.server.irc?.address.port ?? 0 };
}

test('cluster - a TCP, a UDP and an IRC user on three nodes chat as one room, and in a second room', { skip }, async (t) => {
  const redis = await startRedis(t);
  const [a, b, c] = [await node(t, redis, 'a'), await node(t, redis, 'b'), await node(t, redis, 'c')];
  const ana = await joinAs(t, a.tcpPort, 'ana');
  const bob = await udpJoinAs(t, b.udpPort, 'bob');
  assert.equal(await ana.next(), es('user_joined', { name: 'bob' }));
  const cam = await connectIrc(t, c.ircPort);
  await cam.register('cam');
  cam.send('JOIN #general');
  await cam.waitFor(/^:cam!\S+ JOIN #general$/);
  const names = await cam.waitFor(/ 353 cam = #general :/);
  assert.deepEqual(names.split(':').at(-1)?.split(' ').sort(), ['ana', 'bob', 'cam'], 'NAMES lists the users of every node');
  assert.equal(await ana.next(), es('user_joined', { name: 'cam' }));
  assert.equal(await bob.next(), es('user_joined', { name: 'cam' }));

  ana.write('hola a todos\n');
  assert.equal(await bob.next(), 'ana: hola a todos');
  assert.match(await cam.waitFor(/PRIVMSG #general/), /^(@\S+ )?:ana!ana@tcp\.charla PRIVMSG #general :hola a todos$/);
  bob.send('desde udp');
  assert.equal(await ana.next(), 'bob: desde udp');
  await cam.waitFor(/:bob!bob@udp\.charla PRIVMSG #general :desde udp$/);
  cam.send('PRIVMSG #general :desde irc');
  assert.equal(await ana.next(), 'cam: desde irc');
  assert.equal(await bob.next(), 'cam: desde irc');

  ana.write('/listar\n');
  assert.equal(await ana.next(), 'Usuarios: ana, bob, cam');
  ana.write('/msg bob en privado\n');
  assert.equal(await bob.next(), es('private_from', { name: 'ana', text: 'en privado' }));
  bob.send('/msg cam y a irc');
  await cam.waitFor(/:bob!bob@udp\.charla PRIVMSG cam :y a irc$/);
  cam.send('PRIVMSG ana :de vuelta');
  assert.equal(await ana.waitFor(/^\[privado\]|de vuelta/), es('private_from', { name: 'cam', text: 'de vuelta' }));

  // A second room: bob moves there, cam joins it too; ana (general) hears the move, not the chat.
  bob.send('/sala juegos');
  assert.equal(await bob.waitFor(/^\*\*\* Estás/), es('room_entered', { room: 'juegos', users: 'bob' }));
  assert.equal(await ana.next(), es('user_moved', { name: 'bob', room: 'juegos' }));
  cam.send('JOIN #juegos');
  await cam.waitFor(/^:cam!\S+ JOIN #juegos$/);
  assert.equal(await bob.next(), es('user_joined', { name: 'cam' }));
  cam.send('PRIVMSG #juegos :solo juegos');
  assert.equal(await bob.next(), 'cam: solo juegos');
  ana.write('/salas\n');
  assert.equal(await ana.next(), es('room_list', { rooms: 'general (2), juegos (2)' }));
  bob.send('/listar');
  assert.equal(await bob.next(), 'Usuarios: bob, cam');
  ana.write('/quitar\n');
  await cam.waitFor(/^:ana!\S+ QUIT /);
  bob.send('/salas');
  assert.equal(await bob.next(), es('room_list', { rooms: 'general (1), juegos (2)' }));
});
