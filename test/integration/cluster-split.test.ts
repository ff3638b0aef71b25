import assert from 'node:assert/strict';
import test from 'node:test';
import { text } from '../../src/hub/messages.js';
import { clusterNode, knows } from '../helpers/cluster-node.js';
import { connectLine, joinAs, type LineClient } from '../helpers/line-client.js';
import { HAVE_REDIS, NO_REDIS, startRedis } from '../helpers/redis-server.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { within } from '../helpers/within.js';

/**
 * One node loses Redis while the others keep it (README "Several servers", "A Redis outage"): a
 * TCP proxy between node a and Redis is cut for two seconds, then healed.
 */

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);
const skip = HAVE_REDIS ? false : NO_REDIS;

const count = (c: LineClient, match: string | RegExp): number => c.lines.filter((l) => (typeof match === 'string' ? l === match : match.test(l))).length;

test('cluster - one node cut off from Redis for 2 s: its users chat among themselves, new names are refused there, the others chat on; healed, it rejoins and both sides see each other', { skip }, async (t) => {
  const redis = await startRedis(t);
  const proxy = await startTcpProxy(t, redis.port);
  const a = await clusterNode(t, `redis://127.0.0.1:${proxy.port}/0`, 'a');
  const b = await clusterNode(t, redis.url, 'b');
  const c = await clusterNode(t, redis.url, 'c');
  const ana = await joinAs(t, a.tcpPort, 'ana');
  const eve = await joinAs(t, a.tcpPort, 'eve');
  const ivy = await joinAs(t, a.tcpPort, 'ivy');
  await knows(b, 'ana', 'eve', 'ivy');
  const bob = await joinAs(t, b.tcpPort, 'bob');
  const bea = await joinAs(t, b.tcpPort, 'bea');
  await knows(c, 'ana', 'eve', 'ivy', 'bob', 'bea');
  const cam = await joinAs(t, c.tcpPort, 'cam');
  for (const u of [ana, eve, ivy, bob, bea]) await u.waitFor(es('user_joined', { name: 'cam' }));
  ana.write('antes\n');
  assert.equal(await bob.waitFor(/^ana: /), 'ana: antes');
  assert.equal(await cam.waitFor(/^ana: /), 'ana: antes');

  const all = [ana, eve, ivy, bob, bea, cam];
  const mark = new Map(all.map((u) => [u, u.lines.length]));
  const afterCut = (u: LineClient): string[] => u.lines.slice(mark.get(u));
  const cutAt = Date.now();
  proxy.cut();
  for (const u of [ana, eve, ivy]) await u.waitFor(es('cluster_split'), 5000);
  await a.logged(/sin contacto con Redis/);

  // Node a on its own: its users hear each other, and only each other.
  const SENT = 5;
  for (let i = 0; i < SENT; i++) ana.write(`a durante ${i}\n`);
  for (let i = 0; i < SENT; i++) assert.equal(await eve.waitFor(/^ana: /), `ana: a durante ${i}`);
  const newcomer = await connectLine(t, a.tcpPort);
  newcomer.write('nuevo\n');
  assert.equal(await newcomer.next(), es('name_unavailable_split', { name: 'nuevo' }), 'a name that cannot be reserved is refused');
  ivy.write('/quitar\n');
  assert.equal(await ana.waitFor(/ivy ha salido/), es('user_left', { name: 'ivy' }), 'a leave on the split node is heard there at once');

  // The others keep chatting; the split node's names stay reserved; a new name is taken.
  for (let i = 0; i < SENT; i++) bob.write(`b durante ${i}\n`);
  for (let i = 0; i < SENT; i++) assert.equal(await cam.waitFor(/^bob: /), `bob: b durante ${i}`);
  const thief = await connectLine(t, b.tcpPort);
  thief.write('eve\n');
  assert.equal(await thief.next(), es('name_taken', { name: 'eve' }), "eve's name stays hers across the split");
  const dan = await joinAs(t, b.tcpPort, 'dan');
  assert.equal(await cam.waitFor(/dan se ha unido/), es('user_joined', { name: 'dan' }));
  bea.write('/quitar\n');
  assert.equal(await cam.waitFor(/bea ha salido/), es('user_left', { name: 'bea' }));

  // The cut lasts two seconds (the scenario, not a wait for anything).
  await new Promise((r) => setTimeout(r, Math.max(0, 2000 - (Date.now() - cutAt))));
  proxy.heal();
  for (const u of [ana, eve]) await u.waitFor(es('cluster_whole'), 10_000);
  await a.logged(/Redis ha vuelto/, 10_000);

  // Both sides see each other again: a's users hear what b said meanwhile (read on from a's last
  // stream id), bea's leave and dan's join; b and c hear that ivy left.
  assert.equal(await bob.waitFor(/ivy ha salido/, 5000), es('user_left', { name: 'ivy' }));
  assert.equal(await cam.waitFor(/ivy ha salido/, 5000), es('user_left', { name: 'ivy' }));
  await knows(a, 'dan');
  await eve.until('the others\u2019 messages of the split', () => count(eve, /^bob: b durante /) === SENT, 5000);
  ana.write('después\n');
  assert.equal(await bob.waitFor(/^ana: /), 'ana: después', 'the room is whole again');
  assert.equal(await cam.waitFor(/^ana: /), 'ana: después');
  bob.write('de vuelta\n');
  assert.equal(await ana.waitFor(/^bob: de vuelta/, 5000), 'bob: de vuelta');
  assert.equal(await eve.waitFor(/^bob: de vuelta/), 'bob: de vuelta');

  // Presence rebuilt: every node lists the same users.
  const listed = async (u: LineClient): Promise<string[]> => {
    u.write('/listar\n');
    return (await u.waitFor(/^Usuarios:/)).slice('Usuarios: '.length).split(', ').sort();
  };
  const everyone = ['ana', 'bob', 'cam', 'dan', 'eve'];
  assert.deepEqual(await listed(ana), everyone);
  assert.deepEqual(await listed(bob), everyone);
  assert.deepEqual(await listed(cam), everyone);
  // ivy's name was freed when node a told the others she had left.
  const ivyAgain = await connectLine(t, c.tcpPort);
  ivyAgain.write('ivy\n');
  assert.match(await ivyAgain.next(), /^\*\*\* Bienvenido\/a a charla, ivy/, "ivy's name is free again cluster-wide");
  newcomer.write('nuevo\n');
  assert.match(await newcomer.next(), /^\*\*\* Bienvenido\/a a charla, nuevo/, 'node a takes new names again');

  // The README's counts.
  for (const u of [bob, cam, dan]) assert.equal(count(u, /^ana: a durante /), 0, "a message sent on the split node never reaches the others, not even later");
  assert.equal(count(eve, /^ana: a durante /), SENT, 'the split node’s users heard all of it');
  for (let i = 0; i < SENT; i++) {
    assert.equal(count(ana, `bob: b durante ${i}`), 1, `ana got "b durante ${i}" once, after the rejoin`);
    assert.equal(count(eve, `bob: b durante ${i}`), 1);
  }
  assert.deepEqual(eve.lines.filter((l) => l.startsWith('bob: b durante ')), [...Array(SENT).keys()].map((i) => `bob: b durante ${i}`), 'in order');
  assert.equal(count(ana, /^\*\*\* bea ha salido/), 1, 'bea’s leave is announced once on node a');
  assert.equal(count(ana, /^\*\*\* dan se ha unido/), 1, 'dan’s join is announced once on node a');
  assert.equal(count(ana, /^\*\*\* ivy ha salido/), 1);
  for (const u of [bob, cam]) assert.equal(count(u, /^\*\*\* ivy ha salido/), 1, 'ivy’s leave is announced once on the other nodes');
  // Nobody else was taken for gone and back; the other nodes were never split.
  for (const u of [ana, eve]) assert.deepEqual(afterCut(u).filter((l) => / ha salido| se ha unido/.test(l) && !/ivy|bea|dan|nuevo/.test(l)), []);
  for (const u of [bob, cam]) {
    assert.deepEqual(afterCut(u).filter((l) => / ha salido| se ha unido/.test(l) && !/ivy|bea|dan|nuevo/.test(l)), []);
    assert.equal(count(u, es('cluster_split')), 0);
  }
  assert.ok(proxy.accepted >= 4, 'node a connected again through the proxy');
});

test('cluster - a node that cannot reach Redis still shuts down at once (no reconnect keeps it alive)', { skip }, async (t) => {
  const redis = await startRedis(t);
  const proxy = await startTcpProxy(t, redis.port);
  const a = await clusterNode(t, `redis://127.0.0.1:${proxy.port}/0`, 'a');
  const ana = await joinAs(t, a.tcpPort, 'ana');
  proxy.cut();
  await ana.waitFor(es('cluster_split'), 5000);
  await within(a.server.close(500), 5000, 'the split node to close');
  await ana.closedByServer();
  assert.equal(a.server.cluster?.connected, false);
});
