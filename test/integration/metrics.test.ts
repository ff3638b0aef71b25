import assert from 'node:assert/strict';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type TestContext } from 'node:test';
import { SECURITY_HEADERS } from '../../src/transport/http.js';
import type { ServerOptions } from '../../src/server.js';
import { joinAs } from '../helpers/line-client.js';
import { parsePrometheus, sample } from '../helpers/prometheus.js';
import { HAVE_REDIS, NO_REDIS, startRedis } from '../helpers/redis-server.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpJoinAs } from '../helpers/udp-client.js';
import { wsJoinAs } from '../helpers/ws-client.js';
import { within } from '../helpers/within.js';

/** A server with TCP, UDP and the browser port on ephemeral ports of 127.0.0.1. */
async function server(t: TestContext, options: Partial<ServerOptions> = {}) {
  const s = await startTestServer(t, { http: true, httpPort: 0, ...options, wsOptions: { webDir: join(tmpdir(), 'charla-no-such-web-dir') } });
  return { ...s, httpPort: s.server.http?.address.port ?? 0 };
}

function get(port: number, path: string, method = 'GET') {
  return within(
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    }),
    3000,
    `${method} ${path}`,
  );
}

async function scrape(port: number) {
  const res = await get(port, '/metrics');
  assert.equal(res.status, 200, res.body);
  assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  return { text: res.body, families: parsePrometheus(res.body) };
}

test('/metrics is valid Prometheus text whose counters move with the traffic, and names no one without --metrics-detail', async (t) => {
  const s = await server(t);
  const before = await scrape(s.httpPort);
  assert.equal(sample(before.families, 'charla_messages_total'), 0);
  for (const family of before.families.values()) assert.ok(family.type === 'counter' || family.type === 'gauge', family.name);

  const ana = await joinAs(t, s.tcpPort, 'ana');
  const bea = await joinAs(t, s.tcpPort, 'bea');
  const udp = await udpJoinAs(t, s.udpPort, 'ulises');
  const web = await wsJoinAs(t, s.httpPort, 'wanda');
  ana.write('hola\n');
  ana.write('¿qué tal?\n');
  await bea.waitFor('ana: ¿qué tal?');
  await udp.waitFor('ana: ¿qué tal?');
  await web.waitFor((f) => f.type === 'message' && f['text'] === '¿qué tal?');
  const during = await scrape(s.httpPort);
  assert.equal(sample(during.families, 'charla_messages_total'), 2);
  assert.equal(sample(during.families, 'charla_deliveries_total'), 6, 'two messages, three receivers each');
  assert.equal(sample(during.families, 'charla_users', { transport: 'tcp' }), 2);
  assert.equal(sample(during.families, 'charla_users', { transport: 'udp' }), 1);
  assert.equal(sample(during.families, 'charla_users', { transport: 'ws' }), 1);
  assert.equal(sample(during.families, 'charla_connections', { transport: 'tcp' }), 2);
  assert.equal(sample(during.families, 'charla_connections_total'), 4);
  assert.equal(sample(during.families, 'charla_rooms'), 1);
  assert.equal(sample(during.families, 'charla_udp_arq_retransmissions_total'), 0);
  assert.ok(sample(during.families, 'charla_heap_used_bytes') > 0);
  assert.ok(sample(during.families, 'charla_event_loop_delay_max_seconds') >= 0);
  assert.ok(!during.families.has('charla_room_users'), 'per-room figures only with --metrics-detail');
  assert.ok(!during.families.has('charla_redis_rtt_seconds'), 'no cluster figures without --redis');
  for (const name of ['ana', 'bea', 'ulises', 'wanda', 'hola']) assert.ok(!during.text.includes(name), `${name} in /metrics`);

  bea.write('/salir\n');
  await ana.waitFor(/bea/);
  const after = await scrape(s.httpPort);
  assert.equal(sample(after.families, 'charla_departures_total', { reason: 'quit' }), 1);
  assert.equal(sample(after.families, 'charla_users', { transport: 'tcp' }), 1);
});

