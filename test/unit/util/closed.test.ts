import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { closed } from '../../../src/util/closed.js';

test('closed - an error on the way to close does not reject the wait (a shutdown must not throw on a reset client)', async () => {
  const socket = Object.assign(new EventEmitter(), { closed: false });
  socket.on('error', () => {}); // the transport's own listener
  const waiting = closed(socket as unknown as Socket);
  socket.emit('error', Object.assign(new Error('write ECONNRESET'), { code: 'ECONNRESET' }));
  socket.emit('close', true);
  await waiting;
});

test('closed - a socket already closed resolves at once', async () => {
  await closed({ closed: true } as unknown as Socket);
});
