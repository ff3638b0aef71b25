import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import test, { type TestContext } from 'node:test';
import { text } from '../../src/hub/messages.js';
import { joinAs } from '../helpers/line-client.js';
import { PYTHON, spawnSeed } from '../helpers/seed-process.js';
import { selfSigned } from '../helpers/self-signed.js';
import { startTestServer } from '../helpers/start-server.js';
import { firstMessage, udpJoinAs } from '../helpers/udp-client.js';
import { within } from '../helpers/within.js';
import { type CharlaProcess, spawnCharla } from '../helpers/charla-process.js';

/**
 * `charla client` in pipe mode (stdin and stdout are pipes here), run as a child process against
 * in-process servers, fakes, and the seed's own Python servers.
 */

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);
const WELCOME = /^\*\*\* Bienvenido\/a a charla, /;

/** `charla client ...args` as a child process. */
function spawnClient(t: TestContext, args: string[], env: NodeJS.ProcessEnv = {}): CharlaProcess {
  return spawnCharla(t, ['client', ...args], env);
}

/** A port nothing listens on now (bound, read back and released). */
async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'tcp') {
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

// --- TCP ---

test('client - over TCP, a pipe client and a raw peer chat both ways; private messages too', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const bob = await joinAs(t, tcpPort, 'bob');
  const ana = spawnClient(t, ['--port', String(tcpPort), '--name', 'ana']);
  await ana.line(WELCOME);
  assert.equal(await bob.next(), '*** ana se ha unido al chat ***');

  ana.send('hola bob, ¿qué tal? ñandú');
  assert.equal(await bob.next(), 'ana: hola bob, ¿qué tal? ñandú');
  bob.write('hola ana\n');
  await ana.line('bob: hola ana');
  ana.send('/msg bob psst');
  assert.equal(await bob.next(), '(privado) ana: psst');
  await ana.line('(privado para bob) psst');
  ana.send('//listar no es un comando');
  assert.equal(await bob.next(), 'ana: /listar no es un comando');

  ana.end();
  assert.equal(await ana.exit(), 0);
  assert.equal(ana.stderr, '');
});

test('client - the name may be the first input line; the end of input sends /quitar and exits 0', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const bob = await joinAs(t, tcpPort, 'bob');
  const ana = spawnClient(t, ['--port', String(tcpPort)]);
  ana.send('ana');
  ana.send('me voy');
  ana.end();
  assert.equal(await bob.next(), '*** ana se ha unido al chat ***');
  assert.equal(await bob.next(), 'ana: me voy');
  // The plain notice is the one for /quitar; a dropped connection would say "(conexión cerrada)".
  assert.equal(await bob.next(), es('user_left', { name: 'ana' }));
  assert.equal(await ana.exit(), 0);
  assert.equal(ana.lines.at(-1), es('goodbye', { name: 'ana' }));
  assert.equal(ana.stderr, '');
});

test('client - a refused (duplicate) name exits 3 with the error on stderr', async (t) => {
  const { tcpPort } = await startTestServer(t);
  await joinAs(t, tcpPort, 'ana');
  const other = spawnClient(t, ['--port', String(tcpPort), '--name', 'ANA']);
  assert.equal(await other.exit(), 3);
  assert.equal(other.stderr, `${es('name_taken', { name: 'ANA' })}\n`);
  assert.deepEqual(other.lines, []);
});

test('client - the server shutting down makes TCP and UDP clients exit 1, saying so', async (t) => {
  const { server, tcpPort, udpPort } = await startTestServer(t);
  const ana = spawnClient(t, ['--port', String(tcpPort), '--name', 'ana']);
  const bob = spawnClient(t, ['--udp', '--port', String(udpPort), '--name', 'bob']);
  await ana.line(WELCOME);
  await bob.line(WELCOME);
  await server.close();
  assert.equal(await ana.exit(), 1);
  assert.equal(await bob.exit(), 1);
  for (const client of [ana, bob]) {
    assert.equal(client.lines.at(-1), es('server_closing'));
    assert.equal(client.stderr, `${es('client_server_closed')}\n`);
  }
});

test('client - lines that arrive in one segment are each printed; a server closing first is exit 1', async (t) => {
  // A fake server: the welcome, a notice and a chat line in one write, then it hangs up.
  const fake = net.createServer((socket) => {
    socket.once('data', () => socket.end('*** hola ana ***\n*** bob se ha unido al chat ***\nbob: \u001b[2Jhola\n'));
  });
  fake.listen(0, '127.0.0.1');
  await once(fake, 'listening');
  t.after(() => fake.close());
  const ana = spawnClient(t, ['--port', String((fake.address() as net.AddressInfo).port), '--name', 'ana']);
  assert.equal(await ana.exit(), 1);
  assert.deepEqual(ana.lines, ['*** hola ana ***', '*** bob se ha unido al chat ***', 'bob: hola']); // sanitised
  assert.equal(ana.stderr, `${es('client_server_closed')}\n`);
});

