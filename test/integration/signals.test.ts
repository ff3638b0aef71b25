import assert from 'node:assert/strict';
import test from 'node:test';
import { text } from '../../src/hub/messages.js';
import { spawnCharla } from '../helpers/charla-process.js';
import { joinAs } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/start-server.js';
import { type SpawnedServer, spawnServer } from '../helpers/spawn-server.js';
import { within } from '../helpers/within.js';

/** What each signal does to `charla server` (hardening issue, item 9). */

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);
const GOODBYE = es('server_closing');

/** Resolves once the server has printed `line` on stdout (or fails if it exits first). */
async function printed(srv: SpawnedServer, line: string, ms = 5000): Promise<void> {
  const seen = new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (srv.stdout.includes(line)) {
        srv.child.stdout?.off('data', onData);
        resolve();
      }
    };
    const onData = (): void => void setImmediate(check); // after spawnServer's collector split the chunk
    srv.child.stdout?.on('data', onData);
    srv.exited.then((code) => reject(new Error(`the server exited (${code}, ${srv.child.signalCode}) before printing ${JSON.stringify(line)}`)), () => {});
    check();
  });
  await within(seen, ms, `the server to print ${JSON.stringify(line)} (so far: ${JSON.stringify(srv.stdout.slice(-3))})`);
}

test('signals - SIGHUP without --log-file: the server says there is nothing to reopen and keeps serving', async (t) => {
  const srv = await spawnServer(t, ['--no-warmup']);
  const ana = await joinAs(t, srv.tcpPort, 'ana');
  srv.child.kill('SIGHUP');
  await printed(srv, es('log_sighup_no_file'));
  const bob = await joinAs(t, srv.tcpPort, 'bob');
  await ana.waitFor(es('user_joined', { name: 'bob' }));
  bob.write('hola tras SIGHUP\n');
  assert.equal(await ana.waitFor(/^bob: /), 'bob: hola tras SIGHUP');
  srv.child.kill('SIGTERM');
  await ana.waitFor(GOODBYE);
  assert.equal(await within(srv.exited, 5000, 'the server to exit'), 0);
});

test('signals - SIGUSR1 opens no inspector: the server logs that it ignored it and keeps serving', async (t) => {
  const srv = await spawnServer(t, ['--no-warmup']);
  const ana = await joinAs(t, srv.tcpPort, 'ana');
  srv.child.kill('SIGUSR1');
  await printed(srv, es('log_sigusr1_ignored'));
  const bob = await joinAs(t, srv.tcpPort, 'bob');
  bob.write('sin depurador\n');
  assert.equal(await ana.waitFor(/^bob: /), 'bob: sin depurador');
  // Node announces an inspector on stderr ("Debugger listening on ws://127.0.0.1:9229/...").
  assert.doesNotMatch(srv.stderr.join('\n'), /Debugger listening|inspector/i);
  srv.child.kill('SIGTERM');
  assert.equal(await within(srv.exited, 5000, 'the server to exit'), 0);
  assert.doesNotMatch(srv.stderr.join('\n'), /Debugger listening|inspector/i);
});

for (const signal of ['SIGUSR2', 'SIGQUIT'] as const) {
  test(`signals - ${signal} stops the server as SIGTERM does: every user is told, exit code 0`, async (t) => {
    const srv = await spawnServer(t, ['--no-warmup']);
    const ana = await joinAs(t, srv.tcpPort, 'ana');
    const bob = await joinAs(t, srv.tcpPort, 'bob');
    await ana.waitFor(es('user_joined', { name: 'bob' }));
    srv.child.kill(signal);
    assert.equal(await ana.waitFor(GOODBYE), GOODBYE);
    assert.equal(await bob.waitFor(GOODBYE), GOODBYE);
    assert.equal(await within(srv.exited, 5000, 'the server to exit'), 0);
    assert.equal(srv.child.signalCode, null, 'not killed by the signal');
    assert.ok(srv.stdout.some((l) => l.startsWith('charla: cerrando (2 usuarios avisados)')), 'the shutdown is logged');
  });
}

test('signals - SIGUSR1 opens no inspector in the client either', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const watcher = await joinAs(t, tcpPort, 'vigia');
  const ana = spawnCharla(t, ['client', '--port', String(tcpPort), '--name', 'ana']);
  await ana.line(/^\*\*\* Bienvenido/);
  assert.equal(await watcher.next(), es('user_joined', { name: 'ana' }));
  ana.child.kill('SIGUSR1');
  ana.send('sigo aquí');
  assert.equal(await watcher.next(), 'ana: sigo aquí');
  ana.end();
  assert.equal(await ana.exit(), 0);
  assert.doesNotMatch(ana.stderr, /Debugger listening|inspector/i);
});
