import assert from 'node:assert/strict';
import test from 'node:test';
import { ArqConfigError, createArqSender, resolveArqConfig } from '../../../../src/protocol/arq/index.js';
import { ArqChannel, dropping, messages } from '../../../helpers/arq-channel.js';
import { FakeClock } from '../../../helpers/fake-clock.js';

const fixed = { fixedMs: 100 };

/** What the wire saw, compactly: "d0 d1R a0 T0" = data 0, data 1 again, ACK 0, timeout of 0. */
function trace(ch: ArqChannel): string {
  return ch.events
    .flatMap((e) => {
      if (e.kind === 'data-sent') return [`d${e.seq}${e.retransmission ? 'R' : ''}`];
      if (e.kind === 'ack-sent') return [`a${e.ack}`];
      if (e.kind === 'timeout') return [`T${e.seq}`];
      return [];
    })
    .join(' ');
}

for (const protocol of ['sw', 'gbn', 'sr'] as const) {
  const window = protocol === 'sw' ? 1 : 4;
  const seqBits = protocol === 'sw' ? 1 : 3;

  test(`arq ${protocol} - a clean channel: everything delivered in order, nothing resent`, () => {
    const ch = new ArqChannel({ protocol, window, seqBits, rto: fixed }).run(messages(10));
    assert.deepEqual(ch.delivered, messages(10));
    assert.equal(ch.sender.counters.retransmissions, 0);
    assert.equal(ch.sender.counters.timeouts, 0);
    assert.equal(ch.sender.idle, true);
    assert.equal(ch.sender.counters.acked, 10);
  });

  test(`arq ${protocol} - premature timeout (RTO below the RTT): duplicates discarded, delivered once`, () => {
    const ch = new ArqChannel({ protocol, window, seqBits, rto: { fixedMs: 15 } }, { delayMs: 10 }).run(messages(3));
    assert.deepEqual(ch.delivered, messages(3));
    assert.ok(ch.sender.counters.timeouts >= 1);
    assert.ok(ch.receiver.counters.duplicatesDiscarded >= 1);
    assert.ok(ch.sender.counters.duplicateAcks >= 1);
  });
}

test('arq sw - lost packet: the timeout resends it, the receiver never sees a gap', () => {
  const ch = new ArqChannel({ protocol: 'sw', rto: fixed }, { fate: dropping({ data: [2] }) }).run(messages(3));
  assert.deepEqual(ch.delivered, messages(3));
  assert.equal(trace(ch), 'd0 a0 d1 T1 d1R a1 d0 a0');
  assert.equal(ch.sender.counters.retransmissions, 1);
  assert.equal(ch.receiver.counters.duplicatesDiscarded, 0);
});

test('arq sw - lost ACK: the resent packet is a duplicate, discarded and ACKed again (rdt 3.0)', () => {
  const ch = new ArqChannel({ protocol: 'sw', rto: fixed }, { fate: dropping({ ack: [1] }) }).run(messages(2));
  assert.deepEqual(ch.delivered, messages(2));
  assert.equal(trace(ch), 'd0 a0 T0 d0R a0 d1 a1');
  assert.equal(ch.receiver.counters.duplicatesDiscarded, 1);
  assert.equal(ch.sender.counters.timeouts, 1);
});

test('arq sw - the alternating bit: sequence numbers 0, 1, 0, 1 on the wire', () => {
  const ch = new ArqChannel({ protocol: 'sw', rto: fixed }).run(messages(4));
  assert.equal(trace(ch), 'd0 a0 d1 a1 d0 a0 d1 a1');
});

test('arq gbn - lost packet: the receiver discards what follows, the timeout resends the whole window', () => {
  const ch = new ArqChannel({ protocol: 'gbn', window: 4, seqBits: 3, rto: fixed }, { fate: dropping({ data: [2] }) }).run(messages(4));
  assert.deepEqual(ch.delivered, messages(4));
  assert.equal(trace(ch), 'd0 d1 d2 d3 a0 a0 a0 T1 d1R d2R d3R a1 a2 a3');
  assert.equal(ch.receiver.counters.outOfOrderDiscarded, 2);
  assert.equal(ch.sender.counters.duplicateAcks, 2);
  assert.equal(ch.sender.counters.retransmissions, 3);
});

test('arq gbn - lost ACK: the next cumulative ACK covers it, nothing is resent', () => {
  const ch = new ArqChannel({ protocol: 'gbn', window: 4, seqBits: 3, rto: fixed }, { fate: dropping({ ack: [1] }) }).run(messages(4));
  assert.deepEqual(ch.delivered, messages(4));
  assert.equal(ch.sender.counters.retransmissions, 0);
  assert.equal(ch.sender.counters.timeouts, 0);
});

