import { once } from 'node:events';
import net from 'node:net';
import type { TestContext } from 'node:test';
import { within } from './within.js';

/**
 * A TCP proxy on loopback between one client (a cluster node) and a server (Redis), that a test
 * can cut and heal: a network partition of that one client, while the others reach the server
 * directly.
 */
export interface TcpProxy {
  /** The port to connect to instead of the server's. */
  readonly port: number;
  /** True while cut. */
  readonly isCut: boolean;
  /** Connections accepted so far (refused ones included). */
  readonly accepted: number;
  /** Resets every connection through it, and resets new ones at once until `heal()`. */
  cut(): void;
  /** Lets connections through again. */
  heal(): void;
}

const HOST = '127.0.0.1';

/** Starts a proxy to 127.0.0.1:`targetPort`; closed (and every connection reset) after the test. */
export async function startTcpProxy(t: TestContext, targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let cut = false;
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted++;
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: HOST, port: targetPort });
    const pair = { client, upstream };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, HOST);
  await within(once(server, 'listening'), 3000, 'the TCP proxy to listen');
  const resetAll = (): void => {
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  t.after(async () => {
    resetAll();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    get isCut() {
      return cut;
    },
    get accepted() {
      return accepted;
    },
    cut() {
      cut = true;
      resetAll();
    },
    heal() {
      cut = false;
    },
  };
}
