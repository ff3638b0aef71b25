import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type TestContext } from 'node:test';
import fc from 'fast-check';
import { type LogEntry, RoomLog } from '../../../src/hub/room-log.js';
import { roomKey } from '../../../src/hub/store/history-store.js';
import { FileHistoryStore, type FileHistoryStoreOptions, type HistoryWarning, roomFileName } from '../../../src/hub/store/file-store.js';
import { within } from '../../helpers/within.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'charla-history-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A store over `dir` that records its warnings, closed after the test. */
function open(t: TestContext, dir: string, options: Partial<FileHistoryStoreOptions> = {}): { store: FileHistoryStore; warnings: HistoryWarning[] } {
  const warnings: HistoryWarning[] = [];
  const store = new FileHistoryStore({ dir, onWarning: (w) => warnings.push(w), ...options });
  t.after(() => store.close());
  return { store, warnings };
}

/** Resolves with the first warning of `kind` the store reports from now on. */
function nextWarning(warnings: HistoryWarning[], kind: HistoryWarning['kind']): Promise<HistoryWarning> {
  const seen = warnings.length;
  return new Promise((resolve) => {
    const push = warnings.push.bind(warnings);
    warnings.push = (...items: HistoryWarning[]): number => {
      const n = push(...items);
      const found = warnings.slice(seen).find((w) => w.kind === kind);
      if (found !== undefined) resolve(found);
      return n;
    };
  });
}

const entry = (id: number, text: string, from = 'ana'): LogEntry => ({ id, at: Math.floor(id / 1000), from, text });
const line = (e: LogEntry): string => JSON.stringify(e);
const fileLines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
const texts = (entries: readonly LogEntry[]): string[] => entries.map((e) => e.text);

test('file-store - entries come back from the file after a restart, one JSON line each', async (t) => {
  const dir = tempDir(t);
  const first = open(t, dir).store;
  let ms = 1_754_000_000_000;
  const log = new RoomLog({ store: first, room: 'general', now: () => ms++ });
  // What the file keeps of each message event: its id, time, sender and text.
  const fields = ({ id, at, from, text }: LogEntry): LogEntry => ({ id, at, from, text });
  const sent = [log.append('ana', 'hola'), log.append('bob', 'qué tal "todo" \\ bien'), log.append('eve', '中文 𝒜 ✓')].map(fields);
  await first.close();
  assert.deepEqual(readdirSync(dir), ['r-general.jsonl']);
  assert.deepEqual(fileLines(join(dir, 'r-general.jsonl')).map((l) => JSON.parse(l) as LogEntry), sent);
  const { store, warnings } = open(t, dir);
  assert.deepEqual(store.load('general'), sent);
  const again = new RoomLog({ store, room: 'General', now: () => 1 }); // a clock far in the past
  assert.deepEqual(again.last(10).map(fields), sent);
  assert.ok(again.append('ana', 'sigo').id > sent[2]!.id);
  assert.deepEqual(warnings, []);
});

test('file-store - an append touches no file in its own turn; flush resolves once it is in the file', async (t) => {
  const dir = tempDir(t);
  const { store } = open(t, dir);
  const path = join(dir, store.fileName('sala'));
  assert.deepEqual(store.load('sala'), []);
  store.append('sala', entry(1000, 'uno'));
  store.append('sala', entry(2000, 'dos'));
  assert.equal(existsSync(path), false, 'nothing written yet: no syscall per message');
  assert.equal(store.unwritten, 2);
  await store.flush();
  assert.equal(store.unwritten, 0);
  assert.deepEqual(fileLines(path), [line(entry(1000, 'uno')), line(entry(2000, 'dos'))]);
});

test('file-store - a torn last line is skipped and counted, and the next entry is not glued to it', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'r-sala.jsonl');
  const good = [entry(1000, 'uno'), entry(2000, 'dos')];
  writeFileSync(path, `${good.map(line).join('\n')}\n${line(entry(3000, 'tres')).slice(0, 25)}`);
  const first = open(t, dir);
  assert.deepEqual(first.store.load('sala'), good);
  assert.deepEqual(first.warnings, [{ kind: 'skipped-lines', room: 'sala', file: 'r-sala.jsonl', count: 1, tornTail: true, unreadBytes: 0 }]);
  first.store.append('sala', entry(4000, 'cuatro'));
  await first.store.close();
  assert.deepEqual(fileLines(path), [...good, entry(4000, 'cuatro')].map(line), 'rewritten clean, then appended');
  const second = open(t, dir);
  assert.deepEqual(texts(second.store.load('sala')), ['uno', 'dos', 'cuatro']);
  assert.deepEqual(second.warnings, []);
});

