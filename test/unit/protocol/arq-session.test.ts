import assert from 'node:assert/strict';
import test from 'node:test';
import { seededRandom } from '../../../src/lab/impairment.js';
import { encodeArq } from '../../../src/protocol/arq/header.js';
import {
  ARQ_SESSION_DEFAULTS,
  ArqSession,
  type ArqSessionEnd,
  type ArqSessionOptions,
  checkArqSessionOptions,
  isArqData,
  opensArqSession,
} from '../../../src/protocol/arq-session.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const SMALL: ArqSessionOptions = { window: 4, seqBits: 4, maxQueue: 1000, maxRetries: 10, rto: { fixedMs: 100 } };
const bytes = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const str = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Two sessions joined by a channel on a fake clock that loses `lossPct` of datagrams each way (seeded). */
function pair(options: ArqSessionOptions, lossPct: number, seed: number) {
  const clock = new FakeClock(0);
  const random = seededRandom(seed);
  const got = { a: [] as string[], b: [] as string[] };
  const ends: Array<[string, ArqSessionEnd]> = [];
  const wire = { sent: 0, lost: 0 };
  let a: ArqSession;
  let b: ArqSession;
  const carry = (to: () => ArqSession) => (d: Uint8Array): void => {
    wire.sent++;
    if (random() * 100 < lossPct) {
      wire.lost++;
      return;
    }
    const copy = Uint8Array.from(d);
    clock.set(5, () => to().onDatagram(copy), undefined);
  };
  a = new ArqSession(options, clock, { transmit: carry(() => b), deliver: (p) => got.a.push(str(p)), end: (why) => ends.push(['a', why]) });
  b = new ArqSession(options, clock, { transmit: carry(() => a), deliver: (p) => got.b.push(str(p)), end: (why) => ends.push(['b', why]) });
  return { clock, a, b, got, ends, wire };
}

test('arq-session - under 20% loss both ways, each side gets every payload of the other once and in order, across wrap-arounds', () => {
  const { clock, a, b, got, ends, wire } = pair(SMALL, 20, 7);
  const n = 60; // 16 sequence numbers: the numbers wrap more than three times
  for (let i = 0; i < n; i++) {
    assert.equal(a.send(bytes(`a${i}`)), true);
    assert.equal(b.send(bytes(`b${i}`)), true);
  }
  for (let steps = 0; steps < 100_000 && !(a.idle && b.idle && clock.pending === 0); steps++) clock.runNext();
  assert.deepEqual(got.b, Array.from({ length: n }, (_, i) => `a${i}`));
  assert.deepEqual(got.a, Array.from({ length: n }, (_, i) => `b${i}`));
  assert.deepEqual(ends, []);
  assert.ok(wire.lost > 0 && a.stats.retransmissions > 0 && b.stats.retransmissions > 0, JSON.stringify({ wire, a: a.stats, b: b.stats }));
  assert.equal(a.stats.delivered, n);
});

test('arq-session - with no ACK, a packet is sent 1 + maxRetries times, then the session ends once as no_ack and leaves no timer', async () => {
  const clock = new FakeClock(0);
  const sent: Uint8Array[] = [];
  const ends: ArqSessionEnd[] = [];
  const s = new ArqSession({ ...SMALL, maxRetries: 3 }, clock, { transmit: (d) => sent.push(d), deliver: () => {}, end: (why) => ends.push(why) });
  s.send(bytes('hola'));
  for (let steps = 0; steps < 100 && clock.runNext(); steps++) await settle();
  await settle();
  assert.equal(sent.length, 4, 'the first copy and three retransmissions');
  assert.deepEqual(ends, ['no_ack']);
  assert.equal(clock.pending, 0, 'no retransmission timer left armed');
  assert.equal(s.closed, true);
  assert.equal(s.send(bytes('más')), false);
});

