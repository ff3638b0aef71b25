import assert from 'node:assert/strict';
import test from 'node:test';
import type { BusEvent, ClaimAnswer, HubBus } from '../../../src/hub/bus.js';
import { Hub, type Session } from '../../../src/hub/hub.js';
import { text } from '../../../src/hub/messages.js';
import { roomMessage } from '../../../src/hub/room-log.js';
import { FakePeer } from '../../helpers/fake-peer.js';

/** The hub's submit-then-deliver flow (hub/bus.ts) over a bus the test drives by hand. */

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);

/** A bus that keeps what is published until the test hands it back (`flush`), and claims until `answer`. */
class HandBus implements HubBus {
  readonly node = 'here';
  connected = true;
  hub!: Hub;
  readonly queue: { event: BusEvent; origin: Session }[] = [];
  readonly claims: { name: string; done: (a: ClaimAnswer) => void }[] = [];
  readonly released: string[] = [];
  #id = 1_000_000;

  publish(event: BusEvent, origin: Session): boolean {
    if (!this.connected) return false;
    this.queue.push({ event, origin });
    return true;
  }
  forward(): boolean {
    return this.connected;
  }
  claim(_session: Session, name: string, done: (a: ClaimAnswer) => void): void {
    this.claims.push({ name, done });
  }
  release(_session: Session, name: string): void {
    this.released.push(name);
  }
  /** Hands back everything published, in order, as the stream would. */
  flush(): void {
    for (const { event, origin } of this.queue.splice(0)) {
      const here = this.hub.session(origin.peer) === origin ? origin : undefined;
      const entry = event.t === 'msg' ? roomMessage(event.room, ++this.#id, 0, event.from, event.text, false) : undefined;
      this.hub.applyBusEvent(event, this.node, here, entry);
    }
  }
  /** Answers the oldest claim. */
  answer(a: ClaimAnswer): void {
    this.claims.shift()?.done(a);
  }
}

function setup(): { hub: Hub; bus: HandBus; join: (name: string) => FakePeer } {
  const bus = new HandBus();
  const hub = new Hub({ bus });
  bus.hub = hub;
  const join = (name: string): FakePeer => {
    const peer = new FakePeer(name);
    hub.connect(peer);
    hub.input(peer, name);
    bus.answer('ok');
    bus.flush();
    return peer;
  };
  return { hub, bus, join };
}

test('hub bus - a room message reaches the room when the bus hands it back, with the id the bus gave it', () => {
  const { hub, bus, join } = setup();
  const ana = join('ana');
  const bob = join('bob');
  hub.input(ana, 'hola');
  assert.ok(!bob.lines.includes('ana: hola'), 'not delivered before the bus hands it back');
  bus.flush();
  assert.equal(bob.lines.at(-1), 'ana: hola');
  assert.ok(!ana.lines.includes('ana: hola'), 'not echoed to its sender (seed)');
  assert.equal(hub.room('general')?.log.last(1)[0]?.id, 1_000_001, "the room's log keeps the bus's id");
});

test('hub bus - lines sent while a name claim is out wait for its answer, then go in order', () => {
  const { hub, bus, join } = setup();
  const bob = join('bob');
  const ana = new FakePeer('ana');
  hub.connect(ana);
  hub.input(ana, 'ana');
  hub.input(ana, 'uno');
  hub.input(ana, 'dos');
  assert.deepEqual(ana.lines, [], 'nothing answered before the cluster does');
  bus.answer('ok');
  bus.flush();
  assert.match(ana.lines[0] ?? '', /^\*\*\* Bienvenido\/a a charla, ana\./);
  assert.deepEqual(bob.lines.slice(-3), [es('user_joined', { name: 'ana' }), 'ana: uno', 'ana: dos']);
});

test('hub bus - a name the cluster says is taken is refused, and the next line is a new attempt', () => {
  const { hub, bus } = setup();
  const ana = new FakePeer('ana');
  hub.connect(ana);
  hub.input(ana, 'ana');
  hub.input(ana, 'ana2');
  bus.answer('taken');
  assert.deepEqual(ana.lines, [es('name_taken', { name: 'ana' })]);
  bus.answer('unavailable');
  assert.deepEqual(ana.lines.slice(1), [es('name_unavailable_split', { name: 'ana2' })]);
  assert.equal(hub.session(ana)?.name, undefined);
});

test("hub bus - per sender, order holds: a user's last words come before their leave notice", () => {
  const { hub, bus, join } = setup();
  const ana = join('ana');
  const bob = join('bob');
  hub.input(ana, 'me voy');
  hub.input(ana, '/quitar');
  bus.flush();
  assert.deepEqual(bob.lines.slice(-2), ['ana: me voy', es('user_left', { name: 'ana' })]);
  assert.deepEqual(bus.released, ['ana'], 'the name goes back to the cluster');
});

test('hub bus - split: the bus refuses events, and the room of this node hears them at once', () => {
  const { hub, bus, join } = setup();
  const ana = join('ana');
  const bob = join('bob');
  bus.connected = false;
  hub.clusterSplit(true);
  hub.input(ana, 'solo aquí');
  assert.equal(bob.lines.at(-1), 'ana: solo aquí');
  assert.equal(bob.lines.at(-2), es('cluster_split'));
  assert.equal(bus.queue.length, 0);
});

test('hub bus - users of other nodes are listed and counted, and their room events cost local broadcasts nothing', () => {
  const { hub, bus, join } = setup();
  const ana = join('ana');
  hub.applyBusEvent({ t: 'join', room: 'general', user: { name: 'zoe', rooms: ['general'], transport: 'udp', operator: true } }, 'other', undefined);
  assert.equal(ana.lines.at(-1), es('user_joined', { name: 'zoe' }));
  assert.equal(hub.userCount, 2);
  const room = hub.room('general')!;
  assert.equal(room.members.size, 1, 'local members only: a broadcast loops over these');
  assert.equal(room.size, 2);
  hub.input(ana, '/listar');
  assert.equal(ana.lines.at(-1), 'Usuarios: ana, @zoe');
  hub.applyBusEvent({ t: 'join', room: 'general', user: { name: 'zoe', rooms: ['general'], transport: 'udp', operator: true } }, 'other', undefined);
  hub.applyBusEvent({ t: 'leave', rooms: ['general'], name: 'nadie', reason: 'quit' }, 'other', undefined);
  assert.equal(ana.lines.at(-1), 'Usuarios: ana, @zoe', 'a join of a known user, a leave of an unknown one: nothing');
  hub.applyBusEvent({ t: 'leave', rooms: ['general'], name: 'zoe', reason: 'connection_lost' }, 'other', undefined);
  assert.equal(ana.lines.at(-1), es('user_left_because', { name: 'zoe', reason: es('reason_connection_lost') }));
  assert.equal(hub.userCount, 1);
  assert.equal(bus.queue.length, 0);
});
