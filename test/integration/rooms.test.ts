import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { text } from '../../src/hub/messages.js';
import { joinAs } from '../helpers/line-client.js';
import { spawnServer } from '../helpers/spawn-server.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpJoinAs } from '../helpers/udp-client.js';
import { within } from '../helpers/within.js';

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);
const PAST = /^\[\d\d:\d\d\] /;

test('rooms over TCP and UDP - /sala moves users between rooms, messages stay in their room, /salas and /listar see it', async (t) => {
  const { tcpPort, udpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await udpJoinAs(t, udpPort, 'bob');
  assert.equal(await ana.next(), es('user_joined', { name: 'bob' }));
  const eve = await joinAs(t, tcpPort, 'eve');
  await ana.waitFor(es('user_joined', { name: 'eve' }));

  bob.send('/sala juegos');
  assert.equal(await bob.waitFor(/^\*\*\* Estás/), es('room_entered', { room: 'juegos', users: 'bob' }));
  assert.equal(await ana.next(), es('user_moved', { name: 'bob', room: 'juegos' }));
  eve.write('/join juegos\n');
  assert.equal(await eve.waitFor(/^\*\*\* Estás/), es('room_entered', { room: 'juegos', users: 'bob, eve' }));
  assert.equal(await bob.next(), es('user_arrived', { name: 'eve', room: 'general' }));

  bob.send('solo para juegos');
  assert.equal(await eve.next(), 'bob: solo para juegos');
  ana.write('/listar\n');
  assert.equal(await ana.waitFor(/^Usuarios: /), 'Usuarios: ana', 'bob: solo para juegos never reached general');
  ana.write('/salas\n');
  assert.equal(await ana.next(), es('room_list', { rooms: 'general (1), juegos (2)' }));
  ana.write('/msg bob de sala a sala\n');
  assert.equal(await bob.next(), es('private_from', { name: 'ana', text: 'de sala a sala' }));
  eve.write('/quitar\n');
  assert.equal(await bob.next(), es('user_left', { name: 'eve' }));
});

test('history over TCP and UDP - /historial replays the room to the asker marked as past; --replay-on-join on entering', async (t) => {
  const { tcpPort, udpPort } = await startTestServer(t, { hub: { replayOnJoin: 2 } });
  const ana = await joinAs(t, tcpPort, 'ana');
  for (const m of ['uno', 'dos', 'tres']) ana.write(`${m}\n`);
  ana.write('/msg ana nada\n');
  await ana.waitFor(/^Error: /); // the three went before it
  const bob = await udpJoinAs(t, udpPort, 'bob');
  assert.equal(await bob.next(), es('history_header', { count: 2, room: 'general' }));
  assert.match(await bob.next(), /^\[\d\d:\d\d\] ana: dos$/);
  assert.match(await bob.next(), /^\[\d\d:\d\d\] ana: tres$/);
  bob.send('/historial 5');
  assert.equal(await bob.next(), es('history_header', { count: 3, room: 'general' }));
  for (const m of ['uno', 'dos', 'tres']) assert.equal((await bob.next()).replace(PAST, ''), `ana: ${m}`);
  const eve = await joinAs(t, tcpPort, 'eve'); // TCP: the same replay after the welcome
  assert.equal(await eve.next(), es('history_header', { count: 2, room: 'general' }));
  assert.match(await eve.next(), /^\[\d\d:\d\d\] ana: dos$/);
  assert.match(await eve.next(), /^\[\d\d:\d\d\] ana: tres$/);
  eve.write('/history 1\n');
  assert.equal(await eve.next(), es('history_header', { count: 1, room: 'general' }));
  assert.match(await eve.next(), /^\[\d\d:\d\d\] ana: tres$/);
});

test('moderation over TCP and UDP - an operator kicks, mutes and announces; the room hears who and why', async (t) => {
  const { server, tcpPort, udpPort, logged } = await startTestServer(t, { hub: { adminPassword: 'secreta' } });
  const profe = await joinAs(t, tcpPort, 'profe');
  const ana = await udpJoinAs(t, udpPort, 'ana');
  const eve = await joinAs(t, tcpPort, 'eve');
  await profe.waitFor(es('user_joined', { name: 'eve' }));
  await ana.waitFor(es('user_joined', { name: 'eve' }));

  eve.write('/admin adivino\n');
  await logged(/clave de operador incorrecta de eve/);
  assert.equal(await eve.next(3000 + 2000), es('admin_wrong'));
  profe.write('/admin secreta\n');
  assert.equal(await profe.waitFor(/^\*\*\* Ahora/), es('admin_granted'));

  profe.write('/silenciar ana 5\n');
  assert.equal(await ana.waitFor(/silenciado/), es('muted_you', { by: 'profe', minutes: 5 }));
  ana.send('¿hola?');
  assert.equal(await ana.next(), es('muted', { minutes: 5 }));
  eve.write('/listar\n');
  assert.equal(await eve.next(), 'Usuarios: @profe, ana, eve', 'nothing from ana reached eve');

  profe.write('/anunciar a las 12 se cierra\n');
  const notice = es('announcement', { from: 'profe', text: 'a las 12 se cierra' });
  for (const c of [profe, eve]) assert.equal(await c.waitFor(/^\*\*\* Aviso/), notice);
  assert.equal(await ana.waitFor(/^\*\*\* Aviso/), notice);

  profe.write('/expulsar eve basta\n');
  assert.equal(await eve.next(), es('kicked_you_because', { by: 'profe', because: 'basta' }));
  await eve.closedByServer();
  assert.equal(await ana.waitFor(/expulsad/), es('user_removed_because', { name: 'eve', by: 'profe', because: 'basta' }));
  assert.deepEqual(server.hub.names(), ['profe', 'ana']);
});

test('history with --data-dir survives kill -9 of the server: a newcomer after the restart sees it, marked as past', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'charla-history-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = await spawnServer(t, ['--no-warmup', '--data-dir', dir]);
  const ana = await joinAs(t, first.tcpPort, 'ana');
  const bob = await joinAs(t, first.tcpPort, 'bob');
  await ana.waitFor(es('user_joined', { name: 'bob' }));
  // Watch the data dir: the messages are on disk (in the kernel) once a file holds the last one.
  const written = new Promise<void>((resolve) => {
    const check = (): void => {
      for (const f of readdirSync(dir)) if (readFileSync(join(dir, f), 'utf8').includes('el último')) return resolve();
    };
    const watcher = watch(dir, check);
    t.after(() => watcher.close());
    check();
  });
  ana.write('hola antes de la caída\n');
  bob.write('/sala otra\n');
  bob.write('en otra sala\n');
  ana.write('el último\n');
  await within(written, 5000, 'the history to reach the data dir');
  first.child.kill('SIGKILL');
  await within(first.exited, 5000, 'the server to die');

  const second = await spawnServer(t, ['--no-warmup', '--data-dir', dir]);
  const eve = await joinAs(t, second.tcpPort, 'eve');
  eve.write('/historial\n');
  assert.equal(await eve.next(), es('history_header', { count: 2, room: 'general' }));
  assert.match(await eve.next(), /^\[\d\d:\d\d\] ana: hola antes de la caída$/);
  assert.match(await eve.next(), /^\[\d\d:\d\d\] ana: el último$/);
  eve.write('/sala otra\n');
  await eve.waitFor(/^\*\*\* Estás/);
  eve.write('/historial\n');
  assert.equal(await eve.next(), es('history_header', { count: 1, room: 'otra' }));
  assert.match(await eve.next(), /^\[\d\d:\d\d\] bob: en otra sala$/);
  // Ids go on after the restart: a new message's id is above every loaded one (checked in the log).
  second.child.kill('SIGTERM');
  assert.equal(await within(second.exited, 5000, 'the server to exit'), 0);
});