test('file-store - a last line cut just before its newline is whole, and kept', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'r-sala.jsonl'), `${line(entry(1000, 'uno'))}\n${line(entry(2000, 'dos'))}`);
  const { store, warnings } = open(t, dir);
  assert.deepEqual(texts(store.load('sala')), ['uno', 'dos']);
  assert.deepEqual(warnings, []);
  store.append('sala', entry(3000, 'tres'));
  await store.flush();
  assert.deepEqual(fileLines(join(dir, 'r-sala.jsonl')).map((l) => (JSON.parse(l) as LogEntry).text), ['uno', 'dos', 'tres']);
});

test('file-store - garbage in the middle is skipped and counted, never fatal', (t) => {
  const dir = tempDir(t);
  const lines = [
    line(entry(1000, 'uno')),
    '{"id":2000,"at":2,"from":"ana","te', // cut mid-line, then more was appended after it
    '\u0000\u0000\u0000garbage',
    '{}',
    '[1,2,3]',
    '{"id":-4,"at":4,"from":"ana","text":"negative id"}',
    '{"id":1.5,"at":4,"from":"ana","text":"fractional id"}',
    '{"id":5000,"at":5,"from":7,"text":"from is not a string"}',
    line(entry(500, 'older id than the line before')),
    line(entry(1000, 'same id as before')),
    '',
    line(entry(6000, 'seis')),
  ];
  writeFileSync(join(dir, 'r-sala.jsonl'), `${lines.join('\n')}\n`);
  const { store, warnings } = open(t, dir);
  assert.deepEqual(texts(store.load('sala')), ['uno', 'seis']);
  assert.deepEqual(warnings, [{ kind: 'skipped-lines', room: 'sala', file: 'r-sala.jsonl', count: 10, tornTail: false, unreadBytes: 0 }]);
});

test('file-store - compaction keeps the tail, the file shrinks, and no temp file is left', async (t) => {
  const dir = tempDir(t);
  const { store } = open(t, dir, { maxEntries: 5, compactLines: 10 });
  const path = join(dir, 'r-sala.jsonl');
  store.load('sala');
  let id = 0;
  const append = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) store.append('sala', entry((id += 1000), `m${id / 1000}`));
    await store.flush();
  };
  await append(10);
  assert.equal(fileLines(path).length, 10, 'up to compactLines, the file only grows');
  const full = statSync(path).size;
  await append(1);
  assert.deepEqual(fileLines(path).map((l) => (JSON.parse(l) as LogEntry).text), ['m7', 'm8', 'm9', 'm10', 'm11']);
  assert.ok(statSync(path).size < full, 'smaller after compaction');
  await append(2000);
  assert.ok(fileLines(path).length <= 10);
  assert.deepEqual(texts(store.load('sala')), ['m2007', 'm2008', 'm2009', 'm2010', 'm2011']);
  assert.deepEqual(readdirSync(dir), ['r-sala.jsonl']);
});

test('file-store - compaction by bytes keeps exactly what the byte bound keeps', async (t) => {
  const dir = tempDir(t);
  // 100 entries of 3 + 100 bytes, the ring keeps 300 bytes: 2 entries.
  const { store } = open(t, dir, { maxEntries: 1000, maxBytes: 300, compactBytes: 4000 });
  const path = join(dir, 'r-sala.jsonl');
  store.load('sala');
  for (let i = 1; i <= 100; i++) {
    store.append('sala', entry(i * 1000, `${String(i).padStart(3, '0')}${'x'.repeat(97)}`));
    if (i % 10 === 0) await store.flush();
  }
  await store.flush();
  assert.ok(statSync(path).size <= 8000, `file is ${statSync(path).size} bytes`);
  assert.deepEqual(store.load('sala').map((e) => e.text.slice(0, 3)), ['099', '100']);
  await store.close();
  const { store: again } = open(t, dir, { maxEntries: 1000, maxBytes: 300 });
  assert.deepEqual(again.load('sala').map((e) => e.text.slice(0, 3)), ['099', '100']);
});

