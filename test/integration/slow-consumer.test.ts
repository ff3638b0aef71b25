import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinAs } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/start-server.js';

const MAX_QUEUED = 64 * 1024;

test('slow consumer - a client that never reads is cut off at its byte bound while the readers get every message', async (t) => {
  const { server, tcpPort } = await startTestServer(t, { bench: true, tcpOptions: { maxQueuedBytes: MAX_QUEUED } });
  const slow = await joinAs(t, tcpPort, 'lento');
  const reader = await joinAs(t, tcpPort, 'lector');
  const sender = await joinAs(t, tcpPort, 'emisor');
  await reader.waitFor('*** emisor se ha unido al chat ***');
  slow.socket.pause(); // stops reading: its kernel buffers fill, then the server's queue

  const payload = 'x'.repeat(1000);
  const maxBatches = 2000; // 2000 x 20 x ~1 KB = 40 MB at most: far past any loopback buffer
  let sent = 0;
  let maxSeen = 0;
  const leave = '*** lento ha salido del chat (no leía a tiempo) ***';
  for (let batch = 0; batch < maxBatches && !reader.lines.includes(leave); batch++) {
    let chunk = '';
    for (let i = 0; i < 20; i++) chunk += `${sent++} ${payload}\n`;
    sender.write(chunk);
    // Wait until the reader has everything so far: a bounded, event-driven pace.
    await reader.until(`message ${sent - 1}`, () => reader.lines.includes(`emisor: ${sent - 1} ${payload}`), 10_000);
    for (const peer of server.tcp?.peers ?? []) maxSeen = Math.max(maxSeen, peer.queuedBytes);
  }
  assert.ok(reader.lines.includes(leave), `the slow reader was never cut off after ${sent} messages`);
  assert.ok(maxSeen <= MAX_QUEUED, `a peer had ${maxSeen} bytes queued, over the ${MAX_QUEUED} bound`);
  const received = reader.lines.filter((l) => l.startsWith('emisor: ')).map((l) => Number(l.split(' ')[1]));
  assert.deepEqual(received, Array.from({ length: sent }, (_, i) => i), 'the reader got every message, in order');
  // The room goes on at full speed without the slow user.
  sender.write('/listar\n');
  assert.equal(await sender.waitFor(/^Usuarios: /), 'Usuarios: lector, emisor');
});
