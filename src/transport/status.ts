/**
 * `/metrics` (Prometheus text) and `/api/status` (JSON) on the browser port, for operators.
 *
 * - Both are read when asked, from counters the hub and the transports keep anyway (each moves
 *   once per message, connection or departure, never once per delivery: see HubCounters), so
 *   they cost the chat nothing between scrapes.
 * - Neither names a user or a room unless `detail` (`--metrics-detail`): room names are chosen
 *   by users, so per-room figures and member lists come only with it.
 * - Only addresses in `allow` (`--metrics-allow`; loopback alone when none is given) may read them;
 *   any other gets a 403. Every answer carries the HTTP security headers (http.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { RedisBus } from '../cluster/redis-bus.js';
import { type Hub, LEAVE_REASONS } from '../hub/hub.js';
import { Exposition, PROMETHEUS_CONTENT_TYPE, type Sample } from '../protocol/prometheus.js';
import type { AddressList } from '../util/address-list.js';
import { VERSION } from '../util/version.js';
import { plain, requestPath, SECURITY_HEADERS } from './http.js';
import type { Transport } from './transport.js';
import type { UdpStats } from './udp.js';
import type { WsStats } from './ws.js';

export const METRICS_PATH = '/metrics';
export const STATUS_PATH = '/api/status';

/** What the answers are made of: the running server's parts (undefined until it has started). */
export interface StatusSource {
  readonly hub: Hub;
  readonly transports: readonly Transport[];
  readonly cluster: RedisBus | undefined;
}

export interface StatusOptions {
  /** Room names, and each room's member names in the status (`--metrics-detail`). */
  readonly detail: boolean;
  /** Who may read them (`--metrics-allow`). */
  readonly allow: AddressList;
}

/** The two endpoints; `handle` is the browser port's first look at each request. */
export class StatusRoutes {
  readonly #source: () => StatusSource | undefined;
  readonly #opts: StatusOptions;
  readonly #loop: IntervalHistogram;
  readonly #startedAt = Date.now();

  constructor(source: () => StatusSource | undefined, opts: StatusOptions) {
    this.#source = source;
    this.#opts = opts;
    this.#loop = monitorEventLoopDelay({ resolution: 20 });
    this.#loop.enable();
  }

  /** True when the request was one of ours (and is answered). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = requestPath(req.url);
    if (path !== METRICS_PATH && path !== STATUS_PATH) return false;
    const source = this.#source();
    if (source === undefined) return false;
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, source.hub.t('http_method_not_allowed'), { Allow: 'GET, HEAD' });
      return true;
    }
    if (!this.#opts.allow.has(unmapped(req.socket.remoteAddress ?? ''))) {
      plain(res, 403, source.hub.t('http_forbidden'));
      return true;
    }
    const metrics = path === METRICS_PATH;
    const body = metrics ? this.metrics(source) : `${JSON.stringify(this.status(source), null, 2)}\n`;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': metrics ? PROMETHEUS_CONTENT_TYPE : 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  /** Stops watching the event loop. */
  close(): void {
    this.#loop.disable();
  }