test('arq-session - retries are counted per packet: losses spread over many packets never add up to a give-up', async () => {
  const clock = new FakeClock(0);
  const ends: ArqSessionEnd[] = [];
  let peer: ArqSession;
  let k = 0;
  // Every packet is lost twice, then gets through: 2 retries each, below maxRetries = 3.
  const copies = new Map<number, number>();
  const s = new ArqSession({ ...SMALL, maxRetries: 3 }, clock, {
    transmit: (d) => {
      const seq = (d[6] as number) * 256 + (d[7] as number);
      const seen = (copies.get(seq) ?? 0) + 1;
      copies.set(seq, seen);
      if (seen % 3 !== 0) return;
      const copy = Uint8Array.from(d);
      clock.set(1, () => peer.onDatagram(copy), undefined);
    },
    deliver: () => {},
    end: (why) => ends.push(why),
  });
  peer = new ArqSession({ ...SMALL, maxRetries: 3 }, clock, {
    transmit: (d) => {
      const copy = Uint8Array.from(d);
      clock.set(1, () => s.onDatagram(copy), undefined);
    },
    deliver: () => k++,
    end: (why) => ends.push(why),
  });
  // 12 packets over a 16-number space: each number is used once, so the count per number is per packet.
  for (let i = 0; i < 12; i++) s.send(bytes(`m${i}`));
  for (let steps = 0; steps < 10_000 && clock.runNext(); steps++);
  await settle();
  assert.equal(k, 12);
  assert.equal(s.stats.retransmissions, 24, 'two per packet, far more than maxRetries in all');
  assert.deepEqual(ends, []);
});

test('arq-session - past the window and maxQueue, send refuses and the session ends once as overflow', async () => {
  const clock = new FakeClock(0);
  const ends: ArqSessionEnd[] = [];
  const s = new ArqSession({ ...SMALL, window: 2, maxQueue: 3 }, clock, { transmit: () => {}, deliver: () => {}, end: (why) => ends.push(why) });
  for (let i = 0; i < 5; i++) assert.equal(s.send(bytes(`m${i}`)), true, `message ${i} fits`);
  assert.equal(s.send(bytes('m5')), false);
  assert.equal(s.send(bytes('m6')), false);
  assert.deepEqual(ends, [], 'not from inside send');
  await settle();
  assert.deepEqual(ends, ['overflow']);
  assert.equal(clock.pending, 0);
});

test('arq-session - only Selective Repeat DATA 0 in our sequence space opens a session', () => {
  const o = ARQ_SESSION_DEFAULTS;
  assert.equal(opensArqSession(encodeArq('data', 'sr', 16, 0, bytes('ana')), o), true);
  assert.equal(opensArqSession(encodeArq('data', 'sr', 16, 1, bytes('ana')), o), false);
  assert.equal(opensArqSession(encodeArq('ack', 'sr', 16, 0), o), false);
  assert.equal(opensArqSession(encodeArq('data', 'gbn', 16, 0, bytes('ana')), o), false);
  assert.equal(opensArqSession(encodeArq('data', 'sr', 8, 0, bytes('ana')), o), false);
  assert.equal(opensArqSession(bytes('ana'), o), false);
  assert.equal(isArqData(encodeArq('data', 'sr', 16, 3, bytes('x'))), true);
  assert.equal(isArqData(encodeArq('ack', 'sr', 16, 3)), false);
  assert.equal(isArqData(bytes('hola')), false);
});

test('arq-session - options the give-up cannot work with are refused', () => {
  assert.throws(() => checkArqSessionOptions({ ...SMALL, window: 3 }), /power of two/);
  assert.throws(() => checkArqSessionOptions({ ...SMALL, window: 16 }), /sequence bits/);
  assert.throws(() => checkArqSessionOptions({ ...SMALL, maxRetries: -1 }), /maxRetries/);
  assert.doesNotThrow(() => checkArqSessionOptions(ARQ_SESSION_DEFAULTS));
});
