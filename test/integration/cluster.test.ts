import assert from 'node:assert/strict';
import test, { type TestContext } from 'node:test';
import { text } from '../../src/hub/messages.js';
import { type ClusterNode, clusterNode, knows } from '../helpers/cluster-node.js';
import { connectIrc } from '../helpers/irc-client.js';
import { spawnServer } from '../helpers/spawn-server.js';
import { connectLine, joinAs } from '../helpers/line-client.js';
import { HAVE_REDIS, NO_REDIS, startRedis, type TestRedis } from '../helpers/redis-server.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpJoinAs } from '../helpers/udp-client.js';
import { within } from '../helpers/within.js';
import { connectWs, type WsClient, wsJoinAs } from '../helpers/ws-client.js';

/** Several charla servers, one chat, through a Redis of the test's own (README "Several servers"). */

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);
const skip = HAVE_REDIS ? false : NO_REDIS;

/** A browser's message frame, read loosely. */
type AnyMessage = { from: string; text: string; id: number };

/** A cluster node: an in-process server on its own ports (TCP, UDP, IRC, browser), joined to `redis`. */
const node = (t: TestContext, redis: TestRedis, id: string, cluster = {}): Promise<ClusterNode> => clusterNode(t, redis.url, id, cluster);

test('cluster - a TCP, a UDP and an IRC user on three nodes chat as one room, and in a second room', { skip }, async (t) => {
  const redis = await startRedis(t);
  const [a, b, c] = [await node(t, redis, 'a'), await node(t, redis, 'b'), await node(t, redis, 'c')];
  const ana = await joinAs(t, a.tcpPort, 'ana');
  await knows(b, 'ana');
  const bob = await udpJoinAs(t, b.udpPort, 'bob');
  assert.equal(await ana.next(), es('user_joined', { name: 'bob' }));
  await knows(c, 'ana', 'bob');
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

test('cluster - a browser user chats with a TCP, a UDP and an IRC user over three nodes, in one room and a second; /listar and /salas are the cluster\'s; since resumes on another node', { skip }, async (t) => {
  const redis = await startRedis(t);
  const [a, b, c] = [await node(t, redis, 'a'), await node(t, redis, 'b'), await node(t, redis, 'c')];
  // a: ana (TCP) and cam (IRC); b: web (browser); c: bob (UDP).
  const ana = await joinAs(t, a.tcpPort, 'ana');
  await knows(b, 'ana');
  const web = await wsJoinAs(t, b.httpPort, 'web');
  const welcome = web.frames.find((f) => f.type === 'welcome');
  assert.equal(welcome?.count, 2, 'the welcome counts the cluster');
  assert.deepEqual([...((welcome?.users as string[] | undefined) ?? [])].sort(), ['ana', 'web']);
  assert.equal(await ana.next(), es('user_joined', { name: 'web' }));
  await knows(c, 'ana', 'web');
  const bob = await udpJoinAs(t, c.udpPort, 'bob');
  await web.waitFor((f) => f.type === 'joined' && f.name === 'bob');
  assert.equal(await ana.next(), es('user_joined', { name: 'bob' }));
  await knows(a, 'web', 'bob');
  const cam = await connectIrc(t, a.ircPort);
  await cam.register('cam');
  cam.send('JOIN #general');
  const names = await cam.waitFor(/ 353 cam = #general :/);
  assert.deepEqual(names.split(':').at(-1)?.split(' ').sort(), ['ana', 'bob', 'cam', 'web'], 'NAMES lists the browser user of another node');
  assert.deepEqual(await web.waitFor('joined'), { type: 'joined', room: 'general', name: 'cam', text: es('user_joined', { name: 'cam' }) });
  await bob.waitFor(es('user_joined', { name: 'cam' }));

  web.line('hola desde el navegador'); // a sender gets no copy of its own room message
  assert.equal(await ana.waitFor(/^web: /), 'web: hola desde el navegador');
  assert.equal(await bob.waitFor(/^web: /), 'web: hola desde el navegador');
  await cam.waitFor(/:web!\S+ PRIVMSG #general :hola desde el navegador$/);
  ana.write('desde tcp\n');
  bob.send('desde udp');
  cam.send('PRIVMSG #general :desde irc');
  const heard = new Map<string, AnyMessage>();
  for (let i = 0; i < 3; i++) {
    const m = (await web.waitFor('message')) as AnyMessage;
    heard.set(m.from, m);
  }
  assert.deepEqual(
    [...heard.values()].map((m) => `${m.from}: ${m.text}`).sort(),
    ['ana: desde tcp', 'bob: desde udp', 'cam: desde irc'],
    'the browser hears every other node',
  );

  web.line('/listar');
  const users = await web.waitFor('users');
  assert.equal(users.room, 'general');
  assert.deepEqual(
    (users.users as unknown as { name: string; operator: boolean }[]).map((u) => u.name).sort(),
    ['ana', 'bob', 'cam', 'web'],
    'the browser\'s users frame lists the users of every node',
  );
  assert.equal((users.users as unknown as { name: string }[])[0]?.name, 'web', 'this node\'s users first');
  web.line('/msg cam de navegador a irc');
  await cam.waitFor(/:web!\S+ PRIVMSG cam :de navegador a irc$/);
  bob.send('/msg web de udp a navegador');
  const pm = await web.waitFor((f) => f.type === 'private' && f.echo !== true);
  assert.deepEqual({ from: pm.from, text: pm.text }, { from: 'bob', text: 'de udp a navegador' });

  // A second room: web and bob move to juegos, cam joins it too; ana (general) hears the moves, not the chat.
  web.line('/sala juegos');
  const moved = await web.waitFor('welcome');
  assert.equal(moved.room, 'juegos');
  assert.equal(await ana.waitFor(/se ha ido/), es('user_moved', { name: 'web', room: 'juegos' }));
  bob.send('/sala juegos');
  assert.deepEqual(await web.waitFor('joined'), { type: 'joined', room: 'juegos', name: 'bob', from: 'general', text: es('user_arrived', { name: 'bob', room: 'general' }) });
  cam.send('JOIN #juegos');
  await cam.waitFor(/^:cam!\S+ JOIN #juegos$/);
  assert.equal((await web.waitFor('joined')).name, 'cam');
  web.line('en juegos');
  assert.equal(await bob.waitFor(/^web: /), 'web: en juegos');
  await cam.waitFor(/:web!\S+ PRIVMSG #juegos :en juegos$/);
  web.line('/listar');
  const inJuegos = await web.waitFor('users');
  assert.equal(inJuegos.room, 'juegos');
  assert.deepEqual((inJuegos.users as unknown as { name: string }[]).map((u) => u.name).sort(), ['bob', 'cam', 'web']);
  web.line('/salas');
  assert.deepEqual((await web.waitFor('rooms')).rooms, [
    { name: 'general', users: 2 },
    { name: 'juegos', users: 3 },
  ]);
  ana.write('/listar\n');
  assert.equal(await ana.waitFor(/^Usuarios:/), 'Usuarios: ana, cam', 'general: ana and cam (IRC keeps both channels)');
  assert.ok(!ana.lines.includes('web: en juegos'), 'general does not hear juegos');

  // The browser drops; bob says two things it misses; it comes back on node c (another node) with since.
  bob.send('visto');
  const lastSeen = (await web.waitFor((f) => f.type === 'message' && f.text === 'visto')).id as number;
  web.ws.close();
  await web.closedByServer();
  await bob.waitFor(/^\*\*\* web ha salido/);
  bob.send('perdido 1');
  bob.send('perdido 2');
  await cam.waitFor(/PRIVMSG #juegos :perdido 2$/);
  let back: WsClient | undefined;
  let welcomed: Record<string, unknown> | undefined;
  // The name is released right after the leave; a refusal means the release was still on its way.
  for (let i = 0; i < 20 && welcomed === undefined; i++) {
    back = await connectWs(t, c.httpPort);
    back.send({ type: 'join', v: 1, name: 'web', room: 'juegos', since: lastSeen });
    const answer = await back.next();
    if (answer.type === 'welcome') welcomed = answer;
    else {
      assert.equal(answer.type, 'refusal');
      back.ws.close();
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  assert.ok(back !== undefined && welcomed !== undefined, 'web came back on node c');
  assert.equal(welcomed.room, 'juegos');
  const missed = await back.next();
  assert.equal(missed.type, 'history');
  assert.equal(missed.gap, false);
  // Node c logs bob's lines when they come back to it through the cluster's stream, on its own
  // time: cam's node may have them first. A line node c had not logged yet when web came back
  // reaches web right after the history, live, as to every member of the room.
  const caught = (missed.messages as unknown as { id: number; text: string }[]).map((m) => ({ id: m.id, text: m.text }));
  while (caught.length < 2) {
    const live = await back.waitFor('message');
    caught.push({ id: live.id as number, text: live.text as string });
  }
  assert.deepEqual(caught.map((m) => m.text), ['perdido 1', 'perdido 2'], 'exactly what was missed, by the ids of another node, once each');
  assert.ok(caught.every((m, i) => m.id > (i === 0 ? lastSeen : (caught[i - 1] as { id: number }).id)), `ids after the one seen, in order: ${JSON.stringify(caught)}`);
});

test('cluster - two users claiming one name on two nodes at the same instant: exactly one wins, the other is told (30 rounds)', { skip }, async (t) => {
  const redis = await startRedis(t);
  const [a, b] = [await node(t, redis, 'a'), await node(t, redis, 'b')];
  const wins = { a: 0, b: 0 };
  for (let round = 0; round < 30; round++) {
    const name = `nombre${round}`;
    // Both lines leave in the same turn of the loop; each round the other node's client is connected and writes first.
    const [first, second] = round % 2 === 0 ? [await connectLine(t, a.tcpPort), await connectLine(t, b.tcpPort)] : [await connectLine(t, b.tcpPort), await connectLine(t, a.tcpPort)];
    const [ca, cb] = round % 2 === 0 ? [first, second] : [second, first];
    first.write(`${name}\n`);
    second.write(`${name}\n`);
    const [ra, rb] = await Promise.all([ca.next(), cb.next()]);
    const welcomed = [ra, rb].filter((l) => l.startsWith('*** Bienvenido/a'));
    const refused = [ra, rb].filter((l) => l === es('name_taken', { name }));
    assert.equal(welcomed.length, 1, `round ${round}: exactly one is welcomed (${ra} | ${rb})`);
    assert.equal(refused.length, 1, `round ${round}: the other is told the name is taken (${ra} | ${rb})`);
    wins[ra.startsWith('***') ? 'a' : 'b']++;
    ca.socket.destroy();
    cb.socket.destroy();
  }
  t.diagnostic(`wins: node a ${wins.a}, node b ${wins.b}`);
  assert.ok(wins.a > 0 && wins.b > 0, `each node won some rounds (a ${wins.a}, b ${wins.b})`);
});

test('cluster - case and look-alike collisions are refused across nodes too, and a name is free again once its holder leaves', { skip }, async (t) => {
  const redis = await startRedis(t);
  const [a, b] = [await node(t, redis, 'a'), await node(t, redis, 'b')];
  const ana = await joinAs(t, a.tcpPort, 'ana');
  const bob = await connectLine(t, b.tcpPort);
  bob.write('ANA\n');
  assert.equal(await bob.next(), es('name_taken', { name: 'ANA' }));
  bob.write('аna\n'); // Cyrillic а: a look-alike
  assert.equal(await bob.next(), es('name_taken', { name: 'аna' }));
  ana.write('/quitar\n');
  await ana.closedByServer();
  // Node b hears the leave, and Redis frees the keys in the same order: the name is free.
  await within(
    (async () => {
      for (let i = 0; i < 50; i++) {
        bob.write('ana\n');
        const line = await bob.next();
        if (line.startsWith('*** Bienvenido/a')) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('ana never became free');
    })(),
    5000,
    'the name to be free again',
  );
});

test('cluster - kill -9 of a node: the others announce its users as gone (connection lost) within 15 s, and free their names', { skip }, async (t) => {
  const redis = await startRedis(t);
  const a = await node(t, redis, 'a');
  const doomed = await spawnServer(t, ['--redis', redis.url, '--node-id', 'doomed', '--no-warmup']);
  const ana = await joinAs(t, a.tcpPort, 'ana');
  const bob = await joinAs(t, doomed.tcpPort, 'bob');
  const eve = await joinAs(t, doomed.tcpPort, 'eve');
  await ana.waitFor(es('user_joined', { name: 'eve' }));
  assert.deepEqual(a.server.hub.names().sort(), ['ana', 'bob', 'eve']);
  const killedAt = Date.now();
  process.kill(doomed.child.pid as number, 'SIGKILL');
  await doomed.exited;
  const lost = (name: string): string => es('user_left_because', { name, reason: es('reason_connection_lost') });
  const gone = [await ana.next(20_000), await ana.next(20_000)].sort();
  const seconds = (Date.now() - killedAt) / 1000;
  t.diagnostic(`the killed node's users were announced gone ${seconds.toFixed(1)} s after kill -9`);
  assert.deepEqual(gone, [lost('bob'), lost('eve')].sort());
  assert.ok(seconds < 15, `announced within 15 s (took ${seconds.toFixed(1)} s)`);
  ana.write('/listar\n');
  assert.equal(await ana.next(), 'Usuarios: ana');
  const again = await joinAs(t, a.tcpPort, 'bob'); // the name is free
  again.write('/listar\n');
  assert.equal(await again.waitFor(/^Usuarios:/), 'Usuarios: ana, bob');
  bob.socket.destroy();
  eve.socket.destroy();
});

test('cluster - a 2-second Redis outage and restart with no persistence: each node chats on its own, new names are refused, then names and presence are rebuilt', { skip }, async (t) => {
  const redis = await startRedis(t);
  const [a, b] = [await node(t, redis, 'a'), await node(t, redis, 'b')];
  const ana = await joinAs(t, a.tcpPort, 'ana');
  const eve = await joinAs(t, a.tcpPort, 'eve');
  await knows(b, 'ana', 'eve');
  const bob = await joinAs(t, b.tcpPort, 'bob');
  await ana.waitFor(es('user_joined', { name: 'bob' }));
  await eve.waitFor(es('user_joined', { name: 'bob' }));
  ana.write('antes\n');
  assert.equal(await bob.next(), 'ana: antes');
  assert.equal(await eve.next(), 'ana: antes');

  const outage = Date.now();
  await redis.stop();
  for (const c of [ana, eve, bob]) await c.waitFor(es('cluster_split'), 5000);
  const SENT = 5;
  for (let i = 0; i < SENT; i++) ana.write(`durante ${i}\n`);
  bob.write('bob durante\n');
  for (let i = 0; i < SENT; i++) assert.equal(await eve.next(), `ana: durante ${i}`, 'users of the same node keep chatting');
  const newcomer = await connectLine(t, a.tcpPort);
  newcomer.write('nuevo\n');
  assert.equal(await newcomer.next(), es('name_unavailable_split', { name: 'nuevo' }), 'a name that cannot be reserved is refused');
  ana.write('/msg bob hola\n');
  assert.equal(await ana.waitFor(/^Error/), es('private_split', { name: 'bob' }));
  // The outage lasts two seconds (the scenario, not a wait for anything).
  await new Promise((r) => setTimeout(r, Math.max(0, 2000 - (Date.now() - outage))));
  await redis.start(); // empty: no persistence
  for (const c of [ana, eve, bob]) await c.waitFor(es('cluster_whole'), 10_000);

  // Presence and names were rebuilt from the nodes' own users.
  const listed = async (c: typeof ana): Promise<string> => {
    c.write('/listar\n');
    return c.waitFor(/^Usuarios:/);
  };
  await within(
    (async () => {
      for (let i = 0; i < 100 && (await listed(bob)) !== 'Usuarios: bob, ana, eve'; i++) await new Promise((r) => setTimeout(r, 20));
    })(),
    5000,
    'node b to list ana and eve again',
  );
  assert.equal(await listed(ana), 'Usuarios: ana, eve, bob');
  const thief = await connectLine(t, b.tcpPort);
  thief.write('ana\n');
  assert.equal(await thief.next(), es('name_taken', { name: 'ana' }), 'ana holds her name again, cluster-wide');
  newcomer.write('nuevo\n');
  assert.match(await newcomer.next(), /^\*\*\* Bienvenido/);

  ana.write('después\n');
  assert.equal(await bob.waitFor(/^ana: /), 'ana: después', 'the room is whole again');
  // The README's promise: a message sent during the outage reached the sender's node only, and is never delivered later.
  const bobGot = bob.lines.filter((l) => l.startsWith('ana: '));
  assert.deepEqual(bobGot, ['ana: antes', 'ana: después'], `bob got none of the ${SENT} messages sent during the outage`);
  assert.equal(ana.lines.filter((l) => l === 'bob: bob durante').length, 0);
  assert.equal(eve.lines.filter((l) => l.startsWith('ana: durante')).length, SENT);
  // Rejoining after the restart, no one was taken for gone and back.
  assert.deepEqual(ana.lines.filter((l) => l.includes(' ha salido del chat')), []);
  assert.deepEqual(bob.lines.filter((l) => l.includes(' ha salido del chat')), []);
});

test('cluster - operators, mutes and removals reach across nodes; an announcement reaches every node', { skip }, async (t) => {
  const redis = await startRedis(t);
  const opts = { redis: redis.url, hub: { adminPassword: 'clave' } };
  const a = await startTestServer(t, { ...opts, cluster: { node: 'a' } });
  const b = await startTestServer(t, { ...opts, cluster: { node: 'b' } });
  const ana = await joinAs(t, a.tcpPort, 'ana');
  await knows(b, 'ana');
  const bob = await joinAs(t, b.tcpPort, 'bob');
  await ana.waitFor(es('user_joined', { name: 'bob' }));
  ana.write('/admin clave\n');
  await ana.waitFor(/operador/);
  ana.write('listo\n'); // after the grant in the stream: once bob has it, node b knows
  assert.equal(await bob.next(), 'ana: listo');
  bob.write('/listar\n');
  assert.equal(await bob.waitFor(/^Usuarios:/), 'Usuarios: bob, @ana', 'the operator mark is cluster-wide');
  ana.write('/anunciar hola a todas las salas\n');
  assert.equal(await bob.next(), es('announcement', { from: 'ana', text: 'hola a todas las salas' }));
  ana.write('/silenciar bob 5\n');
  assert.equal(await ana.waitFor(/silenciado/), es('mute_done', { name: 'bob', minutes: 5 }));
  assert.equal(await bob.next(), es('muted_you', { by: 'ana', minutes: 5 }));
  bob.write('no me oyen\n');
  assert.match(await bob.next(), /^Error: /, 'the mute is enforced on bob’s own node');
  ana.write('/expulsar bob basta\n');
  assert.equal(await ana.waitFor(/expulsado\/a/), es('kick_done', { name: 'bob' }));
  assert.equal(await ana.waitFor(/basta/), es('user_removed_because', { name: 'bob', by: 'ana', because: 'basta' }));
  await bob.closedByServer();
  assert.ok(!ana.lines.includes('bob: no me oyen'));
});