test('arq sr - lost packet: the receiver buffers what follows, only the lost one is resent', () => {
  const ch = new ArqChannel({ protocol: 'sr', window: 4, seqBits: 3, rto: fixed }, { fate: dropping({ data: [2] }) }).run(messages(4));
  assert.deepEqual(ch.delivered, messages(4));
  assert.equal(trace(ch), 'd0 d1 d2 d3 a0 a2 a3 T1 d1R a1');
  assert.equal(ch.receiver.counters.buffered, 2);
  assert.equal(ch.sender.counters.retransmissions, 1);
});

test('arq sr - lost ACK: that packet alone times out; its copy is discarded and ACKed again', () => {
  const ch = new ArqChannel({ protocol: 'sr', window: 4, seqBits: 3, rto: fixed }, { fate: dropping({ ack: [1] }) }).run(messages(4));
  assert.deepEqual(ch.delivered, messages(4));
  assert.equal(trace(ch), 'd0 d1 d2 d3 a0 a1 a2 a3 T0 d0R a0');
  assert.equal(ch.receiver.counters.duplicatesDiscarded, 1);
  assert.equal(ch.sender.counters.retransmissions, 1);
});

test('arq sr - an old packet (its ACK lost) from the previous window is ACKed again even after the window moved', () => {
  // window 2, 4 messages: ACK 0 lost; 1 acked; 2, 3 are sent; 0's retransmission is from before the receiver's window.
  const ch = new ArqChannel({ protocol: 'sr', window: 2, seqBits: 2, rto: fixed }, { fate: dropping({ ack: [1] }) }).run(messages(4));
  assert.deepEqual(ch.delivered, messages(4));
  assert.equal(ch.receiver.counters.duplicatesDiscarded, 1);
});

for (const protocol of ['sw', 'gbn', 'sr'] as const) {
  test(`arq ${protocol} - Karn's rule: no RTT sample from a retransmitted packet`, () => {
    const config = { protocol, window: protocol === 'sw' ? 1 : 2, seqBits: 3, rto: { initialMs: 1000, minMs: 1 } };
    // Packet 1 lost once: its ACK comes 1020 ms after its first copy, 20 ms after the second.
    const ch = new ArqChannel(config, { fate: dropping({ data: [1] }) }).run(messages(protocol === 'sw' ? 3 : 1));
    assert.equal(ch.sender.counters.retransmissions, 1);
    const fresh = ch.sender.counters.sent - 1;
    assert.equal(ch.sender.counters.rttSamples, fresh);
    if (fresh > 0) assert.equal(ch.sender.srttMs, 20, 'only the clean 20 ms round trips were measured');
    else assert.equal(ch.sender.srttMs, undefined);
  });

  test(`arq ${protocol} - the estimated RTO follows the RTT and backs off on a timeout`, () => {
    const config = { protocol, window: protocol === 'sw' ? 1 : 2, seqBits: 3, rto: { minMs: 1 } };
    const ch = new ArqChannel(config, { delayMs: 25 }).run(messages(4));
    assert.equal(ch.sender.srttMs, 50);
    assert.ok(ch.sender.rtoMs < 200, `RTO ${ch.sender.rtoMs}`);
  });
}

test('arq - back-pressure: a full window and queue refuse, then say when there is room', () => {
  const clock = new FakeClock(0);
  const wire: Uint8Array[] = [];
  let writable = 0;
  const sender = createArqSender({ protocol: 'gbn', window: 2, seqBits: 3, maxQueue: 1, rto: fixed }, clock, { transmit: (d) => wire.push(d), onWritable: () => writable++ });
  assert.equal(sender.send(Buffer.from('a')), true);
  assert.equal(sender.send(Buffer.from('b')), true);
  assert.equal(sender.send(Buffer.from('c')), true, 'one queued');
  assert.equal(sender.send(Buffer.from('d')), false, 'window and queue full');
  assert.equal(sender.inFlight, 2);
  assert.equal(sender.queued, 1);
  assert.equal(writable, 0);
  assert.equal(sender.onDatagram(Buffer.from([0xfe, 1, 2, 2, 3, 0, 0, 0])), true, 'ACK 0');
  assert.equal(writable, 1);
  assert.equal(wire.length, 3);
  assert.equal(sender.onDatagram(Buffer.from('hola')), false, 'plain text is not for the sender');
  sender.close();
  assert.equal(clock.pending, 0, 'close clears the timer');
});