test('file-store - a stale temp file from a compaction cut short is removed and the file is whole', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'r-sala.jsonl'), `${line(entry(1000, 'uno'))}\n`);
  writeFileSync(join(dir, 'r-sala.jsonl.tmp'), `${line(entry(1000, 'uno'))}\n{"id":20`);
  const { store, warnings } = open(t, dir);
  assert.deepEqual(texts(store.load('sala')), ['uno']);
  assert.deepEqual(warnings, []);
  assert.deepEqual(readdirSync(dir), ['r-sala.jsonl']);
});

test('file-store - names that differ only in case share one file; different names get different files', async (t) => {
  const dir = tempDir(t);
  const { store } = open(t, dir);
  for (const [i, room] of ['Sala', 'SALA', 'sala', 'sala2', 'sála', 'SÁLA', 'sa-la', 'sa_la'].entries()) store.append(room, entry((i + 1) * 1000, room));
  await store.close();
  const files = readdirSync(dir).sort();
  assert.equal(files.length, 5, files.join(' '));
  assert.equal(store.fileName('Sala'), store.fileName('sala'));
  assert.equal(store.fileName('SÁLA'), store.fileName('sála'));
  assert.equal(store.fileName('sa\u0301la'), store.fileName('sála'), 'NFD and NFC spell one room');
  const again = open(t, dir).store;
  assert.deepEqual(texts(again.load('sala')), ['Sala', 'SALA', 'sala']);
  assert.deepEqual(texts(again.load('Sála')), ['sála', 'SÁLA']);
  assert.deepEqual(texts(again.load('sala2')), ['sala2']);
  assert.deepEqual(texts(again.load('sa-la')), ['sa-la']);
});

test('file-store - non-ASCII room names get safe, distinct file names on any filesystem', async (t) => {
  const names = ['ñandú', '中文聊天室', 'Ωμέγα', 'русский', 'straße', 'strasse', '𝒜'.repeat(32), '中'.repeat(32), 'con', 'aux', 'nul', 'com1', '-', '_'];
  const files = names.map((n) => roomFileName(roomKey(n)));
  for (const f of files) {
    assert.match(f, /^[ru]-[a-z0-9_-]+\.jsonl$/, f);
    assert.ok(f.length <= 255, `${f.length} characters`);
    assert.doesNotMatch(f.split('.')[0]!, /^(con|prn|aux|nul|com\d|lpt\d)$/i, 'a Windows device name');
  }
  assert.equal(new Set(files.map((f) => f.toLowerCase())).size, names.length, 'distinct even ignoring case');
  // Any two distinct keys, any characters: distinct names, also on a case-insensitive filesystem.
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 32 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 32 }), (a, b) => {
      const [fa, fb] = [roomFileName(roomKey(a)), roomFileName(roomKey(b))];
      assert.match(fa, /^[ru]-[a-z0-9_-]+\.jsonl$/);
      assert.ok(fa.length <= 255);
      assert.equal(fa.toUpperCase() === fb.toUpperCase(), roomKey(a) === roomKey(b), `${a} ${b}`);
    }),
    { numRuns: 500 },
  );
  const dir = tempDir(t);
  const { store } = open(t, dir);
  for (const [i, room] of names.entries()) store.append(room, entry((i + 1) * 1000, room));
  await store.close();
  assert.equal(readdirSync(dir).length, names.length);
  const again = open(t, dir).store;
  for (const room of names) assert.deepEqual(texts(again.load(room)), [room]);
  assert.deepEqual(texts(again.load('ÑANDÚ')), ['ñandú']);
  assert.deepEqual(texts(again.load('ΩΜΈΓΑ')), ['Ωμέγα']);
  assert.deepEqual(texts(again.load('РУССКИЙ')), ['русский']);
});

