import assert from 'node:assert/strict';
import type { LineClient } from './line-client.js';
import type { UdpClient } from './udp-client.js';

/** The answer to `/listar` in either language. */
const LIST_ANSWER = /^(Usuarios|Users): /;

/**
 * Shows, without sleeping, that nothing reached `client` after the lines it has already read:
 * sends `/listar` as a marker and asserts that its answer is the very next line (the server
 * answers in order, so anything sent to `client` before the marker would come first).
 * Returns the answer, for assertions on who is online.
 */
export async function assertNothingNew(client: LineClient, what = 'nothing else'): Promise<string> {
  client.write('/listar\n');
  const line = await client.next();
  assert.match(line, LIST_ANSWER, `expected ${what} before the /listar marker's answer, got ${JSON.stringify(line)}`);
  return line;
}

/**
 * The UDP version of {@link assertNothingNew}: on loopback the server's datagrams to one client
 * arrive in the order it sent them, so the marker's answer must be the next datagram.
 */
export async function assertNothingNewUdp(client: UdpClient, what = 'nothing else'): Promise<string> {
  client.send('/listar');
  const message = await client.next();
  assert.match(message, LIST_ANSWER, `expected ${what} before the /listar marker's answer, got ${JSON.stringify(message)}`);
  return message;
}
