import assert from 'node:assert/strict';
import test from 'node:test';
import { type JoinedNotices, NoticeWindow, PendingNotices } from '../../../src/transport/notice-window.js';
import { within } from '../../helpers/within.js';

/** A peer that records the bytes it writes when the window is written. */
class Holder {
  readonly pending = new PendingNotices();
  written: string[] = [];
  constructor(readonly window: NoticeWindow<string>) {}
  add(key: string): void {
    const seq = this.window.seq(key, this.pending.last);
    this.window.note(this.pending, this, seq, this.window.sizeOf(seq));
  }
  flushNotices(joined: () => JoinedNotices): void {
    if (this.pending.from < 0) return;
    const j = joined();
    this.written.push(this.window.runs(this.pending, j).map((b) => b.toString()).join(''));
  }
}

const encode = (key: string): Buffer => Buffer.from(`${key}\n`);

test('notice window - a broadcast to a room of two languages is one entry per language, however the languages alternate', async () => {
  let encoded = 0;
  const window = new NoticeWindow<string>((k) => (encoded++, encode(k)), () => 4);
  const holders = Array.from({ length: 6 }, () => new Holder(window));
  // One join heard by six users, es and en alternating (the order of a room's members).
  const es = 'ana se ha unido.';
  const en = 'ana joined.';
  for (const [i, h] of holders.entries()) h.add(i % 2 === 0 ? es : en);
  assert.equal(encoded, 2, 'one encoding per language, not one per receiver');
  const seqs = holders.map((h) => h.pending.from);
  assert.deepEqual(seqs, [seqs[0], seqs[1], seqs[0], seqs[1], seqs[0], seqs[1]]);
  // The same text again is a new broadcast: new entries, and each user gets both, in order.
  for (const [i, h] of holders.entries()) h.add(i % 2 === 0 ? es : en);
  assert.equal(encoded, 4);
  const flushed = window.flushed();
  window.flush();
  await within(flushed, 1000, 'the window to be written');
  for (const [i, h] of holders.entries()) {
    const line = i % 2 === 0 ? es : en;
    assert.deepEqual(h.written, [`${line}\n${line}\n`]);
  }
});
