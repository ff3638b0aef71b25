import assert from 'node:assert/strict';
import test, { type TestContext } from 'node:test';
import { text } from '../../src/hub/messages.js';
import { connectLine, joinAs, type LineClient } from '../helpers/line-client.js';
import { assertNothingNew } from '../helpers/quiet.js';
import { writeAndWaitRead } from '../helpers/server-side.js';
import { startTestServer } from '../helpers/start-server.js';

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);

/**
 * A client that sends its name with no newline, as the seed's Python client does; resolves once
 * the server has taken the bare name (after its idle pause) and welcomed it.
 */
async function joinBare(t: TestContext, port: number, name: string): Promise<LineClient> {
  const client = await connectLine(t, port);
  client.write(name);
  const welcome = await client.next();
  assert.ok(welcome.startsWith('***'), `${name} was not welcomed: ${welcome}`);
  return client;
}

// --- seed behaviour ---

test('tcp - the first line is the name and the user is welcomed with who is online', async (t) => {
  const { tcpPort } = await startTestServer(t);
  await joinAs(t, tcpPort, 'ana');
  const bob = await connectLine(t, tcpPort);
  bob.write('bob\n');
  assert.equal(await bob.next(), es('welcome', { name: 'bob', users: 'ana, bob' }));
});

test('tcp - a message reaches every other user as "name: text" and is not echoed to its sender', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  const carl = await joinAs(t, tcpPort, 'carl');
  await ana.waitFor('*** carl se ha unido al chat ***');
  await bob.waitFor('*** carl se ha unido al chat ***');
  ana.write('hola a todos\n');
  assert.equal(await bob.next(), 'ana: hola a todos');
  assert.equal(await carl.next(), 'ana: hola a todos');
  await assertNothingNew(ana, 'no echo of her own message');
});

test("tcp - the others hear the seed's join and leave notices; /quitar says goodbye and closes", async (t) => {
  const { tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  assert.equal(await ana.next(), '*** bob se ha unido al chat ***');
  bob.write('/quitar\n');
  assert.equal(await bob.next(), es('goodbye', { name: 'bob' }));
  await bob.closedByServer();
  assert.equal(await ana.next(), '*** bob ha salido del chat ***');
  assert.equal(await assertNothingNew(ana, 'one leave notice only'), 'Usuarios: ana');
});

test('tcp - a user who just disconnects is announced as gone, once', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  assert.equal(await ana.next(), '*** bob se ha unido al chat ***');
  bob.socket.end();
  assert.match(await ana.next(), /^\*\*\* bob ha salido del chat/);
  assert.equal(await assertNothingNew(ana, 'one leave notice only'), 'Usuarios: ana');
});

test('tcp - /listar answers only the asker with the users in join order; /list too', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  const carl = await joinAs(t, tcpPort, 'carl');
  await ana.waitFor('*** carl se ha unido al chat ***');
  await bob.waitFor('*** carl se ha unido al chat ***');
  carl.write('/listar\n');
  assert.equal(await carl.next(), 'Usuarios: ana, bob, carl');
  carl.write('/list\n');
  assert.equal(await carl.next(), 'Usuarios: ana, bob, carl');
  await assertNothingNew(ana, "nothing of carl's /listar");
  await assertNothingNew(bob, "nothing of carl's /listar");
});

test('tcp - the server log records connections and disconnections', async (t) => {
  const { tcpPort, logs } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  await ana.next();
  const bobPort = bob.socket.localPort;
  bob.write('/quitar\n');
  await ana.waitFor('*** bob ha salido del chat ***');
  assert.ok(logs.some((l) => l === `Cliente conectado desde tcp 127.0.0.1:${bobPort}`), JSON.stringify(logs)); // seed wording
  assert.ok(logs.some((l) => l.startsWith('bob conectado')), JSON.stringify(logs));
  assert.ok(logs.some((l) => l.startsWith('bob desconectado')), JSON.stringify(logs)); // seed: "bob desconectado."
});

// --- framing ---

test('tcp - two lines in one write are two messages', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  await ana.next();
  ana.write('uno\ndos\n');
  assert.equal(await bob.next(), 'ana: uno');
  assert.equal(await bob.next(), 'ana: dos');
});

test('tcp - lines sent in one write just before the client closes are all delivered, even past the rate burst', async (t) => {
  const { tcpPort } = await startTestServer(t, { tcpOptions: { rateLimit: { ratePerSec: 100, burst: 2 } } });
  const bob = await joinAs(t, tcpPort, 'bob');
  const ana = await connectLine(t, tcpPort);
  ana.socket.end('ana\nuno\ndos\ntres\ncuatro\n');
  assert.equal(await bob.next(), '*** ana se ha unido al chat ***');
  for (const word of ['uno', 'dos', 'tres', 'cuatro']) assert.equal(await bob.next(), `ana: ${word}`);
  assert.match(await bob.next(), /^\*\*\* ana ha salido del chat/);
});

