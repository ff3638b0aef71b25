import { lineEncoder } from '../../src/encode/line.js';
import type { ChatEvent } from '../../src/hub/events.js';
import { Hub, type HubOptions } from '../../src/hub/hub.js';
import type { Lang, LeaveReason } from '../../src/hub/messages.js';
import type { Peer, TransportKind } from '../../src/hub/peer.js';

/** How a fake peer presents itself: transport, address, line bound (default 4096, the TCP default). */
export interface FakePeerOptions {
  transport?: TransportKind;
  address?: string;
  maxLineBytes?: number;
  lang?: Lang;
  provisional?: boolean;
  /** A reliable UDP peer (ARQ). */
  reliable?: boolean;
}

/**
 * A Peer that records what the hub does to it, for hub tests without sockets: every event
 * delivered and the lines the line encoder renders it as (what a TCP user would read), in order,
 * every close and its reason. Like a real transport it never calls back into the
 * hub from `close`; `FakeRoom.settle()` reports departures the way a transport would.
 */
export class FakePeer implements Peer {
  readonly id: string;
  readonly transport: TransportKind;
  readonly address: string;
  readonly maxLineBytes: number;
  readonly lang: Lang;
  readonly provisional: boolean;
  readonly reliable: boolean;
  /** Events delivered while the peer was open. */
  readonly events: ChatEvent[] = [];
  /** Lines sent while the peer was open. */
  readonly lines: string[] = [];
  /** Lines sent after `close` (a real transport drops them; the hub should not send them). */
  readonly linesAfterClose: string[] = [];
  /** Every `close` call's reason, in order. */
  readonly closes: LeaveReason[] = [];
  #read = 0;

  constructor(id: string, options: FakePeerOptions = {}) {
    this.transport = options.transport ?? 'tcp';
    this.address = options.address ?? '127.0.0.1';
    this.maxLineBytes = options.maxLineBytes ?? 4096;
    this.lang = options.lang ?? 'es';
    this.provisional = options.provisional ?? false;
    this.reliable = options.reliable ?? false;
    this.id = `${this.transport} ${id}`;
  }

  get closed(): boolean {
    return this.closes.length > 0;
  }

  deliver(event: ChatEvent): void {
    const lines = lineEncoder.lines(event, this.lang, this.maxLineBytes);
    if (this.closed) {
      this.linesAfterClose.push(...lines);
      return;
    }
    this.events.push(event);
    this.lines.push(...lines);
  }

  close(reason: LeaveReason): void {
    this.closes.push(reason);
  }

  /** The lines received since the last `take()` (or since the start), marking them read. */
  take(): string[] {
    const fresh = this.lines.slice(this.#read);
    this.#read = this.lines.length;
    return fresh;
  }
}

/** A hub with fake peers around it. */
export interface FakeRoom {
  readonly hub: Hub;
  /** What the hub wrote to its console (`log` option). */
  readonly logs: string[];
  readonly peers: FakePeer[];
  /** A new connection, not yet named (asserts that the hub accepted it). */
  connect(options?: FakePeerOptions): FakePeer;
  /** Connects and sends `name` as the first line; asserts the welcome and takes it. */
  join(name: string, options?: FakePeerOptions): FakePeer;
  /** Marks every peer's lines read (so later `take()` calls see only what comes next). */
  drain(): void;
  /** Reports each closed peer's departure to the hub once, as a transport does on 'close'. */
  settle(): void;
}

/** A Hub (options merged over the defaults) and a factory of fake peers around it. */
export function fakeRoom(options: Partial<HubOptions> = {}): FakeRoom {
  const logs: string[] = [];
  const hub = new Hub({ log: (line) => logs.push(line), ...options });
  const peers: FakePeer[] = [];
  const settled = new Set<FakePeer>();
  let port = 40000;

  const room: FakeRoom = {
    hub,
    logs,
    peers,
    connect(peerOptions = {}) {
      const peer = new FakePeer(`127.0.0.1:${port++}`, { lang: hub.options.lang, ...peerOptions });
      peers.push(peer);
      if (!hub.connect(peer)) throw new Error(`the hub refused ${peer.id}: ${JSON.stringify(peer.lines)}`);
      return peer;
    },
    join(name, peerOptions = {}) {
      const peer = room.connect(peerOptions);
      hub.input(peer, name);
      const [welcome] = peer.take();
      if (welcome === undefined || !welcome.startsWith('***') || hub.session(peer)?.name === undefined) {
        throw new Error(`${name} was not welcomed: ${JSON.stringify(welcome)}`);
      }
      return peer;
    },
    drain() {
      for (const peer of peers) peer.take();
    },
    settle() {
      for (const peer of peers) {
        const reason = peer.closes[0];
        if (reason !== undefined && !settled.has(peer)) {
          settled.add(peer);
          hub.leave(peer, reason);
        }
      }
    },
  };
  return room;
}