  /** The Prometheus exposition. The event-loop figures cover the time since the previous scrape. */
  metrics({ hub, transports, cluster }: StatusSource): string {
    const out = new Exposition();
    const c = hub.counters;
    out.gauge('charla_info', 'The version of charla running (always 1).', [{ labels: { version: VERSION }, value: 1 }]);
    out.gauge('charla_uptime_seconds', 'Seconds since the server started.', (Date.now() - this.#startedAt) / 1000);
    out.gauge('charla_users', "Named users on this server, by transport (a cluster's other nodes count theirs).", byTransport(hub));
    out.gauge('charla_connections', 'Connections open now, named or not, by transport port.', transports.map((t) => ({ labels: { transport: t.kind }, value: t.stats.peers })));
    out.gauge('charla_rooms', 'Rooms open now (general included).', hub.rooms().length);
    if (this.#opts.detail) {
      out.gauge('charla_room_users', 'Users in each room, this node and the others (--metrics-detail).', hub.rooms().map((r) => ({ labels: { room: r.name }, value: r.size })));
    }
    out.counter('charla_connections_total', 'Connections taken (refused ones not counted).', c.connections);
    out.counter('charla_messages_total', "Chat messages this server's users sent to a room.", c.messages);
    out.counter('charla_deliveries_total', "Room messages handed to this server's users (one per receiver).", c.deliveries);
    out.counter('charla_departures_total', 'Users and unnamed connections gone, by reason.', LEAVE_REASONS.map((reason) => ({ labels: { reason }, value: c.leaves[reason] })));
    out.counter('charla_slow_consumer_disconnections_total', 'Users cut off for not reading what they were sent (reason "slow").', c.leaves.slow);
    out.counter('charla_flood_disconnections_total', 'Users cut off for sending past --rate for --flood-kick seconds (reason "flood").', c.leaves.flood);
    const udp = transports.find((t) => t.kind === 'udp');
    if (udp !== undefined) {
      const s = udp.stats as UdpStats;
      out.counter('charla_udp_refused_sources_total', 'UDP datagrams dropped unanswered for their source (own address, port 0, broadcast, an echo).', s.refusedSources);
      out.counter('charla_udp_withheld_bytes_total', 'UDP bytes withheld from addresses not yet validated.', s.withheldBytes);
      out.counter('charla_udp_validations_total', 'UDP addresses that echoed a valid token.', s.validations);
      out.counter('charla_udp_arq_retransmissions_total', 'Packets sent again to reliable UDP users (--fiable) for want of an ACK.', s.arqRetransmissions);
    }
    const web = transports.find((t) => t.kind === 'http');
    if (web !== undefined) out.counter('charla_ws_refused_upgrades_total', 'WebSocket upgrades refused (origin, caps, path).', (web.stats as WsStats).refusedUpgrades);
    const loop = this.#loop;
    const seconds = (ns: number): number => (Number.isFinite(ns) ? ns / 1e9 : 0);
    out.gauge('charla_event_loop_delay_p50_seconds', 'Median event-loop delay since the previous scrape.', seconds(loop.percentile(50)));
    out.gauge('charla_event_loop_delay_p99_seconds', '99th percentile of the event-loop delay since the previous scrape.', seconds(loop.percentile(99)));
    out.gauge('charla_event_loop_delay_max_seconds', 'Longest event-loop delay since the previous scrape.', seconds(loop.max));
    loop.reset();
    const mem = process.memoryUsage();
    out.gauge('charla_heap_used_bytes', 'V8 heap in use.', mem.heapUsed);
    out.gauge('charla_heap_total_bytes', 'V8 heap reserved.', mem.heapTotal);
    out.gauge('charla_resident_memory_bytes', 'Resident set size of the process.', mem.rss);
    if (cluster !== undefined) {
      out.gauge('charla_cluster_whole', '1 while this node is in touch with Redis (the room is whole), 0 while it is split.', cluster.connected ? 1 : 0);
      out.gauge('charla_cluster_remote_users', 'Users on the other nodes, as this node knows them.', hub.remoteSessions().length);
      out.gauge('charla_redis_rtt_seconds', "The last heartbeat's round trip to Redis.", (cluster.rttMs ?? 0) / 1000);
      out.gauge('charla_redis_stream_lag_seconds', 'How long the last event read had been in the stream.', (cluster.lagMs ?? 0) / 1000);
      out.counter('charla_cluster_events_published_total', 'Events this node wrote to the stream.', cluster.published);
      out.counter('charla_cluster_events_applied_total', 'Events this node read from the stream and applied.', cluster.applied);
    }
    return out.text();
  }

  /** The JSON status. */
  status({ hub, transports, cluster }: StatusSource): Record<string, unknown> {
    const ports: Record<string, number> = {};
    for (const t of transports) ports[t.kind] = t.address.port;
    const users: Record<string, number> = {};
    for (const { labels, value } of byTransport(hub)) users[labels?.['transport'] as string] = value;
    const rooms = hub.rooms();
    return {
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      ports,
      users: { total: hub.localSessions().length, byTransport: users, ...(cluster === undefined ? {} : { otherNodes: hub.remoteSessions().length }) },
      connections: Object.fromEntries(transports.map((t) => [t.kind, t.stats.peers])),
      rooms: this.#opts.detail ? { count: rooms.length, list: rooms.map((r) => ({ name: r.name, users: r.size, names: r.names() })) } : { count: rooms.length },
      cluster: cluster === undefined ? null : { node: cluster.node, state: cluster.connected ? 'whole' : 'split' },
    };
  }
}

/** Local named users by the transport they came in on (every kind listed, 0 included). */
function byTransport(hub: Hub): Sample[] {
  const counts: Record<string, number> = { tcp: 0, tls: 0, udp: 0, irc: 0, ws: 0 };
  for (const session of hub.localSessions()) counts[session.peer.transport] = (counts[session.peer.transport] ?? 0) + 1;
  return Object.entries(counts).map(([transport, value]) => ({ labels: { transport }, value }));
}

/** `::ffff:1.2.3.4` (an IPv4 client of a dual-stack socket) as `1.2.3.4`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
