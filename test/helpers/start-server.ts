import type { TestContext } from 'node:test';
import { type ChatServer, type ServerOptions, startServer } from '../../src/server.js';

/**
 * A server on 127.0.0.1 with ephemeral TCP and UDP ports, closed after the test.
 * Returns the server and its bound ports.
 */
export async function startTestServer(
  t: TestContext,
  options: Partial<ServerOptions> = {},
): Promise<{ server: ChatServer; tcpPort: number; udpPort: number; logs: string[] }> {
  const logs: string[] = [];
  const server = await startServer({ host: '127.0.0.1', tcpPort: 0, udpPort: 0, log: (l) => logs.push(l), ...options });
  t.after(() => server.close(500));
  return { server, tcpPort: server.tcp?.address.port ?? 0, udpPort: server.udp?.address.port ?? 0, logs };
}