test('client - nothing listening: one line, no stack trace, exit 2', async (t) => {
  const port = await freePort('tcp');
  const ana = spawnClient(t, ['--port', String(port), '--name', 'ana']);
  assert.equal(await ana.exit(), 2);
  assert.equal(ana.stderr, `charla client: ${es('client_connect_failed', { target: `127.0.0.1:${port}`, error: es('client_error_refused') })}\n`);
});

// --- UDP ---

test('client - over UDP, a pipe client and a raw UDP peer chat both ways', async (t) => {
  const { udpPort } = await startTestServer(t);
  const bob = await udpJoinAs(t, udpPort, 'bob');
  const ana = spawnClient(t, ['--udp', '--port', String(udpPort), '--name', 'ana']);
  await ana.line(WELCOME);
  assert.equal(await bob.next(), '*** ana se ha unido al chat ***');
  ana.send('hola por UDP');
  assert.equal(await bob.next(), 'ana: hola por UDP');
  bob.send('hola ana');
  await ana.line('bob: hola ana');
  ana.send('/listar');
  await ana.line('Usuarios: bob, ana');
  ana.end();
  // /quitar was sent: the plain notice, at once (without it ana would stay until the silence timeout).
  assert.equal(await bob.next(), es('user_left', { name: 'ana' }));
  assert.equal(await ana.exit(), 0);
  assert.equal(ana.lines.at(-1), es('goodbye', { name: 'ana' }));
  assert.equal(ana.stderr, '');
});

test('client - SIGTERM (or SIGINT, SIGHUP) leaves cleanly: over UDP the room hears at once', async (t) => {
  const { udpPort } = await startTestServer(t);
  const bob = await udpJoinAs(t, udpPort, 'bob');
  const ana = spawnClient(t, ['--udp', '--port', String(udpPort), '--name', 'ana']);
  await ana.line(WELCOME);
  assert.equal(await bob.next(), '*** ana se ha unido al chat ***');
  ana.child.kill('SIGTERM'); // stdin still open: only the signal ends it
  assert.equal(await bob.next(), es('user_left', { name: 'ana' }));
  assert.equal(await ana.exit(), 0);
});

test('client - over UDP, a refused name exits 3 with the error on stderr', async (t) => {
  const { udpPort } = await startTestServer(t);
  await udpJoinAs(t, udpPort, 'ana');
  const other = spawnClient(t, ['--udp', '--port', String(udpPort), '--name', 'ana']);
  assert.equal(await other.exit(), 3);
  assert.equal(other.stderr, `${es('name_taken', { name: 'ana' })}\n`);
});

test('client - over UDP, nothing listening is a connection failure (exit 2), seen through ICMP', async (t) => {
  const port = await freePort('udp');
  const ana = spawnClient(t, ['--udp', '--port', String(port), '--name', 'ana']);
  assert.equal(await ana.exit(), 2);
  assert.equal(ana.stderr, `charla client: ${es('client_connect_failed', { target: `127.0.0.1:${port}`, error: es('client_error_refused') })}\n`);
});

test('client - over UDP, a server that vanishes without a word is noticed (ECONNREFUSED), exit 1', async (t) => {
  const fake = dgram.createSocket('udp4');
  fake.bind(0, '127.0.0.1');
  await once(fake, 'listening');
  let open = true;
  t.after(() => open && fake.close());
  const { port } = fake.address();
  const ana = spawnClient(t, ['--udp', '--port', String(port), '--name', 'ana']);
  const [name, rinfo] = await firstMessage(fake);
  assert.equal(name.toString(), 'ana');
  fake.send('*** hola ana ***', rinfo.port, rinfo.address);
  await ana.line('*** hola ana ***');
  fake.close();
  open = false;
  ana.send('¿hay alguien?');
  assert.equal(await ana.exit(), 1);
  assert.equal(ana.stderr, `${es('client_server_gone', { target: `127.0.0.1:${port}` })}\n`);
});

