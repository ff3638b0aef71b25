/**
 * A tiny impairing UDP relay on loopback, for the reliable-UDP tests: clients send to the relay,
 * the relay forwards to the server from one socket per client (so each client is its own source),
 * and each datagram, in either direction, is lost with probability `lossPct` drawn from a seeded
 * generator (one per direction), so the same seed and the same traffic lose the same datagrams.
 * No delay, no reordering: loss alone shows what ARQ repairs.
 *
 * (src/lab/relay.ts impairs only server -> clients; the ARQ lesson needs the ACKs lost too.)
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import { seededRandom } from '../../src/lab/impairment.js';
import { within } from './within.js';

export interface LossyRelay {
  readonly port: number;
  /** Loss in percent, both directions; may be changed at any time. */
  lossPct: number;
  readonly counters: { up: number; upLost: number; down: number; downLost: number };
  /** Resolves once a server -> client datagram (lost or not) has satisfied `match`. */
  sawDown(match: (datagram: Buffer) => boolean, ms: number, what: string): Promise<void>;
}

const HOST = '127.0.0.1';
const MAX_SOURCES = 16;

export async function startLossyRelay(t: TestContext, serverPort: number, lossPct: number, seed: number): Promise<LossyRelay> {
  const upRandom = seededRandom(seed);
  const downRandom = seededRandom(seed ^ 0x5bd1e995);
  const front = dgram.createSocket('udp4');
  front.on('error', () => {});
  front.bind(0, HOST);
  await within(once(front, 'listening'), 3000, 'the relay to bind');
  const upstreams = new Map<string, { socket: dgram.Socket; ready: Promise<void> }>();
  const counters = { up: 0, upLost: 0, down: 0, downLost: 0 };
  const watchers = new Set<(d: Buffer) => void>();
  let closed = false;
  const relay: LossyRelay = {
    port: front.address().port,
    lossPct,
    counters,
    sawDown(match, ms, what) {
      return within(
        new Promise<void>((resolve) => {
          const watcher = (d: Buffer): void => {
            if (!match(d)) return;
            watchers.delete(watcher);
            resolve();
          };
          watchers.add(watcher);
        }),
        ms,
        what,
      );
    },
  };
  front.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}|${rinfo.port}`;
    let up = upstreams.get(key);
    if (up === undefined) {
      if (upstreams.size >= MAX_SOURCES) return;
      const socket = dgram.createSocket('udp4');
      socket.on('error', () => {});
      socket.on('message', (reply) => {
        counters.down++;
        for (const w of [...watchers]) w(reply);
        if (downRandom() * 100 < relay.lossPct) counters.downLost++;
        else if (!closed) front.send(reply, rinfo.port, rinfo.address);
      });
      const ready = new Promise<void>((resolve) => socket.connect(serverPort, HOST, () => resolve()));
      up = { socket, ready };
      upstreams.set(key, up);
    }
    counters.up++;
    if (upRandom() * 100 < relay.lossPct) {
      counters.upLost++;
      return;
    }
    const { socket } = up;
    // connect() is asynchronous: the first datagrams wait for it (in order: one promise).
    void up.ready.then(() => {
      if (!closed) socket.send(msg);
    });
  });
  t.after(async () => {
    closed = true;
    await Promise.all([front, ...[...upstreams.values()].map((u) => u.socket)].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });
  return relay;
}
