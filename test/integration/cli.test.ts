import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import test, { type TestContext } from 'node:test';
import { text } from '../../src/hub/messages.js';
import { joinAs } from '../helpers/line-client.js';
import { spawnServer } from '../helpers/spawn-server.js';
import { within } from '../helpers/within.js';
import { spawnCharla } from '../helpers/charla-process.js';

/** `charla` end to end: the real CLI as child processes, talking to each other over 127.0.0.1. */

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);

/** Runs `charla ...args` to its end with no input; its exit code and output. */
async function runCharla(t: TestContext, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = spawnCharla(t, args);
  c.child.stdin.end();
  const code = await c.exit();
  return { code, stdout: c.lines.join('\n'), stderr: c.stderr };
}

/** One line of text on stderr and nothing that looks like a stack trace. */
function assertOneLine(stderr: string): void {
  assert.equal(stderr.endsWith('\n'), true, JSON.stringify(stderr));
  assert.equal(stderr.trimEnd().includes('\n'), false, `more than one line: ${JSON.stringify(stderr)}`);
  assert.doesNotMatch(stderr, /^\s+at /m);
}

test('cli - a TCP client and a UDP client chat through `charla server`, which stops cleanly on SIGTERM', async (t) => {
  const server = await spawnServer(t);
  const carol = await joinAs(t, server.tcpPort, 'carol'); // a raw client, to hear the shutdown notice

  const ana = spawnCharla(t, ['client', '--port', String(server.tcpPort), '--name', 'ana']);
  await ana.line(/^\*\*\* Bienvenido\/a a charla, ana\./);
  const bob = spawnCharla(t, ['client', '--udp', '--port', String(server.udpPort), '--name', 'bob']);
  await bob.line(/^\*\*\* Bienvenido\/a a charla, bob\. Conectados: carol, ana, bob\./);
  await ana.line(es('user_joined', { name: 'bob' }));

  ana.send('hola desde TCP');
  await bob.line('ana: hola desde TCP');
  bob.send('hola desde UDP');
  await ana.line('bob: hola desde UDP');
  assert.equal(await carol.waitFor('bob: hola desde UDP'), 'bob: hola desde UDP');

  server.child.kill('SIGTERM');
  assert.equal(await within(server.exited, 5000, 'the server to exit'), 0);
  assert.equal(await carol.waitFor(/^\*\*\*.*cerrando/), '*** El servidor se está cerrando. ¡Hasta pronto! ***');
  await carol.closedByServer();
  // Both clients hear it too and leave with exit 1 (the server went away, not them).
  assert.equal(await ana.exit(), 1);
  assert.equal(await bob.exit(), 1);
  assert.equal(ana.lines.at(-1), es('server_closing'));
  assert.equal(bob.lines.at(-1), es('server_closing'));
  assert.equal(ana.stderr, `${es('client_server_closed')}\n`);
});

test('cli - a bad port is one line on stderr and exit 2, no stack trace', async (t) => {
  const { code, stderr } = await runCharla(t, ['server', '--tcp-port', '99999']);
  assert.equal(code, 2);
  assertOneLine(stderr);
  assert.match(stderr, /--tcp-port/);
});

test('cli - a port in use is one line naming the port, exit 2', async (t) => {
  const holder = net.createServer().listen(0, '127.0.0.1');
  await once(holder, 'listening');
  t.after(() => holder.close());
  const { port } = holder.address() as net.AddressInfo;
  const { code, stderr } = await runCharla(t, ['server', '--host', '127.0.0.1', '--tcp-port', String(port), '--udp-port', '0', '--no-irc', '--no-http']);
  assert.equal(code, 2);
  assertOneLine(stderr);
  assert.match(stderr, new RegExp(`\\b${port}\\b`));
});

test('cli - an unknown command exits 2 and shows the commands', async (t) => {
  const { code, stderr } = await runCharla(t, ['nosuch']);
  assert.equal(code, 2);
  assert.match(stderr, /unknown command "nosuch"/);
  assert.match(stderr, /client/);
});

test('cli - a client with nothing to connect to says so in one line and exits non-zero', async (t) => {
  const { code, stderr } = await runCharla(t, ['client', '--port', '1', '--name', 'ana']);
  assert.notEqual(code, 0);
  assert.equal(code, 2);
  assertOneLine(stderr);
  assert.equal(stderr, `charla client: ${es('client_connect_failed', { target: '127.0.0.1:1', error: es('client_error_refused') })}\n`);
});

test('cli - client options: --help, an unknown flag, and --lang en', async (t) => {
  const help = await runCharla(t, ['client', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: charla client/);
  assert.match(help.stdout, /--bare/);

  const unknown = await runCharla(t, ['client', '--colour']);
  assert.equal(unknown.code, 2);
  assertOneLine(unknown.stderr);
  assert.match(unknown.stderr, /--colour/);

  const bad = await runCharla(t, ['client', '--udp', '--tls']);
  assert.equal(bad.code, 2);
  assertOneLine(bad.stderr);

  const english = await runCharla(t, ['client', '--lang', 'en', '--port', '1', '--name', 'ana']);
  assert.equal(english.stderr, `charla client: ${text('en', 'client_connect_failed', { target: '127.0.0.1:1', error: text('en', 'client_error_refused') })}\n`);
});