test("client - over UDP the client proves its address with the server's token, so it is welcomed off loopback too", async (t) => {
  // exemptLoopback: false makes 127.0.0.1 stand for a LAN address, which must validate.
  const { server, tcpPort, udpPort } = await startTestServer(t, { exemptLoopback: false });
  const watcher = await joinAs(t, tcpPort, 'vigia');
  const ana = spawnClient(t, ['--udp', '--port', String(udpPort), '--name', 'ana']);
  await ana.line(WELCOME);
  assert.equal(await watcher.next(), '*** ana se ha unido al chat ***');
  const [peer] = [...(server.udp?.peers.values() ?? [])];
  assert.equal(peer?.validated, true);
  watcher.write('/msg ana hola\n');
  await ana.line('(privado) vigia: hola');
  ana.send('/listar');
  await ana.line('Usuarios: vigia, ana');
  ana.end();
  assert.equal(await ana.exit(), 0);
});

test('client - over UDP, keep-alives keep a silent client in the room past the silence timeout', async (t) => {
  const { server, tcpPort, udpPort } = await startTestServer(t, { udpOptions: { silenceMs: 600, sweepIntervalMs: 50 } });
  const watcher = await joinAs(t, tcpPort, 'vigia'); // TCP: never dropped for UDP silence
  const ana = spawnClient(t, ['--udp', '--port', String(udpPort), '--name', 'ana', '--keepalive', '0.2']);
  await ana.line(WELCOME);
  assert.equal(await watcher.next(), '*** ana se ha unido al chat ***');
  // A raw UDP user that joins after ana and then says nothing, as ana says nothing.
  await udpJoinAs(t, udpPort, 'mudo');
  assert.equal(await watcher.next(), '*** mudo se ha unido al chat ***');
  // mudo is dropped for silence; ana, silent for longer, would have gone first without keep-alives.
  const dropped = es('user_left_because', { name: 'mudo', reason: es('reason_timeout') });
  assert.equal(await watcher.next(3000), dropped);
  await ana.line(dropped); // and ana, still in the room, hears of it
  assert.deepEqual(server.hub.names(), ['vigia', 'ana']);
  ana.end();
  assert.equal(await ana.exit(), 0);
});

// --- password and TLS ---

test('client - the password from CHARLA_PASSWORD (or --password) goes before the name', async (t) => {
  const { tcpPort, udpPort } = await startTestServer(t, { hub: { password: 's3creto' } });
  const ana = spawnClient(t, ['--port', String(tcpPort), '--name', 'ana'], { CHARLA_PASSWORD: 's3creto' });
  await ana.line(WELCOME);
  assert.equal(ana.child.spawnargs.join(' ').includes('s3creto'), false);
  const bob = spawnClient(t, ['--udp', '--port', String(udpPort), '--name', 'bob', '--password', 's3creto']);
  await bob.line(WELCOME);
  await ana.line('*** bob se ha unido al chat ***');

  const eve = spawnClient(t, ['--port', String(tcpPort), '--name', 'eve', '--password', 'mal']);
  assert.equal(await eve.exit(), 3);
  assert.equal(eve.stderr, `${es('password_wrong')}\n`);
  const mallory = spawnClient(t, ['--port', String(tcpPort), '--name', 'mallory']);
  assert.equal(await mallory.exit(), 3);
  assert.equal(mallory.stderr, `${es('password_required')}\n`);
  ana.end();
  bob.end();
  assert.equal(await ana.exit(), 0);
  assert.equal(await bob.exit(), 0);
});

test('client - TLS: --ca trusts a self-signed server, no --ca refuses it, --insecure warns', async (t) => {
  const pair = await selfSigned(t);
  if (pair === undefined) {
    t.skip('openssl is not installed');
    return;
  }
  const { tcpPort } = await startTestServer(t, { tcpOptions: { tls: { cert: pair.cert, key: pair.key } } });
  const port = String(tcpPort);

  const ana = spawnClient(t, ['--port', port, '--name', 'ana', '--tls', '--ca', pair.certFile]);
  await ana.line(WELCOME);
  const bob = spawnClient(t, ['--port', port, '--name', 'bob', '--tls', '--insecure']);
  await bob.line(WELCOME);
  assert.equal(bob.stderr, `${es('client_tls_insecure')}\n`);
  await ana.line('*** bob se ha unido al chat ***');
  ana.send('hola por TLS');
  await bob.line('ana: hola por TLS');

  const untrusting = spawnClient(t, ['--port', port, '--name', 'eve', '--tls']);
  assert.equal(await untrusting.exit(), 2);
  assert.match(untrusting.stderr, /^charla client: No se pudo establecer TLS con 127\.0\.0\.1:\d+: .*--ca FICHERO.*\n$/);
  assert.equal(untrusting.stderr.split('\n').length, 2, 'one line');

  const plain = spawnClient(t, ['--port', port, '--name', 'carol']);
  assert.equal(await plain.exit(), 1);
  assert.equal(plain.stderr, `${es('client_closed_unanswered')}\n`);

  ana.end();
  bob.end();
  assert.equal(await ana.exit(), 0);
  assert.equal(await bob.exit(), 0);
});

