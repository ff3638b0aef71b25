import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, type TestContext, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { startTestServer } from '../helpers/start-server.js';
import { runChild } from '../helpers/run-child.js';

/** bench/wsgen/wsgen.c: the C WebSocket load generator that compare-servers.mjs runs (README "bench/"). */
const SOURCE = fileURLToPath(new URL('../../../bench/wsgen/wsgen.c', import.meta.url));
const CC = ['cc', 'gcc'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
const skip = CC === undefined ? 'no C compiler (cc): sudo bash scripts/install-test-deps.sh' : false;
let wsgen = '';

before(() => {
  if (CC === undefined) return;
  const dir = mkdtempSync(join(tmpdir(), 'charla-wsgen-test-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  wsgen = join(dir, 'wsgen');
  const r = spawnSync(CC, ['-O2', '-o', wsgen, SOURCE], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `${CC} failed: ${r.stderr}`);
});

/** Runs wsgen ARGS (killed by pid after the test); resolves its exit code and its JSON line. */
async function run(t: TestContext, args: string[]): Promise<{ code: number | null; r: Record<string, unknown>; stderr: string }> {
  const { code, stdout, stderr } = await runChild(t, wsgen, args);
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return { code, r: line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {}, stderr };
}

const SMALL = ['--clients', '6', '--msgs', '20', '--window', '4', '--settle-ms', '50', '--idle-s', '3', '--timeout-s', '20'];

test("wsgen - charla's own /ws: hello, join, welcome, then every message reaches the five others once, run after run", { skip }, async (t) => {
  const { server } = await startTestServer(t, { http: true, httpPort: 0, wsOptions: { webDir: join(tmpdir(), 'charla-no-such-web-dir') } });
  const port = server.http?.address.port ?? 0;
  const { code, r } = await run(t, ['--proto', 'ws', '--port', String(port), ...SMALL, '--size', '200', '--server-pid', String(process.pid)]);
  assert.equal(code, 0, JSON.stringify(r));
  assert.equal(r.end_reason, 'complete');
  assert.equal(r.tool, 'wsgen');
  assert.equal(r.ready_clients, 6);
  assert.equal(r.expected, 6 * 20 * 5);
  assert.equal(r.delivered, 600, 'every marker found, in JSON frames of 200-byte payloads');
  assert.equal(r.dup, 0);
  assert.equal(r.self, 0, 'charla echoes nothing to the sender');
  const lat = r.lat_us as Record<string, number>;
  assert.ok(lat.p50 > 0 && lat.p50 <= lat.p99, JSON.stringify(lat));
  assert.ok((r.server_cpu_pct as number) >= 0 && (r.loadgen_cpu_pct as number) >= 0, 'CPU of both sides read');

  // A second run on the same server: each new user is sent the first run's last messages as the
  // room's history on join. Those markers are the past, not deliveries of this run.
  const again = await run(t, ['--proto', 'ws', '--port', String(port), ...SMALL, '--size', '200', '--nick-prefix', 'v']);
  assert.equal(again.code, 0, JSON.stringify(again.r));
  assert.equal(again.r.end_reason, 'complete');
  assert.equal(again.r.delivered, 600);
  assert.equal(again.r.dup, 0);
  assert.equal(again.r.self, 0);
});

test('wsgen - a bare broadcast server (ws-raw): 16-bit lengths, a message in two frames cut inside its marker, pings answered', { skip }, async (t) => {
  // Each message is broadcast in two frames (a text frame without FIN, then its continuation),
  // cut 10 bytes in, inside the marker: the generator must carry a marker across frames.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  t.after(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  let pongs = 0;
  wss.on('connection', (ws) => {
    ws.on('pong', () => pongs++);
    ws.ping('hi');
    ws.on('message', (data) => {
      const bytes = data as Buffer;
      for (const c of wss.clients) {
        if (c === ws || c.readyState !== 1) continue;
        c.send(bytes.subarray(0, 10), { binary: false, fin: false });
        c.send(bytes.subarray(10), { binary: false, fin: true });
      }
    });
  });
  const port = (wss.address() as AddressInfo).port;
  const { code, r } = await run(t, ['--proto', 'ws-raw', '--port', String(port), ...SMALL, '--size', '300']);
  assert.equal(code, 0, JSON.stringify(r));
  assert.equal(r.end_reason, 'complete');
  assert.equal(r.delivered, r.expected);
  assert.equal(r.dup, 0);
  assert.equal(r.self, 0);
  assert.equal(pongs, 6, 'each user answered the ping');
});

test('wsgen - an upgrade answered 404 ends the run as connect_failed, saying so, within its deadline', { skip }, async (t) => {
  const srv = http.createServer((_req, res) => res.writeHead(404).end('no'));
  srv.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  t.after(() => srv.close());
  const { code, r } = await run(t, ['--proto', 'ws', '--port', String((srv.address() as AddressInfo).port), ...SMALL, '--connect-timeout-s', '5']);
  assert.equal(code, 1);
  assert.equal(r.end_reason, 'connect_failed');
  assert.match(String(r.first_error), /the WebSocket upgrade was answered HTTP\/1\.1 404/);
});

test('wsgen - a target outside loopback is refused before any connection, exit code 2', { skip }, async (t) => {
  const { code, stderr } = await run(t, ['--proto', 'ws', '--host', '192.168.1.10', '--port', '8080']);
  assert.equal(code, 2);
  assert.match(stderr, /outside loopback/);
});
