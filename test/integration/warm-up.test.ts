import assert from 'node:assert/strict';
import { test } from 'node:test';
import { warmUp } from '../../src/transport/warm-up.js';

test('warm-up - pushes every message through a private hub and leaves nothing open behind it', async () => {
  const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
  const before = sockets();
  const { deliveries } = await warmUp({}, { rounds: [3, 4], messagesPerClient: 50, afterCollection: { clients: 0, messagesPerClient: 0 }, timeoutMs: 5000 });
  assert.equal(deliveries, (3 * 2 + 4 * 3) * 50, 'every client got every other client\'s messages');
  assert.equal(sockets(), before, 'no socket or listener left open');
});

test('warm-up - gives up within its time bound instead of hanging', async () => {
  const { ms } = await warmUp({}, { rounds: [2, 2], messagesPerClient: 1_000_000, timeoutMs: 50 });
  assert.ok(ms < 2000, `took ${ms} ms`);
});

test('warm-up - with an IRC port, IRC users chat through the same private hub too, and nothing stays open', async () => {
  const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
  const before = sockets();
  const { deliveries } = await warmUp({}, { rounds: [3], messagesPerClient: 50, ircRounds: [4], ircMessagesPerClient: 30, afterCollection: { clients: 0, messagesPerClient: 0 }, timeoutMs: 5000 }, { irc: true });
  assert.equal(deliveries, 3 * 2 * 50 + 4 * 3 * 30, 'every IRC client got every other IRC client\'s messages');
  assert.equal(sockets(), before, 'no socket or listener left open');
});

test('warm-up - with a browser port, WebSocket users chat through the same private hub too, and nothing stays open', async () => {
  const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
  const before = sockets();
  const { deliveries, ms } = await warmUp({}, { rounds: [3], messagesPerClient: 50, wsRounds: [2, 5], wsMessagesPerClient: 40, afterCollection: { clients: 0, messagesPerClient: 0 }, timeoutMs: 5000 }, { ws: true });
  assert.equal(deliveries, 3 * 2 * 50 + (2 * 1 + 5 * 4) * 40, "every WebSocket client got every other WebSocket client's messages");
  assert.ok(ms < 5000, `done before its bound, not cut by it (${ms} ms)`);
  assert.equal(sockets(), before, 'no socket or listener left open');
});

test('warm-up - after a full collection, one short room per path the server has: line, IRC and WebSocket', async () => {
  const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
  const before = sockets();
  const options = { rounds: [3], messagesPerClient: 20, ircRounds: [2], ircMessagesPerClient: 20, wsRounds: [2], wsMessagesPerClient: 20, timeoutMs: 5000 };
  const rounds = 3 * 2 * 20 + 2 * 1 * 20 + 2 * 1 * 20;
  const lineOnly = await warmUp({}, { ...options, afterCollection: { clients: 4, messagesPerClient: 10 } });
  assert.equal(lineOnly.deliveries, 3 * 2 * 20 + 4 * 3 * 10, 'a line room after the collection; no IRC or WebSocket room without their ports');
  const all = await warmUp({}, { ...options, afterCollection: { clients: 4, messagesPerClient: 10 } }, { irc: true, ws: true });
  assert.equal(all.deliveries, rounds + 3 * (4 * 3 * 10), 'a room of 4 on each of the three paths after the collection');
  assert.equal(sockets(), before, 'no socket or listener left open');
});

test('warm-up - a paced room after the collection (a line per write, a window of messages in flight) still delivers every message on every path', async () => {
  const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
  const before = sockets();
  const options = { rounds: [2], messagesPerClient: 5, ircRounds: [2], ircMessagesPerClient: 5, wsRounds: [], timeoutMs: 10_000 };
  const rounds = 2 * (2 * 1 * 5);
  for (const window of [1, 3]) {
    const { deliveries, ms } = await warmUp({}, { ...options, afterCollection: { clients: 5, messagesPerClient: 30, window } }, { irc: true, ws: true });
    assert.equal(deliveries, rounds + 3 * (5 * 4 * 30), `window ${window}: a paced room of 5 on each of the three paths, every message to every other client`);
    assert.ok(ms < 10_000, `window ${window}: done before its bound, not cut by it (${ms} ms)`);
  }
  assert.equal(sockets(), before, 'no socket or listener left open');
});