test('file-store - a file that cannot be written is reported, retried, and rewritten from memory when it can', async (t) => {
  const dir = tempDir(t);
  const { store, warnings } = open(t, dir, { maxEntries: 3, retryMs: 10 });
  const path = join(dir, 'r-sala.jsonl');
  store.load('sala');
  mkdirSync(path); // opening it for appending fails (EISDIR)
  const failed = nextWarning(warnings, 'write-failed');
  for (let i = 1; i <= 5; i++) store.append('sala', entry(i * 1000, `m${i}`));
  const w = await within(failed, 5000, 'the write to fail');
  assert.equal(w.kind === 'write-failed' && w.error.code, 'EISDIR');
  store.append('sala', entry(6000, 'm6')); // while failing: kept in memory only
  assert.equal(store.unwritten, 6);
  const recovered = nextWarning(warnings, 'recovered');
  rmSync(path, { recursive: true });
  await within(recovered, 5000, 'the retry to succeed');
  assert.deepEqual(warnings.map((x) => x.kind), ['write-failed', 'recovered'], 'one warning each way, not one per retry');
  assert.deepEqual(fileLines(path).map((l) => (JSON.parse(l) as LogEntry).text), ['m4', 'm5', 'm6'], 'the kept tail, without a gap');
  assert.equal(store.unwritten, 0);
});

test('file-store - a buffer past its bound is dropped and the file rewritten from memory, without a gap', async (t) => {
  const dir = tempDir(t);
  const { store, warnings } = open(t, dir, { maxEntries: 10, maxBufferedChars: 500 });
  store.load('sala');
  // About 60 characters a line: past 500 after 9 lines, all in one turn.
  for (let i = 1; i <= 40; i++) store.append('sala', entry(i * 1000, `m${i}`));
  assert.equal(warnings[0]?.kind, 'fell-behind');
  await store.flush();
  assert.deepEqual(texts(store.load('sala')), Array.from({ length: 10 }, (_, i) => `m${31 + i}`));
  assert.deepEqual(fileLines(join(dir, 'r-sala.jsonl')).map((l) => (JSON.parse(l) as LogEntry).text), Array.from({ length: 10 }, (_, i) => `m${31 + i}`));
  assert.deepEqual(warnings.map((x) => x.kind), ['fell-behind', 'recovered']);
});

test('file-store - a file that cannot be read is reported and left alone', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'r-sala.jsonl')); // reading it fails (EISDIR)
  const { store, warnings } = open(t, dir);
  assert.deepEqual(store.load('sala'), []);
  assert.equal(warnings[0]?.kind, 'load-failed');
  store.append('sala', entry(1000, 'uno'));
  await store.flush();
  assert.equal(statSync(join(dir, 'r-sala.jsonl')).isDirectory(), true, 'not overwritten');
  assert.deepEqual(texts(store.load('sala')), ['uno'], 'memory still holds it');
});

test('file-store - of a file larger than maxLoadBytes only the end is read, and the file is cut to it', async (t) => {
  const dir = tempDir(t);
  const all = Array.from({ length: 100 }, (_, i) => entry((i + 1) * 1000, `m${i + 1}`));
  writeFileSync(join(dir, 'r-sala.jsonl'), `${all.map(line).join('\n')}\n`);
  const size = statSync(join(dir, 'r-sala.jsonl')).size;
  // The end: the last 7 lines whole and a piece of the one before them.
  const maxLoadBytes = all.slice(-7).map(line).join('\n').length + 1 + 10;
  const { store, warnings } = open(t, dir, { maxLoadBytes });
  const loaded = store.load('sala');
  assert.equal(loaded.length, 7);
  assert.deepEqual(loaded, all.slice(-loaded.length));
  assert.deepEqual(warnings, [{ kind: 'skipped-lines', room: 'sala', file: 'r-sala.jsonl', count: 1, tornTail: false, unreadBytes: size - maxLoadBytes }]);
  await store.flush();
  await store.close();
  assert.deepEqual(fileLines(join(dir, 'r-sala.jsonl')), all.slice(-loaded.length).map(line));
});

