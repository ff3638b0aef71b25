import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { ClusterOptions } from '../../src/cluster/redis-bus.js';
import { startTestServer, type TestServer } from './start-server.js';
import { within } from './within.js';

/** A cluster node of a test: its ports (TCP, UDP, IRC, browser) on 127.0.0.1, all ephemeral. */
export type ClusterNode = TestServer & { ircPort: number; httpPort: number };

/** An in-process server joined to the Redis at `url` as node `id`; closed after the test. */
export async function clusterNode(t: TestContext, url: string, id: string, cluster: Partial<ClusterOptions> = {}): Promise<ClusterNode> {
  const s = await startTestServer(t, {
    redis: url,
    irc: true,
    ircPort: 0,
    http: true,
    httpPort: 0,
    wsOptions: { webDir: join(tmpdir(), 'charla-no-such-web-dir') },
    cluster: { node: id, ...cluster },
  });
  return { ...s, ircPort: s.server.irc?.address.port ?? 0, httpPort: s.server.http?.address.port ?? 0 };
}

/**
 * Resolves once `node`'s hub knows every one of `names` (its own users or other nodes'). A
 * welcome lists what the node has read of the stream so far: a user who joined a moment ago on
 * another node may not be read yet, and is then announced as joining right after the welcome.
 */
export async function knows(node: TestServer, ...names: string[]): Promise<void> {
  const known = (): boolean => names.every((n) => node.server.hub.names().includes(n));
  await within(
    (async () => {
      for (let i = 0; i < 500 && !known(); i++) await new Promise((r) => setTimeout(r, 10));
    })(),
    5000,
    `the node to know ${names.join(', ')}`,
  );
  assert.ok(known(), `the node knows ${names.join(', ')}`);
}
