import type { HubBus } from './bus.js';
import type { ChatEvent } from './events.js';
import type { Lang } from './messages.js';
import type { Peer, TransportKind } from './peer.js';

/**
 * A user on another node of the cluster, as this hub holds them: a Session whose Peer is this.
 * So listings, counts, the user cap, name uniqueness, operators and mutes see the whole cluster
 * with little special casing. Room events for it are no-ops (its own node renders them for it);
 * a private message for it goes to its node through the bus. Rooms keep such sessions apart
 * from their local members (`Room.remote`), so a broadcast never pays for them.
 */
export class RemotePeer implements Peer {
  readonly id: string;
  readonly transport: TransportKind;
  readonly address: string;
  readonly lang: Lang;
  readonly maxLineBytes = Number.MAX_SAFE_INTEGER;
  /** The node the user is on. */
  readonly node: string;
  readonly #bus: HubBus;

  constructor(node: string, name: string, transport: TransportKind, lang: Lang, bus: HubBus) {
    this.node = node;
    this.id = `remote ${node} ${name}`;
    this.transport = transport;
    this.address = `node:${node}`;
    this.lang = lang;
    this.#bus = bus;
  }

  deliver(event: ChatEvent): void {
    if (event.kind === 'private' && !event.echo) this.#bus.forward(this.node, { t: 'pm', from: event.from, to: event.to, text: event.text });
  }

  close(): void {}
}
