import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { runBench } from '../../src/bench/run.js';
import { CLI_MAIN } from '../../src/bench/server-process.js';
import { clusterNode } from '../helpers/cluster-node.js';
import { HAVE_REDIS, NO_REDIS, startRedis } from '../helpers/redis-server.js';
import { runChild } from '../helpers/run-child.js';
import { startTestServer } from '../helpers/start-server.js';
import { within } from '../helpers/within.js';

/** Runs `charla bench ARGS` as a child (killed by pid after the test); resolves its output. */
function charlaBench(t: TestContext, args: string[], ms = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runChild(t, process.execPath, [CLI_MAIN, 'bench', ...args], ms);
}

/** The fields the README ("Performance") documents for `--json`. */
const DOCUMENTED = [
  'label', 'proto', 'port', 'clients', 'senders', 'msgs_per_sender', 'size', 'window', 'rate', 'end_reason',
  'ready_clients', 'connect_s', 'ready_s', 'sent', 'expected', 'delivered', 'ratio', 'dup', 'self', 'bad_markers',
  'expired_msgs', 'run_s', 'wall_s', 'deliveries_per_s', 'msgs_per_s', 'lat_us', 'conn_retries', 'conn_fail',
  'disconnects', 'server_pid', 'server_rss_kb_before', 'server_rss_kb_after', 'rss_per_conn_kb', 'server_cpu_s',
  'server_cpu_pct', 'loadgen_cpu_s', 'loadgen_cpu_pct', 'idle_quiesced', 'idle_hold_s', 'server_cpu_total_s',
  'first_error', 'tool', 'threads', 'cores', 'loadgen_busy_max', 'send_lag_us', 'bottleneck', 'warnings',
];

test('bench - charla bench starts its own server, delivers every message and prints the documented JSON', async (t) => {
  const { code, stdout, stderr } = await charlaBench(t, ['--clients', '5', '--msgs', '20', '--json', '--no-progress', '--settle-ms', '50', '--threads', '2']);
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'stdout is one JSON line');
  const r = JSON.parse(lines[0] as string) as Record<string, unknown>;
  for (const field of DOCUMENTED) assert.ok(field in r, `field ${field}`);
  assert.equal(r.end_reason, 'complete');
  assert.equal(r.expected, 5 * 20 * 4);
  assert.equal(r.delivered, 400);
  assert.equal(r.ready_clients, 5);
  assert.equal(r.dup, 0);
  assert.equal(r.threads, 2);
  const lat = r.lat_us as Record<string, number>;
  assert.ok(lat.p50 > 0 && lat.p50 <= lat.p99 && lat.p99 <= lat.max, JSON.stringify(lat));
  assert.ok((r.server_pid as number) > 0, 'our own server has a pid');
  assert.ok((r.server_rss_kb_after as number) > 0, 'and its RSS was read');
});

test('bench - against a server already running (--port), windowed and rated runs both complete', async (t) => {
  const { tcpPort } = await startTestServer(t, { bench: true, udp: false });
  const windowed = await within(runBench({ port: tcpPort, clients: 6, msgs: 15, window: 2, settleMs: 0, threads: 2 }), 20_000, 'a windowed run');
  assert.equal(windowed.end_reason, 'complete');
  assert.equal(windowed.delivered, 6 * 15 * 5);
  assert.equal(windowed.server_pid, 0, 'no pid given: no /proc figures');
  assert.equal(windowed.server_rss_kb_after, -1);
  const rated = await within(runBench({ port: tcpPort, clients: 4, senders: 2, msgs: 5, window: 0, rate: 200, settleMs: 0, threads: 1, serverPid: process.pid }), 20_000, 'a rated run');
  assert.equal(rated.end_reason, 'complete');
  assert.equal(rated.delivered, 2 * 5 * 3);
  assert.ok(rated.server_rss_kb_after > 0, 'with --server-pid the RSS is read');
});

test('bench - an idle test holds the users and measures the server RSS per user', async (t) => {
  const { tcpPort } = await startTestServer(t, { bench: true, udp: false });
  const r = await within(runBench({ port: tcpPort, clients: 20, msgs: 0, holdMs: 100, quiesceMaxMs: 2000, serverPid: process.pid }), 20_000, 'an idle run');
  assert.equal(r.end_reason, 'complete');
  assert.equal(r.ready_clients, 20);
  assert.equal(r.expected, 0);
  assert.ok(r.server_rss_kb_after > 0);
  assert.notEqual(r.rss_per_conn_kb, -1);
});

/**
 * Just enough of an IRC server for the generator: 001 on USER, 366 on JOIN, PRIVMSG relayed to
 * every other member with a nick!user@host prefix, and one PING that must be answered.
 */