test('tcp - a name and a first message in one write are a name and a message', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const bob = await joinAs(t, tcpPort, 'bob');
  const ana = await connectLine(t, tcpPort);
  ana.write('ana\nhola\n');
  assert.match(await ana.next(), /^\*\*\* .*ana/);
  assert.equal(await bob.next(), '*** ana se ha unido al chat ***');
  assert.equal(await bob.next(), 'ana: hola');
});

test('tcp - one line in many writes is one message, even with pauses longer than the bare-message pause', async (t) => {
  const { server, tcpPort } = await startTestServer(t);
  const bob = await joinAs(t, tcpPort, 'bob');
  const clock = await joinBare(t, tcpPort, 'reloj'); // its bare messages show that a bare pause went by
  const ana = await joinAs(t, tcpPort, 'ana');
  assert.equal(await bob.next(), '*** reloj se ha unido al chat ***');
  assert.equal(await bob.next(), '*** ana se ha unido al chat ***');
  for (const [i, piece] of ['ho', 'l', 'a'].entries()) {
    await writeAndWaitRead(server, ana, piece);
    // reloj's pause timer starts after the server read ana's piece, so it ends after any pause
    // timer the piece may have started: had the server taken the piece as a message, bob would
    // see it before reloj's.
    clock.write(`tic${i}`);
    assert.equal(await bob.next(), `reloj: tic${i}`);
  }
  ana.write(' a todos\n');
  assert.equal(await bob.next(), 'ana: hola a todos');
});

test('tcp - clients that send no newline (the seed client) have each message taken after a short pause', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const bob = await joinAs(t, tcpPort, 'bob');
  const ana = await joinBare(t, tcpPort, 'ana');
  assert.equal(await bob.next(), '*** ana se ha unido al chat ***');
  ana.write('hola bob');
  assert.equal(await bob.next(), 'ana: hola bob');
  ana.write('/listar');
  assert.equal(await ana.next(), 'Usuarios: bob, ana');
  bob.write('hola ana\n');
  assert.equal(await ana.next(), 'bob: hola ana');
});

test('tcp - clients sending LF, CRLF and no newline chat together', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const lf = await joinAs(t, tcpPort, 'lf');
  const crlf = await connectLine(t, tcpPort);
  crlf.write('crlf\r\n');
  assert.match(await crlf.next(), /^\*\*\* /);
  const bare = await joinBare(t, tcpPort, 'bare');
  await lf.waitFor('*** bare se ha unido al chat ***');
  await crlf.waitFor('*** bare se ha unido al chat ***');
  crlf.write('hola desde telnet\r\n');
  assert.equal(await lf.next(), 'crlf: hola desde telnet');
  assert.equal(await bare.next(), 'crlf: hola desde telnet');
  bare.write('hola desde python');
  assert.equal(await lf.next(), 'bare: hola desde python');
  assert.equal(await crlf.next(), 'bare: hola desde python');
  lf.write('hola desde netcat\n');
  assert.equal(await crlf.next(), 'lf: hola desde netcat');
  assert.equal(await bare.next(), 'lf: hola desde netcat');
  crlf.write('/listar\r\n');
  assert.equal(await crlf.next(), 'Usuarios: lf, crlf, bare');
});

test('tcp - a line client whose name came in two pieces is still a line client', async (t) => {
  const { server, tcpPort } = await startTestServer(t);
  const bob = await joinAs(t, tcpPort, 'bob');
  const clock = await joinBare(t, tcpPort, 'reloj');
  assert.equal(await bob.next(), '*** reloj se ha unido al chat ***');
  const ana = await connectLine(t, tcpPort);
  await writeAndWaitRead(server, ana, 'an');
  ana.write('a\n');
  assert.match(await ana.next(), /^\*\*\* /);
  assert.equal(await bob.next(), '*** ana se ha unido al chat ***');
  clock.write('tic'); // lets the pause armed by "an" run out
  assert.equal(await bob.next(), 'reloj: tic');
  await writeAndWaitRead(server, ana, 'ho');
  clock.write('tac');
  assert.equal(await bob.next(), 'reloj: tac', 'ana\'s half line must not be taken as a message');
  ana.write('la\n');
  assert.equal(await bob.next(), 'ana: hola');
});

test('tcp - a line over maxLineBytes gets an Error line, is not relayed, and the connection goes on', async (t) => {
  const { tcpPort } = await startTestServer(t, { tcpOptions: { maxLineBytes: 64 } });
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  await ana.next();
  ana.write(`${'x'.repeat(500)}\n`);
  assert.equal(await ana.next(), es('line_too_long', { max: 64 }));
  ana.write('corto\n');
  assert.equal(await bob.next(), 'ana: corto');
});

// --- UTF-8 ---

