import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fdWriter, LogSink, type LogSinkOptions, type LogWriter } from '../../../src/util/log-sink.js';
import { within } from '../../helpers/within.js';

type Done = (err: NodeJS.ErrnoException | null, written: number) => void;

/** A writer the test answers by hand: each write waits until `finish` is called. */
class FakeWriter implements LogWriter {
  readonly blocking = false;
  readonly writes: string[] = [];
  closed = false;
  #done: Done | undefined;
  #waiters: Array<() => void> = [];

  write(data: Buffer, done: Done): void {
    assert.equal(this.#done, undefined, 'one write in flight at most');
    this.writes.push(data.toString());
    this.#done = done;
    for (const w of this.#waiters.splice(0)) w();
  }

  close(): void {
    this.closed = true;
  }

  get inFlight(): boolean {
    return this.#done !== undefined;
  }

  /** Completes the write in flight: all of it, `written` bytes of it, or an error. */
  finish(outcome: { written?: number; code?: string } = {}): void {
    const done = this.#done;
    assert.ok(done, 'a write is in flight');
    this.#done = undefined;
    if (outcome.code !== undefined) done(Object.assign(new Error(outcome.code), { code: outcome.code }), 0);
    else done(null, outcome.written ?? Buffer.byteLength(this.writes.at(-1) ?? ''));
  }

  /** Resolves once a write is in flight. */
  async nextWrite(what: string): Promise<void> {
    if (this.#done !== undefined) return;
    await within(new Promise<void>((resolve) => this.#waiters.push(resolve)), 2000, what);
  }
}

function sink(writer: LogWriter | undefined, opts: Partial<LogSinkOptions> = {}): { sink: LogSink; gaveUp: string[] } {
  const gaveUp: string[] = [];
  const s = new LogSink(writer, { droppedLine: (n) => `dropped ${n}`, onGiveUp: (err) => gaveUp.push(err.code ?? '?'), ...opts });
  return { sink: s, gaveUp };
}

test('log-sink - one write in flight; the lines queued behind it go out together in the next', () => {
  const w = new FakeWriter();
  const { sink: s } = sink(w);
  s.write('uno');
  s.write('dos');
  s.write('tres');
  assert.deepEqual(w.writes, ['uno\n']);
  w.finish();
  assert.deepEqual(w.writes, ['uno\n', 'dos\ntres\n']);
  w.finish();
  assert.equal(w.inFlight, false);
});

test('log-sink - past the byte bound lines are dropped and counted, and the next write that goes through reports the count once', () => {
  const w = new FakeWriter();
  const { sink: s } = sink(w, { maxQueuedBytes: 10 });
  s.write('first'); // in flight: not counted against the bound
  s.write('aaaa'); // 5 bytes queued
  s.write('bbbb'); // 10 bytes queued: at the bound, kept
  s.write('c'); // would be 12: dropped
  s.write('dddd'); // dropped
  assert.equal(s.dropped, 2);
  w.finish();
  // The count follows the lines that were queued before the drops.
  assert.deepEqual(w.writes, ['first\n', 'aaaa\nbbbb\ndropped 2\n']);
  w.finish();
  s.write('e');
  w.finish();
  assert.deepEqual(w.writes.slice(2), ['e\n'], 'the count is reported once');
  assert.equal(s.dropped, 2);
});

test('log-sink - a short write: the rest of the bytes go out next, before newer lines', () => {
  const w = new FakeWriter();
  const { sink: s } = sink(w);
  s.write('hola mundo');
  s.write('otra');
  w.finish({ written: 5 });
  assert.equal(w.writes.at(-1), 'mundo\n');
  w.finish();
  assert.equal(w.writes.at(-1), 'otra\n');
});

test('log-sink - an output that is full (EAGAIN) gets the same bytes again later; lines meanwhile wait or are dropped', async () => {
  const w = new FakeWriter();
  const { sink: s, gaveUp } = sink(w, { retryMs: 1, maxQueuedBytes: 8 });
  s.write('uno');
  w.finish({ code: 'EAGAIN' });
  s.write('dos');
  s.write('tres'); // 4 + 5 > 8: dropped
  await w.nextWrite('the retry after EAGAIN');
  assert.deepEqual(w.writes, ['uno\n', 'uno\n']);
  w.finish();
  assert.equal(w.writes.at(-1), 'dos\ndropped 1\n');
  assert.deepEqual(gaveUp, []);
  assert.equal(s.alive, true);
});

test('log-sink - an output that went away (EPIPE) is given up once: its lines are dropped, later lines ignored, nothing throws', () => {
  const w = new FakeWriter();
  const { sink: s, gaveUp } = sink(w);
  s.write('uno');
  s.write('dos');
  w.finish({ code: 'EPIPE' });
  assert.deepEqual(gaveUp, ['EPIPE']);
  assert.equal(s.alive, false);
  assert.equal(w.closed, true);
  s.write('tres');
  assert.deepEqual(w.writes, ['uno\n'], 'nothing more is written');
  assert.deepEqual(gaveUp, ['EPIPE'], 'told once');
});

test('log-sink - an exception in onGiveUp does not reach whoever logged', () => {
  const w = new FakeWriter();
  const s = new LogSink(w, { onGiveUp: () => { throw new Error('boom'); } });
  s.write('uno');
  assert.doesNotThrow(() => w.finish({ code: 'EIO' }));
  assert.equal(s.alive, false);
});

test('log-sink - replace: a write in flight ends on the old writer, which is then closed; the new one gets what follows, and revives a sink that gave up', () => {
  const old = new FakeWriter();
  const { sink: s, gaveUp } = sink(old);
  s.write('uno');
  s.write('dos');
  const next = new FakeWriter();
  s.replace(next);
  assert.equal(old.closed, false, 'still writing');
  assert.equal(next.inFlight, false, 'one write in flight across writers too');
  old.finish();
  assert.equal(old.closed, true);
  assert.deepEqual(next.writes, ['dos\n']);
  next.finish({ code: 'ENOSPC' });
  assert.deepEqual(gaveUp, ['ENOSPC']);
  const third = new FakeWriter();
  s.replace(third);
  assert.equal(s.alive, true);
  s.write('tres');
  assert.deepEqual(third.writes, ['tres\n']);
});

test('log-sink - flush: true once everything is written, false at the deadline when the output never answers', async () => {
  const w = new FakeWriter();
  const { sink: s } = sink(w);
  assert.equal(await s.flush(10), true, 'nothing to write');
  s.write('uno');
  s.write('dos');
  const flushed = s.flush(2000);
  w.finish();
  w.finish();
  assert.equal(await flushed, true);
  s.write('tres');
  assert.equal(await s.flush(20), false, 'the write never returned');
  assert.equal(new LogSink(undefined).alive, false);
  assert.equal(await new LogSink(undefined).flush(10), true, 'a sink with no output has nothing to flush');
});

/** A FIFO with a non-blocking reader and a non-blocking writer, removed after the test. */
function fifo(t: TestContext): { reader: number; writer: number } {
  const dir = mkdtempSync(join(tmpdir(), 'charla-log-sink-'));
  const path = join(dir, 'fifo');
  execFileSync('mkfifo', [path]);
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  t.after(() => {
    for (const fd of [reader, writer]) {
      try {
        closeSync(fd);
      } catch {
        // already closed by the test or the sink
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return { reader, writer };
}

/** Everything the FIFO holds now. */
function drain(fd: number): string {
  const buf = Buffer.alloc(64 * 1024);
  let out = '';
  for (let i = 0; i < 1000; i++) {
    let n: number;
    try {
      n = readSync(fd, buf);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw err;
    }
    if (n === 0) break;
    out += buf.toString('utf8', 0, n);
  }
  return out;
}

/** One write to a non-blocking fd; false once it is full. */
function fillOnce(fd: number, data: Buffer): boolean {
  try {
    writeSync(fd, data);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return false;
    throw err;
  }
}

/** fdWriter with a hook after every write, so the test can await the sink's progress. */
function observed(writer: LogWriter): LogWriter & { settled: () => Promise<void> } {
  let waiters: Array<() => void> = [];
  return {
    blocking: writer.blocking,
    write(data, done) {
      writer.write(data, (err, n) => {
        done(err, n);
        const w = waiters;
        waiters = [];
        for (const f of w) f();
      });
    },
    close: () => writer.close(),
    settled: () => within(new Promise<void>((resolve) => waiters.push(resolve)), 2000, 'a write to the pipe to return'),
  };
}

test('log-sink - a real pipe that fills up: lines are dropped, and once it is read the count is written', async (t) => {
  const { reader, writer } = fifo(t);
  const w = observed(fdWriter(writer, { owned: false, blocking: false }));
  const { sink: s, gaveUp } = sink(w, { maxQueuedBytes: 4096, retryMs: 1 });
  const filler = Buffer.from(`${'f'.repeat(4095)}\n`);
  for (let i = 0; i < 1000 && fillOnce(writer, filler); i++); // full: the next write is EAGAIN
  const line = 'x'.repeat(999);
  for (let i = 0; i < 20; i++) s.write(line);
  await w.settled(); // the first write comes back EAGAIN
  for (let i = 0; i < 20; i++) s.write(line);
  assert.ok(s.dropped > 0, 'some lines were dropped');
  assert.equal(s.alive, true);
  let text = '';
  for (let i = 0; i < 100 && !text.includes('dropped'); i++) {
    text += drain(reader);
    if (!text.includes('dropped')) await w.settled();
  }
  const lines = text.split('\n');
  assert.equal(lines.find((l) => l.startsWith('dropped ')), `dropped ${s.dropped}`);
  assert.equal(lines.filter((l) => l === line).length, 40 - s.dropped, 'every line not dropped was written whole');
  assert.deepEqual(gaveUp, []);
});

test('log-sink - a real pipe whose reader went away: EPIPE, given up, and the process goes on', async (t) => {
  const { reader, writer } = fifo(t);
  const w = observed(fdWriter(writer, { owned: false, blocking: false }));
  const { sink: s, gaveUp } = sink(w);
  closeSync(reader);
  const settled = w.settled();
  s.write('nadie lee esto');
  await settled;
  assert.deepEqual(gaveUp, ['EPIPE']);
  assert.equal(s.alive, false);
  s.write('ni esto');
  assert.equal(await s.flush(10), true);
});
