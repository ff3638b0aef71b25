import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import test from 'node:test';
import { type ClientConnection, type ConnectionEvent, Inbox } from '../../../src/client/connection.js';
import { MAX_OUTPUT_BUFFERED_BYTES, runPipe } from '../../../src/client/pipe.js';
import { offerName, quit } from '../../../src/client/session.js';
import { translator } from '../../../src/hub/messages.js';
import { within } from '../../helpers/within.js';

/** A connection with no socket: records what is sent; the test plays the server. */
class FakeConnection extends Inbox implements ClientConnection {
  readonly target = '127.0.0.1:5000';
  readonly transport: 'tcp' | 'udp';
  readonly bare: boolean;
  readonly sent: string[] = [];
  closed = false;
  #onSend: Array<() => void> = [];

  constructor(transport: 'tcp' | 'udp' = 'tcp', bare = false) {
    super();
    this.transport = transport;
    this.bare = bare;
  }

  send(message: string): boolean {
    this.sent.push(message);
    for (const wake of this.#onSend.splice(0)) wake();
    return true;
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    this.closed = true;
  }

  /** Between pause() and resume(). */
  get isPaused(): boolean {
    return this.paused;
  }

  /** The server speaks. */
  emit(event: ConnectionEvent): void {
    this.push(event);
  }

  say(text: string): void {
    this.emit({ kind: 'message', text });
  }

  /** Resolves once `count` messages have been sent. */
  async sentCount(count: number): Promise<void> {
    const wait = new Promise<void>((resolve) => {
      const check = (): void => (this.sent.length >= count ? resolve() : void this.#onSend.push(check));
      check();
    });
    await within(wait, 2000, `${count} messages sent (so far ${JSON.stringify(this.sent)})`);
  }
}

function pipeIo(): { input: PassThrough; output: PassThrough; errors: PassThrough; out: () => string; err: () => string } {
  const input = new PassThrough();
  const output = new PassThrough();
  const errors = new PassThrough();
  let out = '';
  let err = '';
  output.on('data', (c: Buffer) => (out += c.toString()));
  errors.on('data', (c: Buffer) => (err += c.toString()));
  return { input, output, errors, out: () => out, err: () => err };
}

const t = translator('es');
const base = { password: undefined, t, answerMs: 2000, quitMs: 2000 };

test('pipe - no input line is sent before the server answers the name', async () => {
  const conn = new FakeConnection();
  const io = pipeIo();
  io.input.write('ana\nuno\ndos\n');
  const done = runPipe(conn, { ...base, name: undefined, ...io });
  await conn.sentCount(1);
  // Give the input every chance to be read: a further line written and read is still held.
  io.input.write('tres\n');
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.deepEqual(conn.sent, ['ana']); // a refused name would make "uno" the next try at a name
  conn.say('*** Bienvenido/a a charla, ana. Conectados: ana. Escribe /ayuda para ver los comandos. ***');
  await conn.sentCount(4);
  io.input.end();
  await conn.sentCount(5);
  assert.deepEqual(conn.sent, ['ana', 'uno', 'dos', 'tres', '/quitar']);
  conn.say('*** ¡Adiós, ana! ***');
  conn.emit({ kind: 'gone', error: undefined });
  assert.equal(await within(done, 2000, 'the pipe to finish'), 0);
  assert.equal(io.out(), '*** Bienvenido/a a charla, ana. Conectados: ana. Escribe /ayuda para ver los comandos. ***\n*** ¡Adiós, ana! ***\n');
  assert.equal(conn.closed, true);
});

test('pipe - a refused name exits 3 with the error on stderr, nothing else sent', async () => {
  const conn = new FakeConnection();
  const io = pipeIo();
  io.input.write('uno\n');
  const done = runPipe(conn, { ...base, name: 'ana', ...io });
  await conn.sentCount(1);
  conn.say('Error: el nombre «ana» ya está en uso. Escribe otro:');
  assert.equal(await within(done, 2000, 'the pipe to finish'), 3);
  assert.equal(io.err(), 'Error: el nombre «ana» ya está en uso. Escribe otro:\n');
  assert.equal(io.out(), '');
  assert.deepEqual(conn.sent, ['ana']);
});

test('pipe - the server closing first exits 1 and says so on stderr', async () => {
  const conn = new FakeConnection();
  const io = pipeIo();
  const done = runPipe(conn, { ...base, name: 'ana', ...io });
  conn.say('*** Bienvenido ***');
  conn.say('*** El servidor se está cerrando. ¡Hasta pronto! ***');
  conn.emit({ kind: 'gone', error: undefined });
  assert.equal(await within(done, 2000, 'the pipe to finish'), 1);
  assert.equal(io.err(), `${t('client_server_closed')}\n`);
  assert.equal(io.out(), '*** Bienvenido ***\n*** El servidor se está cerrando. ¡Hasta pronto! ***\n');
});

test('pipe - every received line is sanitised and printed as it is, no colours', async () => {
  const conn = new FakeConnection();
  const io = pipeIo();
  const done = runPipe(conn, { ...base, name: 'ana', ...io });
  conn.say('*** Bienvenido ***');
  conn.say('bob: \u001b[2Jhola\u001b[31m rojo\r');
  conn.emit({ kind: 'gone', error: undefined });
  await within(done, 2000, 'the pipe to finish');
  assert.equal(io.out(), '*** Bienvenido ***\nbob: hola rojo\n');
});

test('pipe - /quitar (or /quit) in the input leaves at once, later lines unsent', async () => {
  const conn = new FakeConnection();
  const io = pipeIo();
  io.input.write('uno\n/quit\ndos\n');
  const done = runPipe(conn, { ...base, name: 'ana', ...io });
  conn.say('*** Bienvenido ***');
  await conn.sentCount(3);
  conn.emit({ kind: 'gone', error: undefined });
  assert.equal(await within(done, 2000, 'the pipe to finish'), 0);
  assert.deepEqual(conn.sent, ['ana', 'uno', '/quitar']);
});

test('pipe - empty input lines are not sent', async () => {
  const conn = new FakeConnection();
  const io = pipeIo();
  io.input.end('\n  \nuno\n');
  const done = runPipe(conn, { ...base, name: 'ana', ...io });
  conn.say('*** Bienvenido ***');
  await conn.sentCount(3);
  conn.emit({ kind: 'gone', error: undefined });
  await within(done, 2000, 'the pipe to finish');
  assert.deepEqual(conn.sent, ['ana', 'uno', '/quitar']);
});

test('pipe - UDP unreachable before any answer is a connection failure', async () => {
  const conn = new FakeConnection('udp');
  const io = pipeIo();
  const done = runPipe(conn, { ...base, name: 'ana', ...io });
  conn.emit({ kind: 'gone', error: Object.assign(new Error('recv ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
  await assert.rejects(done, (err: Error & { code?: string }) => err.code === 'ERR_CONNECT' && err.message.includes('nadie escucha'));
});

test('pipe - UDP unreachable after joining exits 1: the server is gone', async () => {
  const conn = new FakeConnection('udp');
  const io = pipeIo();
  const done = runPipe(conn, { ...base, name: 'ana', ...io });
  conn.say('*** Bienvenido ***');
  conn.emit({ kind: 'gone', error: Object.assign(new Error('recv ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
  assert.equal(await within(done, 2000, 'the pipe to finish'), 1);
  assert.equal(io.err(), `${t('client_server_gone', { target: '127.0.0.1:5000' })}\n`);
});

test('pipe - no name and no input is a one-line error', async () => {
  const conn = new FakeConnection();
  const io = pipeIo();
  io.input.end();
  await assert.rejects(runPipe(conn, { ...base, name: undefined, ...io }), (err: Error & { code?: string }) => err.code === 'ERR_BAD_OPTION');
  assert.deepEqual(conn.sent, []);
});

/** A chat line of 1 KiB. */
const KiB_LINE = `bob: ${'b'.repeat(1024 - 'bob: '.length - 1)}`;

test('pipe - a stdout nobody reads pauses the connection past its bound (lines queued before listening too); reading it resumes, every line out in order', async () => {
  const conn = new FakeConnection();
  const io = { ...pipeIo(), output: new PassThrough() }; // not read yet
  const done = runPipe(conn, { ...base, name: 'ana', ...io });
  conn.say('*** Bienvenido ***');
  const lines = Array.from({ length: 3000 }, (_, i) => `${KiB_LINE.slice(0, -5)}${String(i).padStart(5, '0')}`);
  // All queued with the welcome, before the session listens: they too must wait for stdout.
  for (const line of lines) conn.say(line);
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(conn.isPaused, true);
  // It stopped at the bound: one line past it at most (the PassThrough's own 16 KiB aside).
  assert.ok(io.output.writableLength >= MAX_OUTPUT_BUFFERED_BYTES && io.output.writableLength < MAX_OUTPUT_BUFFERED_BYTES + 1024, `${io.output.writableLength}`);
  conn.emit({ kind: 'gone', error: undefined }); // the server closing waits behind the lines held

  let out = '';
  io.output.on('data', (chunk: Buffer) => (out += chunk.toString()));
  assert.equal(await within(done, 2000, 'the pipe to finish'), 1);
  assert.equal(out, `${['*** Bienvenido ***', ...lines].join('\n')}\n`);
  assert.equal(io.err(), `${t('client_server_closed')}\n`);
});

test('pipe - a stdout that fails (EPIPE) while the connection is paused lets it go, and the session leaves', async () => {
  const conn = new FakeConnection();
  const io = { ...pipeIo(), output: new PassThrough() };
  const done = runPipe(conn, { ...base, name: 'ana', ...io });
  conn.say('*** Bienvenido ***');
  await new Promise<void>((resolve) => setImmediate(resolve)); // listening now
  for (let i = 0; i < 2000 && !conn.isPaused; i++) conn.say(KiB_LINE);
  assert.equal(conn.isPaused, true);
  io.output.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  await conn.sentCount(2);
  assert.deepEqual(conn.sent, ['ana', '/quitar']); // leaving, as at the end of input
  assert.equal(conn.isPaused, false); // so that the server's close can be read
  conn.emit({ kind: 'gone', error: undefined });
  assert.equal(await within(done, 2000, 'the pipe to finish'), 0);
});

test('connection - while paused no event reaches the listener; resume hands them out in order, the end last', () => {
  const conn = new FakeConnection();
  const seen: string[] = [];
  conn.listen((e) => {
    seen.push(e.kind === 'message' ? e.text : 'gone');
    if (e.kind === 'message' && e.text === 'b') conn.pause(); // the listener may pause again
  });
  conn.say('a');
  conn.pause();
  conn.say('b');
  conn.say('c');
  conn.emit({ kind: 'gone', error: undefined });
  assert.deepEqual(seen, ['a']);
  assert.equal(conn.resume(), 0);
  assert.deepEqual(seen, ['a', 'b']);
  assert.equal(conn.isPaused, true);
  conn.resume();
  assert.deepEqual(seen, ['a', 'b', 'c', 'gone']);
});

test('session - the password goes first, then the name', async () => {
  const conn = new FakeConnection();
  const answer = offerName(conn, 'ana', 'secreto', 2000);
  assert.deepEqual(conn.sent, ['/pass secreto', 'ana']);
  conn.say('*** Bienvenido ***');
  assert.deepEqual(await answer, { kind: 'welcome', line: '*** Bienvenido ***' });
});

test('session - a server that never answers the name is reported, not waited on forever', async () => {
  const conn = new FakeConnection();
  assert.deepEqual(await offerName(conn, 'ana', undefined, 20), { kind: 'no_answer' });
});

test('session - in bare mode the name is not answered (the seed sends no welcome)', async () => {
  const conn = new FakeConnection('tcp', true);
  assert.deepEqual(await offerName(conn, 'ana', undefined, 2000), { kind: 'welcome', line: undefined });
});

test('session - a welcome and the line after it, arriving together, are both kept', async () => {
  const conn = new FakeConnection();
  const answer = offerName(conn, 'ana', undefined, 2000);
  conn.say('*** Bienvenido ***');
  conn.say('*** bob se ha unido al chat ***'); // same tick: same TCP segment
  assert.equal((await answer).kind, 'welcome');
  const seen: string[] = [];
  conn.listen((e) => e.kind === 'message' && seen.push(e.text));
  assert.deepEqual(seen, ['*** bob se ha unido al chat ***']);
});

test('session - over UDP, leaving waits for the goodbye, not for a close that never comes', async () => {
  const conn = new FakeConnection('udp');
  conn.listen(() => {});
  const left = quit(conn, 5000);
  assert.deepEqual(conn.sent, ['/quitar']);
  conn.say('bob: hola'); // not it
  conn.say('*** Goodbye, ana! ***'); // an English-speaking server is understood too
  await within(left, 1000, 'quit to finish on the goodbye');
  assert.equal(conn.closed, true);
});

test('session - over UDP, /quitar is sent again while no goodbye comes (a datagram can be lost)', async () => {
  const conn = new FakeConnection('udp');
  conn.listen(() => {});
  const left = quit(conn, 300);
  await conn.sentCount(2);
  assert.deepEqual(conn.sent.slice(0, 2), ['/quitar', '/quitar']);
  await within(left, 2000, 'quit to give up after its bound');
});
