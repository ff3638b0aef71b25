import type { RemoteInfo } from 'node:dgram';
import { once } from 'node:events';
import type net from 'node:net';
import type { ChatServer } from '../../src/server.js';
import type { LineClient } from './line-client.js';
import type { UdpClient } from './udp-client.js';
import { within } from './within.js';

/**
 * Views of the server's own end of a test connection, so a test can wait for "the server has
 * read and handled these bytes" as an event instead of sleeping. Listeners added here run after
 * the transport's own, so when they fire the hub has already seen the data.
 */

/** The server's socket for `client` (waits, bounded, for the server to accept the connection). */
export async function serverSocketOf(server: ChatServer, client: LineClient, ms = 3000): Promise<net.Socket> {
  const tcp = server.tcp;
  if (tcp === undefined) throw new Error('the server has no TCP transport');
  const port = client.socket.localPort;
  const find = (): net.Socket | undefined => [...tcp.peers].find((p) => p.socket.remotePort === port)?.socket;
  const found = find();
  if (found !== undefined) return found;
  const accepted = (async (): Promise<net.Socket> => {
    for (;;) {
      await once(tcp.server, 'connection');
      const socket = find();
      if (socket !== undefined) return socket;
    }
  })();
  return within(accepted, ms, `the server to accept the connection from port ${port}`);
}

/**
 * Writes `data` from `client` and resolves once the server has read at least one chunk of it and
 * handled it (decoded, and passed any complete line to the hub).
 */
export async function writeAndWaitRead(server: ChatServer, client: LineClient, data: string | Uint8Array, ms = 3000): Promise<void> {
  const socket = await serverSocketOf(server, client);
  const read = once(socket, 'data');
  client.write(data);
  await within(read, ms, `the server to read ${JSON.stringify(String(data))}`);
}

/**
 * Sends `data` from the UDP `client` and resolves once the server's UDP socket has received that
 * datagram from the client's port and the transport has handled it.
 */
export async function sendAndWaitReceived(server: ChatServer, client: UdpClient, data: string | Uint8Array, ms = 3000): Promise<void> {
  const udp = server.udp;
  if (udp === undefined) throw new Error('the server has no UDP transport');
  const port = client.socket.address().port;
  const received = new Promise<void>((resolve) => {
    const onMessage = (_msg: Buffer, rinfo: RemoteInfo): void => {
      if (rinfo.port !== port) return;
      udp.socket.off('message', onMessage);
      resolve();
    };
    udp.socket.on('message', onMessage);
  });
  client.send(data);
  await within(received, ms, `the server to receive a datagram from port ${port}`);
}