test('client - --tls against a plain server says the port does not speak TLS, in one line', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const ana = spawnClient(t, ['--port', String(tcpPort), '--name', 'ana', '--tls', '--insecure']);
  assert.equal(await ana.exit(), 2);
  assert.equal(ana.stderr, `${es('client_tls_insecure')}\ncharla client: ${es('client_not_tls', { target: `127.0.0.1:${tcpPort}` })}\n`);
});

// --- the seed's Python servers, with --bare ---

const noPython = PYTHON === undefined ? 'python3 is not installed' : false;

test("client - --bare chats through the seed's Python TCP server, one message per send", { skip: noPython }, async (t) => {
  const port = await freePort('tcp');
  const seed = spawnSeed(t, 'servidor_chat.py', ['127.0.0.1', String(port)]);
  await seed.printed('Servidor escuchando');

  // A raw peer that speaks the seed's way: a bare name, no newlines anywhere.
  const bob = net.connect({ host: '127.0.0.1', port });
  t.after(() => bob.destroy());
  await within(once(bob, 'connect'), 3000, 'connecting to the seed server');
  let heard = '';
  const heardWaiters: Array<() => void> = [];
  bob.setEncoding('utf8');
  bob.on('data', (chunk: string) => {
    heard += chunk;
    for (const w of heardWaiters.splice(0)) w();
  });
  const bobHears = (s: string): Promise<void> =>
    within(
      new Promise<void>((resolve) => {
        const check = (): void => (heard.includes(s) ? resolve() : void heardWaiters.push(check));
        check();
      }),
      5000,
      `bob to hear ${JSON.stringify(s)} (heard: ${JSON.stringify(heard)})`,
    );
  bob.write('bob');
  await seed.printed('Cliente conectado desde');

  const ana = spawnClient(t, ['--bare', '--port', String(port), '--name', 'ana']);
  // Two lines written at once: the pacing must keep them (and the name) apart at the seed's recv().
  ana.send('hola');
  ana.send('¿qué tal?');
  await bobHears('ana: ¿qué tal?');
  assert.equal(heard, '*** ana se ha unido al chat ***ana: holaana: ¿qué tal?');

  bob.write('hola ana');
  await ana.line('bob: hola ana'); // no newline from the seed: each chunk is a line

  ana.end(); // /quitar, and the seed closes the connection
  assert.equal(await ana.exit(), 0);
  await bobHears('*** ana ha salido del chat ***');
  await seed.printed('ana desconectado.');
  assert.equal(ana.stderr, '');
});

test("client - --bare over UDP chats through the seed's Python UDP server, no keep-alives relayed", { skip: noPython }, async (t) => {
  const port = await freePort('udp');
  const seed = spawnSeed(t, 'servidor_udp.py', ['127.0.0.1', String(port)]);
  // The seed's UDP server prints nothing when it starts: a raw peer knocks until it is heard.
  const bob = dgram.createSocket('udp4');
  bob.on('error', () => {}); // ICMP unreachable while the seed is still starting
  t.after(() => bob.close());
  bob.connect(port, '127.0.0.1');
  await once(bob, 'connect');
  const heard: string[] = [];
  const heardWaiters: Array<() => void> = [];
  bob.on('message', (msg) => {
    heard.push(msg.toString());
    for (const w of heardWaiters.splice(0)) w();
  });
  const knock = setInterval(() => seed.stdout.includes('bob conectado.') || bob.send('bob'), 50);
  t.after(() => clearInterval(knock));
  bob.send('bob');
  await seed.printed('bob conectado.');
  clearInterval(knock);

  const ana = spawnClient(t, ['--udp', '--bare', '--port', String(port), '--name', 'ana']);
  await seed.printed('ana conectado.');
  ana.send('hola');
  await within(
    new Promise<void>((resolve) => {
      const check = (): void => (heard.length > 0 ? resolve() : void heardWaiters.push(check));
      check();
    }),
    5000,
    'bob to hear from ana',
  );
  bob.send('hola ana');
  await ana.line('bob: hola ana');
  ana.end();
  assert.equal(await ana.exit(), 0);
  await seed.printed('ana desconectado.');
  // Only ana's message: no empty keep-alive ("ana: ") and no /quitar was relayed.
  assert.deepEqual(heard, ['ana: hola']);
  assert.equal(ana.stderr, '');
});
