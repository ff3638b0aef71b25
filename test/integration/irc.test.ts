import assert from 'node:assert/strict';
import test, { type TestContext } from 'node:test';
import { Client } from 'irc-framework';
import { ircNick } from '../../src/hub/names.js';
import { joinAs } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpJoinAs } from '../helpers/udp-client.js';
import { within } from '../helpers/within.js';

type Event = Record<string, unknown>;

/** An irc-framework client that keeps every event it got, for bounded waits on them. */
class Irc {
  readonly client = new Client({ auto_reconnect: false, ping_interval: 0, ping_timeout: 0 });
  readonly events: { name: string; e: Event }[] = [];
  #waiters: (() => void)[] = [];

  constructor(names: string[]) {
    for (const name of names) {
      this.client.on(name, (e: Event) => {
        this.events.push({ name, e });
        for (const w of this.#waiters.splice(0)) w();
      });
    }
  }

  /** The first event `name` (past or future) for which `match` holds. */
  async wait(name: string, match: (e: Event) => boolean = () => true, ms = 3000): Promise<Event> {
    const found = new Promise<Event>((resolve) => {
      const check = (): void => {
        const hit = this.events.find((x) => x.name === name && match(x.e));
        if (hit !== undefined) resolve(hit.e);
        else this.#waiters.push(check);
      };
      check();
    });
    return within(found, ms, `irc-framework event "${name}" (got: ${JSON.stringify(this.events.slice(-6).map((x) => [x.name, x.e['nick'], x.e['message']]))})`);
  }
}

const EVENTS = ['registered', 'join', 'part', 'quit', 'nick', 'privmsg', 'action', 'notice', 'nick in use', 'userlist', 'close'];

async function ircUser(t: TestContext, port: number, nick: string): Promise<Irc> {
  const irc = new Irc(EVENTS);
  irc.client.connect({ host: '127.0.0.1', port, nick, username: nick, gecos: nick });
  t.after(() => irc.client.connection?.end());
  return irc;
}

async function ircServer(t: TestContext) {
  const s = await startTestServer(t, { irc: true, ircPort: 0 });
  return { ...s, ircPort: s.server.irc?.address.port ?? 0 };
}

test('irc-framework: an IRC user registers, joins #general and a second channel, and chats with a TCP and a UDP user', async (t) => {
  const { tcpPort, udpPort, ircPort } = await ircServer(t);
  const bea = await joinAs(t, tcpPort, 'bea');
  const carlos = await udpJoinAs(t, udpPort, 'carlos');
  const ana = await ircUser(t, ircPort, 'ana');
  await ana.wait('registered');
  ana.client.join('#general');
  ana.client.join('#otra');
  const names = await ana.wait('userlist', (e) => e['channel'] === '#general');
  assert.deepEqual((names['users'] as { nick: string }[]).map((u) => u.nick).sort(), ['ana', 'bea', 'carlos']);
  await ana.wait('join', (e) => e['channel'] === '#otra' && e['nick'] === 'ana');
  await bea.waitFor('*** ana se ha unido al chat ***');

  ana.client.say('#general', 'hola a todos');
  await bea.waitFor('ana: hola a todos');
  await carlos.waitFor('ana: hola a todos');

  bea.write('hola ana\n');
  const fromBea = await ana.wait('privmsg', (e) => e['nick'] === 'bea');
  assert.equal(fromBea['target'], '#general');
  assert.equal(fromBea['message'], 'hola ana');
  assert.equal(fromBea['hostname'], 'tcp.charla');
  carlos.send('qué tal');
  const fromCarlos = await ana.wait('privmsg', (e) => e['nick'] === 'carlos');
  assert.equal(fromCarlos['message'], 'qué tal');
  assert.equal(fromCarlos['hostname'], 'udp.charla');

  // Private messages both ways; a message in #otra reaches nobody in #general.
  ana.client.say('#otra', 'solo en otra');
  ana.client.say('bea', 'en privado');
  await bea.waitFor('(privado) ana: en privado');
  bea.write('/msg ana de vuelta\n');
  const back = await ana.wait('privmsg', (e) => e['message'] === 'de vuelta');
  assert.equal(back['target'], 'ana');
  assert.ok(!bea.lines.some((l) => l.includes('solo en otra')));

  // /me is "* nick text" for line users.
  ana.client.action('#general', 'saluda');
  await bea.waitFor('* ana saluda');
});

test('irc-framework: nick changes, parts and quits are seen by every transport', async (t) => {
  const { tcpPort, udpPort, ircPort } = await ircServer(t);
  const bea = await joinAs(t, tcpPort, 'bea');
  const carlos = await udpJoinAs(t, udpPort, 'carlos');
  const ana = await ircUser(t, ircPort, 'ana');
  const dani = await ircUser(t, ircPort, 'dani');
  await ana.wait('registered');
  await dani.wait('registered');
  dani.client.join('#general,#otra');
  await dani.wait('join', (e) => e['nick'] === 'dani' && e['channel'] === '#otra');
  ana.client.join('#general,#otra');
  await dani.wait('join', (e) => e['nick'] === 'ana' && e['channel'] === '#otra');

  ana.client.changeNick('anita');
  await bea.waitFor('*** ana ahora se llama anita ***');
  await carlos.waitFor('*** ana ahora se llama anita ***');
  await dani.wait('nick', (e) => e['nick'] === 'ana' && e['new_nick'] === 'anita');
  await ana.wait('nick', (e) => e['nick'] === 'ana' && e['new_nick'] === 'anita');

  bea.write('/nick beatriz\n');
  await ana.wait('nick', (e) => e['nick'] === 'bea' && e['new_nick'] === 'beatriz');

  ana.client.part('#otra', 'me voy de aquí');
  const part = await dani.wait('part', (e) => e['nick'] === 'anita');
  assert.equal(part['channel'], '#otra');
  assert.equal(part['message'], 'me voy de aquí');

  ana.client.quit('adiós');
  const quit = await dani.wait('quit', (e) => e['nick'] === 'anita');
  assert.equal(quit['message'], 'Quit: adiós');
  await bea.waitFor('*** anita ha salido del chat ***');
  await carlos.waitFor('*** anita ha salido del chat ***');

  // dani, in two rooms with bea's room... and a line user moving between rooms is a PART and a JOIN.
  bea.write('/sala otra\n');
  await dani.wait('part', (e) => e['nick'] === 'beatriz' && e['channel'] === '#general');
  await dani.wait('join', (e) => e['nick'] === 'beatriz' && e['channel'] === '#otra');
  // Someone in two of dani's rooms quits: dani hears it once.
  const eva = await ircUser(t, ircPort, 'eva');
  await eva.wait('registered');
  eva.client.join('#general,#otra');
  await dani.wait('join', (e) => e['nick'] === 'eva' && e['channel'] === '#otra');
  eva.client.quit('');
  await dani.wait('quit', (e) => e['nick'] === 'eva');
  dani.client.say('#general', 'fin');
  await carlos.waitFor('dani: fin');
  assert.equal(dani.events.filter((x) => x.name === 'quit' && x.e['nick'] === 'eva').length, 1);
  // A line user who goes shows, as they leave, the host of how they came.
  bea.socket.end();
  const gone = await dani.wait('quit', (e) => e['nick'] === 'beatriz');
  assert.equal(gone['hostname'], 'tcp.charla');
});

test('irc-framework: a nick taken on another transport gets 433, and a line user takes no IRC user\'s name', async (t) => {
  const { tcpPort, ircPort } = await ircServer(t);
  await joinAs(t, tcpPort, 'bea');
  const jose = await joinAs(t, tcpPort, 'José');
  const irc = await ircUser(t, ircPort, 'bea');
  const inUse = await irc.wait('nick in use');
  assert.equal(inUse['nick'], 'bea');
  irc.client.changeNick('BEA'); // ASCII case does not make another nick
  await irc.wait('nick in use', (e) => e['nick'] === 'BEA');
  irc.client.changeNick('ana');
  await irc.wait('registered');
  irc.client.join('#general');
  const names = await irc.wait('userlist');
  assert.deepEqual((names['users'] as { nick: string }[]).map((u) => u.nick).sort(), ['José', 'ana', 'bea'].map(ircNick).sort());
  const late = await joinAs(t, tcpPort, 'carla').catch(() => undefined);
  assert.ok(late !== undefined);
  const other = await (await import('../helpers/line-client.js')).connectLine(t, tcpPort);
  other.write('Ana\n');
  await other.waitFor(/ya está en uso/);
  jose.write('hola\n');
  const msg = await irc.wait('privmsg', (e) => e['message'] === 'hola');
  assert.equal(msg['nick'], ircNick('José'));
});
