import type { Socket } from 'node:net';

/**
 * Resolves when `socket` has closed, whatever its reason. Unlike `events.once(socket, 'close')`,
 * an 'error' on the way (a reset while the last bytes were flushed) does not reject: the socket
 * still closes, and that is all the caller waits for.
 */
export function closed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}