test('/metrics with --metrics-detail has each room by name; HEAD and POST are told apart', async (t) => {
  const s = await server(t, { metrics: { detail: true, allow: [] } });
  const ana = await joinAs(t, s.tcpPort, 'ana');
  ana.write('/sala taller\n');
  await ana.waitFor(/taller/);
  const { families } = await scrape(s.httpPort);
  assert.equal(sample(families, 'charla_room_users', { room: 'taller' }), 1);
  assert.equal(sample(families, 'charla_room_users', { room: 'general' }), 0);
  assert.equal((await get(s.httpPort, '/metrics', 'POST')).status, 405);
  const head = await get(s.httpPort, '/metrics', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
});

test('/api/status tells version, ports, users by transport and rooms, and names only with --metrics-detail', async (t) => {
  const plain = await server(t);
  await joinAs(t, plain.tcpPort, 'ana');
  const res = await get(plain.httpPort, '/api/status');
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers[k.toLowerCase()], v, k);
  const status = JSON.parse(res.body) as Record<string, any>;
  assert.match(status['version'], /^\d+\.\d+\.\d+/);
  assert.equal(typeof status['uptimeSeconds'], 'number');
  assert.deepEqual(status['ports'], { tcp: plain.tcpPort, udp: plain.udpPort, http: plain.httpPort });
  assert.equal(status['users'].total, 1);
  assert.equal(status['users'].byTransport.tcp, 1);
  assert.deepEqual(status['rooms'], { count: 1 });
  assert.equal(status['cluster'], null);
  assert.ok(!res.body.includes('ana'));

  const detailed = await server(t, { metrics: { detail: true, allow: [] } });
  await joinAs(t, detailed.tcpPort, 'ana');
  const d = JSON.parse((await get(detailed.httpPort, '/api/status')).body) as Record<string, any>;
  assert.deepEqual(d['rooms'], { count: 1, list: [{ name: 'general', users: 1, names: ['ana'] }] });
});

test('--metrics-allow: an address not listed gets a 403 with the security headers; a listed one is served', async (t) => {
  const refused = await server(t, { metrics: { detail: false, allow: ['10.0.0.0/8'] } });
  for (const path of ['/metrics', '/api/status']) {
    const res = await get(refused.httpPort, path);
    assert.equal(res.status, 403, path);
    assert.match(res.body, /--metrics-allow/);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers[k.toLowerCase()], v, k);
  }
  // The page's other paths are not the metrics' to refuse.
  assert.equal((await get(refused.httpPort, '/nada')).status, 404);
  const allowed = await server(t, { metrics: { detail: false, allow: ['127.0.0.0/8'] } });
  assert.equal((await get(allowed.httpPort, '/metrics')).status, 200);
});

test('/metrics counts a flood disconnection, under its reason and on its own', async (t) => {
  const s = await server(t, { tcpOptions: { rateLimit: { ratePerSec: 0.01, burst: 3 }, floodKickMs: 200 } });
  const before = await scrape(s.httpPort);
  assert.equal(sample(before.families, 'charla_flood_disconnections_total'), 0);
  const ana = await joinAs(t, s.tcpPort, 'ana');
  const bob = await joinAs(t, s.tcpPort, 'bob');
  ana.write(Array.from({ length: 5 }, (_, i) => `spam ${i}\n`).join(''));
  await bob.waitFor(/ana ha salido del chat \(enviaba demasiado rápido\)/, 3000);
  const after = await scrape(s.httpPort);
  assert.equal(sample(after.families, 'charla_flood_disconnections_total'), 1);
  assert.equal(sample(after.families, 'charla_departures_total', { reason: 'flood' }), 1);
  assert.equal(sample(after.families, 'charla_slow_consumer_disconnections_total'), 0);
});

test('/metrics and /api/status of a cluster node: whole or split, Redis round trip and stream lag', { skip: HAVE_REDIS ? false : NO_REDIS }, async (t) => {
  const redis = await startRedis(t);
  const a = await server(t, { redis: redis.url, cluster: { node: 'a' } });
  const b = await server(t, { redis: redis.url, cluster: { node: 'b' } });
  const ana = await joinAs(t, a.tcpPort, 'ana');
  const bea = await joinAs(t, b.tcpPort, 'bea');
  ana.write('hola\n');
  await bea.waitFor('ana: hola');
  const status = JSON.parse((await get(b.httpPort, '/api/status')).body) as Record<string, any>;
  assert.deepEqual(status['cluster'], { node: 'b', state: 'whole' });
  assert.equal(status['users'].otherNodes, 1);
  assert.notEqual(b.server.cluster?.rttMs, undefined, 'the first heartbeat, on attaching, measured the round trip');
  const { families, text } = await scrape(b.httpPort);
  assert.equal(sample(families, 'charla_cluster_whole'), 1);
  assert.equal(sample(families, 'charla_cluster_remote_users'), 1);
  assert.ok(sample(families, 'charla_redis_rtt_seconds') > 0);
  assert.ok(sample(families, 'charla_redis_stream_lag_seconds') >= 0);
  assert.ok(sample(families, 'charla_cluster_events_applied_total') >= 1);
  assert.equal(sample(families, 'charla_deliveries_total'), 1, "ana's message, to bea on this node");
  assert.equal(sample(families, 'charla_messages_total'), 0, 'sent on the other node');
  assert.ok(!text.includes('ana'));
});