async function tinyIrcServer(t: TestContext): Promise<{ port: number; pongs: () => number }> {
  const members = new Map<net.Socket, string>();
  let pongs = 0;
  const server = net.createServer((socket) => {
    let nick = '*';
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('close', () => members.delete(socket));
    socket.on('data', (s: string) => {
      buf += s;
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        const [cmd, ...rest] = line.split(' ');
        if (cmd === 'NICK') nick = rest[0] ?? '*';
        else if (cmd === 'USER') socket.write(`:tiny 001 ${nick} :Welcome\r\nPING :tiny\r\n`);
        else if (cmd === 'PONG') pongs++;
        else if (cmd === 'JOIN') {
          members.set(socket, nick);
          socket.write(`:${nick}!~${nick}@localhost JOIN :${rest[0]}\r\n:tiny 353 ${nick} = ${rest[0]} :${[...members.values()].join(' ')}\r\n:tiny 366 ${nick} ${rest[0]} :End of NAMES list\r\n`);
        } else if (cmd === 'PRIVMSG') {
          for (const [other] of members) if (other !== socket) other.write(`:${nick}!~${nick}@localhost ${line}\r\n`);
        }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const s of members.keys()) s.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, pongs: () => pongs };
}

test('bench - --proto irc registers with NICK/USER/JOIN, answers PING and counts PRIVMSG deliveries', async (t) => {
  const irc = await tinyIrcServer(t);
  const r = await within(runBench({ proto: 'irc', port: irc.port, clients: 4, msgs: 10, window: 4, settleMs: 0, threads: 2 }), 20_000, 'an IRC run');
  assert.equal(r.end_reason, 'complete', r.first_error);
  assert.equal(r.delivered, 4 * 10 * 3);
  assert.equal(irc.pongs(), 4, 'every user answered its PING');
});

test("bench - --proto irc without --port measures charla's own IRC port", async () => {
  const r = await within(runBench({ proto: 'irc', clients: 6, msgs: 10, window: 4, settleMs: 0, threads: 1 }), 30_000, "an IRC run against charla's own server");
  assert.equal(r.end_reason, 'complete', r.first_error);
  assert.equal(r.delivered, 6 * 10 * 5);
  assert.ok(r.server_args?.includes('--irc-port'), String(r.server_args));
});

test("bench - --proto ws without --port measures charla's own WebSocket port: joins, sends line frames, counts message frames", async () => {
  const r = await within(runBench({ proto: 'ws', clients: 6, msgs: 10, window: 4, settleMs: 0, threads: 1 }), 30_000, "a WebSocket run against charla's own server");
  assert.equal(r.end_reason, 'complete', r.first_error);
  assert.equal(r.delivered, 6 * 10 * 5);
  assert.equal(r.dup, 0);
  assert.ok(r.server_args?.includes('--http-port'), String(r.server_args));
});

test('bench - --proto ws-raw loads a bare ws broadcast server (the naive anchor of #10), answering its pings', async (t) => {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  t.after(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  let pongs = 0;
  wss.on('connection', (ws) => {
    ws.on('pong', () => pongs++);
    ws.ping('tick');
    ws.on('message', (data) => {
      for (const c of wss.clients) if (c !== ws) c.send(data, { binary: false });
    });
  });
  const { port } = wss.address() as AddressInfo;
  const r = await within(runBench({ proto: 'ws-raw', port, clients: 5, msgs: 12, window: 4, settleMs: 0, threads: 2 }), 20_000, 'a raw WebSocket run');
  assert.equal(r.end_reason, 'complete', r.first_error);
  assert.equal(r.delivered, 5 * 12 * 4);
  assert.equal(pongs, 5, 'every user answered the ping');
  for (const c of wss.clients) c.terminate();
});

test('bench - --proto ws-raw and sio need the --port of a server of their kind', async () => {
  for (const proto of ['ws-raw', 'sio'] as const) {
    await assert.rejects(runBench({ proto, clients: 2, msgs: 1 }), /give its --port/);
  }
});

test('bench - a host outside loopback is refused before any connection, exit code 2', async (t) => {
  const { code, stderr } = await charlaBench(t, ['--host', '10.1.2.3', '--port', '5000'], 10_000);
  assert.equal(code, 2);
  assert.match(stderr, /charla bench: --host 10\.1\.2\.3: .*127\.0\.0\.0\/8 or ::1/);
});

test('bench - nothing listening: the run ends as connect_failed with exit code 1, bounded', async (t) => {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const { code, stdout } = await charlaBench(t, ['--port', String(port), '--clients', '2', '--msgs', '1', '--json', '--no-progress'], 20_000);
  assert.equal(code, 1);
  const r = JSON.parse(stdout) as { end_reason: string; first_error: string };
  assert.equal(r.end_reason, 'connect_failed');
  assert.match(r.first_error, /ECONNREFUSED/);
});

test('bench - --port A,B,C: the senders on one node, the others on two more, and every message crosses nodes to all of them', { skip: HAVE_REDIS ? false : NO_REDIS }, async (t) => {
  const redis = await startRedis(t);
  const [a, b, c] = [await clusterNode(t, redis.url, 'a'), await clusterNode(t, redis.url, 'b'), await clusterNode(t, redis.url, 'c')];
  const { code, stdout, stderr } = await charlaBench(t, ['--port', `${a.tcpPort},${b.tcpPort},${c.tcpPort}`, '--clients', '9', '--senders', '3', '--msgs', '20', '--window', '4', '--settle-ms', '300', '--json', '--no-progress', '--threads', '1']);
  assert.equal(code, 0, stderr);
  const r = JSON.parse(stdout.trim()) as Record<string, unknown>;
  assert.equal(r.end_reason, 'complete');
  assert.deepEqual(r.receiver_ports, [b.tcpPort, c.tcpPort]);
  assert.equal(r.expected, 3 * 20 * 8);
  assert.equal(r.delivered, r.expected, 'each message reached the other senders on its node and the six users on the other two');
  assert.equal(r.dup, 0);
  // Where the users were: the 3 senders on a, the 6 others on b and c in turn.
  assert.deepEqual([a, b, c].map((n) => n.server.hub.counters.connections), [3, 3, 3]);
  const { code: bad, stderr: why } = await charlaBench(t, ['--port', `${a.tcpPort},0`, '--no-progress']);
  assert.equal(bad, 2);
  assert.match(why, /each must be a server's port/);
});