test('arq - the window rules are enforced with an explanation, unless unsafeWindow', () => {
  assert.throws(() => resolveArqConfig({ protocol: 'sr', seqBits: 2, window: 3 }), (err: unknown) => err instanceof ArqConfigError && /half the sequence space/.test(err.message) && /at most 2/.test(err.message));
  assert.equal(resolveArqConfig({ protocol: 'sr', seqBits: 2, window: 3, unsafeWindow: true }).window, 3);
  assert.equal(resolveArqConfig({ protocol: 'sr', seqBits: 2, window: 2 }).window, 2);
  assert.throws(() => resolveArqConfig({ protocol: 'gbn', seqBits: 2, window: 4 }), ArqConfigError);
  assert.equal(resolveArqConfig({ protocol: 'gbn', seqBits: 2, window: 3 }).window, 3);
  assert.throws(() => resolveArqConfig({ protocol: 'sw', window: 2 }), /window is 1/);
  assert.throws(() => resolveArqConfig({ protocol: 'sr', seqBits: 17 }), ArqConfigError);
  assert.throws(() => resolveArqConfig({ protocol: 'sr', seqBits: 3, window: 9, unsafeWindow: true }), /does not fit/);
  assert.deepEqual(
    [resolveArqConfig({ protocol: 'sw' }), resolveArqConfig({ protocol: 'gbn' })].map((c) => [c.window, c.seqBits]),
    [[1, 1], [8, 8]],
  );
});

test('arq sr - the dilemma: seq bits 2, window 3 (unsafe), every ACK of the first window lost: a retransmission is taken for new data', () => {
  const config = { protocol: 'sr' as const, seqBits: 2, window: 3, unsafeWindow: true, rto: fixed };
  const ch = new ArqChannel(config, { fate: dropping({ ack: [1, 2, 3] }) }).run(messages(6));
  // The receiver got 0, 1, 2 and moved its window to 3, 0, 1; the resent old 0 falls inside it.
  assert.notDeepEqual(ch.delivered, messages(6));
  assert.deepEqual(ch.delivered.slice(0, 4), ['m0', 'm1', 'm2', 'm3']);
  assert.equal(ch.delivered[4], 'm0', 'the old m0 delivered as the 5th message');
  // The same losses with a 3-bit space (window 3 <= 4): correct.
  const safe = new ArqChannel({ ...config, seqBits: 3, unsafeWindow: false }, { fate: dropping({ ack: [1, 2, 3] }) }).run(messages(6));
  assert.deepEqual(safe.delivered, messages(6));
});

for (const protocol of ['gbn', 'sr'] as const) {
  test(`arq ${protocol} - maxQueue 0: send takes a payload only when the window has room, and onWritable says when`, () => {
    const clock = new FakeClock(0);
    let writable = 0;
    const sender = createArqSender({ protocol, window: 1, seqBits: 3, maxQueue: 0, rto: fixed }, clock, { transmit: () => {}, onWritable: () => writable++ });
    assert.equal(sender.send(Buffer.from('a')), true);
    assert.equal(sender.send(Buffer.from('b')), false);
    sender.onDatagram(Buffer.from([0xfe, 1, 2, protocol === 'gbn' ? 2 : 3, 3, 0, 0, 0]));
    assert.equal(writable, 1);
    assert.equal(sender.send(Buffer.from('b')), true);
    sender.close();
  });
}

test('arq sr - back-off is per packet: two losses in one window do not multiply the RTO', () => {
  // Window 2: both packets lost twice. Each is re-armed with 2 x RTO after its first timeout;
  // one shared doubling would re-arm the second with 4 x RTO.
  const config = { protocol: 'sr' as const, window: 2, seqBits: 3, rto: { initialMs: 1000, minMs: 1 } };
  const ch = new ArqChannel(config, { fate: dropping({ data: [1, 2, 3, 4] }) }).run(messages(2));
  assert.deepEqual(ch.delivered, messages(2));
  const timeouts = ch.events.filter((e) => e.kind === 'timeout').map((e) => e.at);
  assert.deepEqual(timeouts, [1000, 1000, 3000, 3000]);
});

test('arq gbn - RFC 6298 back-off: the one timer doubles on each expiry, and a clean sample resets it', () => {
  const config = { protocol: 'gbn' as const, window: 2, seqBits: 3, rto: { initialMs: 1000, minMs: 1 } };
  const ch = new ArqChannel(config, { fate: dropping({ data: [1, 3] }) }).run(messages(3));
  assert.deepEqual(ch.delivered, messages(3));
  const timeouts = ch.events.filter((e) => e.kind === 'timeout').map((e) => [e.at, e.kind === 'timeout' ? e.rtoMs : 0]);
  assert.deepEqual(timeouts, [[1000, 1000], [3000, 2000]]);
});

test('arq gbn - progress ends the back-off: a loss after a recovered one waits 1 RTO, not 2^k', () => {
  // Packet 0 lost once (timeout at 1000, back-off to 2000); its retransmission arrives and the base moves:
  // no clean sample (Karn), yet packet 1's loss is then timed with 1 RTO again.
  const config = { protocol: 'gbn' as const, window: 1, seqBits: 3, rto: { initialMs: 1000, minMs: 1 } };
  const ch = new ArqChannel(config, { fate: dropping({ data: [1, 3] }) }).run(messages(2));
  assert.deepEqual(ch.delivered, messages(2));
  const timeouts = ch.events.filter((e) => e.kind === 'timeout').map((e) => (e.kind === 'timeout' ? e.rtoMs : 0));
  assert.deepEqual(timeouts, [1000, 1000]);
});
