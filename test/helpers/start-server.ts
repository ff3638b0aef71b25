import type { TestContext } from 'node:test';
import { type ChatServer, type ServerOptions, startServer } from '../../src/server.js';
import { within } from './within.js';

/** A test server and what it logged. */
export interface TestServer {
  server: ChatServer;
  tcpPort: number;
  udpPort: number;
  logs: string[];
  /** Resolves with the first log line (past or future) that matches. */
  logged(match: string | RegExp, ms?: number): Promise<string>;
}

/**
 * A server on 127.0.0.1 with ephemeral TCP and UDP ports, closed after the test.
 * Returns the server, its bound ports and its console lines.
 */
export async function startTestServer(t: TestContext, options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const logs: string[] = [];
  const waiters: Array<() => void> = [];
  const log = (line: string): void => {
    logs.push(line);
    for (const w of waiters.splice(0)) w();
  };
  const server = await startServer({ host: '127.0.0.1', tcpPort: 0, udpPort: 0, log, ...options });
  t.after(() => server.close(500));
  const logged = (match: string | RegExp, ms = 3000): Promise<string> => {
    const ok = (l: string): boolean => (typeof match === 'string' ? l.includes(match) : match.test(l));
    const found = new Promise<string>((resolve) => {
      const check = (): void => {
        const line = logs.find(ok);
        if (line !== undefined) resolve(line);
        else waiters.push(check);
      };
      check();
    });
    return within(found, ms, `a server log line matching ${String(match)} (logged: ${JSON.stringify(logs.slice(-5))})`);
  };
  return { server, tcpPort: server.tcp?.address.port ?? 0, udpPort: server.udp?.address.port ?? 0, logs, logged };
}