test('file-store - entries appended in a turn that has ended survive a kill -9 of the process', async (t) => {
  const dir = tempDir(t);
  const n = 500;
  const module = (name: string): string => JSON.stringify(new URL(`../../../src/hub/${name}`, import.meta.url).href);
  const script = join(dir, 'child.mjs');
  writeFileSync(
    script,
    `import { FileHistoryStore } from ${module('store/file-store.js')};
import { RoomLog } from ${module('room-log.js')};
const store = new FileHistoryStore({ dir: ${JSON.stringify(join(dir, 'data'))}, maxEntries: 1000 });
const log = new RoomLog({ maxEntries: 1000, store, room: 'sala' });
for (let i = 0; i < ${n}; i++) log.append('ana', 'm' + i);
// No flush, no close: only look, in later turns, until the store has handed them to the kernel.
let turns = 0;
const look = () => {
  turns++;
  if (store.unwritten === 0) {
    process.stdout.write('appended ${n}, written after ' + turns + ' turns\\n');
    setInterval(() => {}, 60_000); // stay alive until killed
  } else if (turns < 100_000) setImmediate(look);
  else process.stdout.write('never written\\n');
};
setImmediate(look);
`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const said = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (out.includes('\n')) resolve(out);
    });
    child.on('exit', () => reject(new Error(`child exited first: ${out} ${err}`)));
  });
  const message = await within(said, 10_000, 'the child to say it appended');
  assert.match(message, new RegExp(`^appended ${n}, written after \\d+ turns\\n$`));
  const exited = once(child, 'exit');
  process.kill(child.pid!, 'SIGKILL');
  const [code, signal] = (await within(exited, 5000, 'the child to die')) as [number | null, string | null];
  assert.equal(signal, 'SIGKILL', `exit code ${code}`);
  const { store, warnings } = open(t, join(dir, 'data'), { maxEntries: 1000 });
  const loaded = store.load('sala');
  assert.deepEqual(texts(loaded), Array.from({ length: n }, (_, i) => `m${i}`));
  assert.deepEqual(warnings, []);
  t.diagnostic(message.trim());
});

test('file-store - append cost with the file store, reported (not asserted)', async (t) => {
  const dir = tempDir(t);
  const n = 20_000;
  const text = 'hola a todos, ¿qué tal va la práctica de redes?';
  const ringNs: number[] = [];
  const appendNs: number[] = [];
  const withFlushNs: number[] = [];
  for (let run = 0; run < 7; run++) {
    const ring = new RoomLog();
    const ringStart = process.hrtime.bigint();
    for (let i = 0; i < n; i += 100) {
      for (let j = 0; j < 100; j++) ring.append('ana', text);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    ringNs.push(Number(process.hrtime.bigint() - ringStart) / n);
    const store = new FileHistoryStore({ dir: join(dir, String(run)) });
    const log = new RoomLog({ store, room: 'sala' });
    const start = process.hrtime.bigint();
    // In turns of 100 messages, as a busy server would see them.
    for (let i = 0; i < n; i += 100) {
      for (let j = 0; j < 100; j++) log.append('ana', text);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const appended = process.hrtime.bigint();
    await store.close();
    const end = process.hrtime.bigint();
    appendNs.push(Number(appended - start) / n);
    withFlushNs.push(Number(end - start) / n);
    assert.equal(log.size, 200);
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  t.diagnostic(
    `in turns of 100 appends, median of 7 runs of ${n}, per entry: RoomLog alone ${median(ringNs).toFixed(0)} ns; ` +
      `with a FileHistoryStore ${median(appendNs).toFixed(0)} ns on the event loop (writes and compactions included), ${median(withFlushNs).toFixed(0)} ns until closed`,
  );
});

test('file-store - an action (/me) comes back as an action after a restart; plain messages carry no action field', async (t) => {
  const dir = tempDir(t);
  const first = open(t, dir).store;
  let ms = 1_754_000_000_000;
  const log = new RoomLog({ store: first, room: 'general', now: () => ms++ });
  log.append('ana', 'hola');
  log.append('ana', 'saluda', true);
  await first.close();
  const stored = fileLines(join(dir, 'r-general.jsonl')).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(stored.map((e) => e['action']), [undefined, true]);
  const { store } = open(t, dir);
  const again = new RoomLog({ store, room: 'general' });
  assert.deepEqual(again.last(2).map((e) => [e.text, e.action]), [['hola', undefined], ['saluda', true]]);
});