test('tcp - a multibyte character split between two writes arrives intact', async (t) => {
  const { server, tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  await ana.next();
  const enye = Buffer.from('ñ');
  const taco = Buffer.from('🌮');
  await writeAndWaitRead(server, ana, Buffer.concat([Buffer.from('ma'), enye.subarray(0, 1)]));
  await writeAndWaitRead(server, ana, Buffer.concat([enye.subarray(1), Buffer.from('ana '), taco.subarray(0, 2)]));
  await writeAndWaitRead(server, ana, taco.subarray(2, 3));
  ana.write(Buffer.concat([taco.subarray(3), Buffer.from('\n')]));
  assert.equal(await bob.next(), 'ana: mañana 🌮');
});

test('tcp - invalid UTF-8 becomes U+FFFD and the connection goes on', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  await ana.next();
  ana.write(Buffer.from([0x68, 0x6f, 0x6c, 0xff, 0x61, 0xc3, 0x28, 0x0a]));
  assert.equal(await bob.next(), 'ana: hol\uFFFDa\uFFFD(');
  ana.write('sigo\n');
  assert.equal(await bob.next(), 'ana: sigo');
});

// --- names ---

test('tcp - a bad or taken name gets an Error line and the next line is a new try', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const other = await connectLine(t, tcpPort);
  other.write('ana maria\n');
  assert.equal(await other.next(), es('name_invalid', { name: 'ana maria' }));
  other.write('ANA\n');
  assert.equal(await other.next(), es('name_taken', { name: 'ANA' }));
  other.write('ａｎａ\r\n');
  assert.equal(await other.next(), es('name_taken', { name: 'ａｎａ' }));
  other.write('\n');
  assert.match(await other.next(), /^Error: /);
  assert.equal(other.closed, false);
  other.write('ana2\n');
  assert.match(await other.next(), /^\*\*\* .*ana2/);
  assert.equal(await ana.next(), '*** ana2 se ha unido al chat ***');
  other.write('/listar\n');
  assert.equal(await other.next(), 'Usuarios: ana, ana2');
});

// --- commands ---

test('tcp - /ayuda lists the commands to the asker only', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  await ana.next();
  bob.write('/ayuda\n');
  for (const line of es('help').split('\n')) assert.equal(await bob.next(), line);
  await assertNothingNew(ana);
});

test('tcp - an unknown command gets an Error line and is not broadcast; //text is a literal /text', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  await ana.next();
  ana.write('/borrar todo\n');
  assert.equal(await ana.next(), es('unknown_command', { command: '/borrar' }));
  ana.write('//borrar todo\n');
  assert.equal(await bob.next(), 'ana: /borrar todo');
});

test('tcp - /nick renames with a notice to all; /msg reaches one user only', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  const carl = await joinAs(t, tcpPort, 'carl');
  await ana.waitFor('*** carl se ha unido al chat ***');
  await bob.waitFor('*** carl se ha unido al chat ***');
  ana.write('/nick anita\n');
  const renamed = es('user_renamed', { old: 'ana', name: 'anita' });
  for (const client of [ana, bob, carl]) assert.equal(await client.next(), renamed);
  bob.write('/msg ANITA solo para ti\n');
  assert.equal(await ana.next(), es('private_from', { name: 'bob', text: 'solo para ti' }));
  assert.equal(await bob.next(), es('private_to', { name: 'anita', text: 'solo para ti' }));
  assert.equal(await assertNothingNew(carl, 'nothing of a private message'), 'Usuarios: anita, bob, carl');
});

// --- language ---

test('tcp - server text is in English with lang en; commands are accepted in both languages', async (t) => {
  const { tcpPort } = await startTestServer(t, { lang: 'en' });
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await connectLine(t, tcpPort);
  bob.write('bob\n');
  assert.equal(await bob.next(), text('en', 'welcome', { name: 'bob', users: 'ana, bob' }));
  assert.equal(await ana.next(), '*** bob has joined the chat ***');
  bob.write('/listar\n');
  assert.equal(await bob.next(), 'Users: ana, bob');
  bob.write('/list\n');
  assert.equal(await bob.next(), 'Users: ana, bob');
  bob.write('/quitar\n');
  assert.equal(await bob.next(), '*** Goodbye, bob! ***');
  assert.equal(await ana.next(), '*** bob has left the chat ***');
});

// --- shutdown ---

test('tcp - shutdown tells every user, flushes what was pending, and closes the sockets', async (t) => {
  const { server, tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  const unnamed = await connectLine(t, tcpPort);
  await ana.next();
  // Close the server in the very turn in which it relays bob's line: "bob: adiós" is still in
  // ana's output queue, and must reach her before the shutdown notice.
  const bobSide = [...(server.tcp?.peers ?? [])].find((p) => p.socket.remotePort === bob.socket.localPort)?.socket;
  assert.ok(bobSide !== undefined);
  let closing: Promise<void> | undefined;
  bobSide.once('data', () => {
    closing = server.close();
  });
  bob.write('adiós\n');
  assert.equal(await ana.next(), 'bob: adiós');
  assert.equal(await ana.next(), '*** El servidor se está cerrando. ¡Hasta pronto! ***');
  assert.equal(await bob.next(), '*** El servidor se está cerrando. ¡Hasta pronto! ***');
  await Promise.all([ana.closedByServer(), bob.closedByServer(), unnamed.closedByServer()]);
  assert.deepEqual(unnamed.lines, []);
  await closing;
  assert.equal(server.tcp?.peers.size, 0);
});
