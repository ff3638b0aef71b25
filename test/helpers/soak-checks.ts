import type { ChatServer } from '../../src/server.js';
import type { Observed, SoakPlan, SoakReport } from './soak.js';
import type { HandleCounts } from './soak-measure.js';
import { listedNames, type Member } from './soak-members.js';

/**
 * The soak's end-of-run checks. Each reports through `fail` and goes on, so one run lists every
 * kind of violation it found, not only the first.
 */

type Fail = (message: string) => void;

/**
 * Every member got every other member's messages (the members check the order as lines arrive),
 * and every private message the server confirmed reached its target. Between TCP members nothing
 * may be missing. Where UDP is on the way, losses are counted apart (in, on the way to the room:
 * missing at every TCP member alike; out, on the way to a UDP member) and are violations only if
 * the kernel counted no dropped packet (full UDP buffers, loopback backlog), the one way loopback
 * loses a datagram.
 */
export function checkDeliveries(members: readonly Member[], observed: Observed, report: SoakReport, fail: Fail, kernelDrops: () => number | undefined): void {
  const m = report.messages;
  const example = (what: string): void => {
    if (m.udpLossExamples.length < 5) m.udpLossExamples.push(what);
  };
  m.chatSent = members.reduce((sum, s) => sum + s.chatSent, 0);
  const tcpReceivers = members.filter((r) => r.plan.transport === 'tcp');
  const lostIn = new Map<Member, number>(); // per UDP sender: messages no TCP member got
  for (const sender of members) {
    if (sender.plan.transport !== 'udp') continue;
    const counts = new Set(tcpReceivers.map((r) => r.got.get(sender.plan.sid) ?? 0));
    if (counts.size > 1) fail(`TCP members got different numbers of ${sender.name}'s messages: ${[...counts].join(', ')}`);
    lostIn.set(sender, sender.chatSent - Math.max(0, ...counts));
  }
  m.udpLostIn = [...lostIn.values()].reduce((a, b) => a + b, 0);
  for (const receiver of members) {
    const short: string[] = [];
    for (const sender of members) {
      if (sender === receiver) continue;
      const got = receiver.got.get(sender.plan.sid) ?? 0;
      if (receiver.plan.transport === 'tcp') m.deliveredToTcp += got;
      else m.deliveredToUdp += got;
      const missing = sender.chatSent - got - (lostIn.get(sender) ?? 0);
      if (receiver.plan.transport === 'udp' && missing > 0) {
        m.udpLostOut += missing;
        example(`${receiver.name} got ${got} of ${sender.chatSent} messages of ${sender.name}`);
      }
      else if (missing !== 0 && sender.plan.transport === 'tcp') short.push(`${sender.name} ${got}/${sender.chatSent}`);
    }
    if (short.length > 0) fail(`${receiver.name} did not get every message of these TCP members: ${short.slice(0, 8).join(', ')}`);
  }
  const byName = new Map(members.map((s) => [s.plan.name, s]));
  for (const sender of members) {
    const unconfirmed = sender.privatesSent - sender.privatesOut.length;
    if (unconfirmed !== 0 && sender.plan.transport === 'udp') {
      m.udpLostOut += unconfirmed; // the /msg or its echo
      example(`${sender.name} sent ${sender.privatesSent} private messages; ${sender.privatesOut.length} echoes came back`);
    }
    else if (unconfirmed !== 0) fail(`${sender.name} sent ${sender.privatesSent} private messages; the server confirmed ${sender.privatesOut.length}`);
    m.pushedBytes += sender.pushedBytes;
  }
  for (const { to, text } of [...members.flatMap((s) => s.privatesOut), ...observed.privates]) {
    const target = byName.get(to);
    if (target === undefined) fail(`a private message went to ${to}, who is not a steady member`);
    else if (target.privatesIn.has(text)) target.plan.transport === 'tcp' ? m.privatesToTcp++ : m.privatesToUdp++;
    else if (target.plan.transport === 'udp') {
      m.udpLostOut++;
      example(`${to} never got the private message ${JSON.stringify(text)}`);
    }
    else fail(`${to} never got the private message ${JSON.stringify(text)} the server confirmed`);
  }
  const drops = kernelDrops();
  if (m.udpLostIn + m.udpLostOut > 0 && !(drops !== undefined && drops > 0)) {
    fail(
      `UDP lost ${m.udpLostIn} member messages on the way in and ${m.udpLostOut} deliveries on the way out, while the kernel counted no dropped packet (${drops ?? 'no /proc'}): ${m.udpLossExamples.join('; ')}`,
    );
  }
}

/** The room is exactly the members: in every /listar, in every member's own picture, in the hub. */
export function checkRoom(server: ChatServer, members: readonly Member[], lists: readonly string[], plan: SoakPlan, fail: Fail): void {
  const expected = members.map((m) => m.name).sort();
  lists.forEach((answer, i) => {
    const member = members[i] as Member;
    const names = listedNames(answer);
    if (new Set(names).size !== names.length) fail(`${member.name}: /listar shows a name twice: ${answer.slice(0, 300)}`);
    compare(`${member.name}'s last /listar`, names, expected, fail);
    compare(`${member.name}'s picture of the room from the notices`, [...(member.roster ?? [])], expected, fail);
  });
  compare('hub.names()', server.hub.names(), expected, fail);
  const tcp = members.filter((m) => m.plan.transport === 'tcp').length;
  if (server.hub.connectionCount !== members.length) fail(`hub.connectionCount is ${server.hub.connectionCount} with ${members.length} members connected`);
  if (server.tcp?.peers.size !== tcp) fail(`the TCP transport has ${server.tcp?.peers.size} peers with ${tcp} TCP members connected`);
  if (server.udp?.peers.size !== members.length - tcp) fail(`the UDP transport has ${server.udp?.peers.size} peers with ${members.length - tcp} UDP members`);
  for (const p of plan.members) {
    const rename = p.actions.find((a) => a.kind === 'rename');
    const member = members.find((m) => m.plan === p);
    if (rename !== undefined && member !== undefined && member.name !== rename.to) fail(`${p.name} asked to be ${rename.to} but is ${member.name}`);
  }
}

function compare(what: string, actual: readonly string[], expected: readonly string[], fail: Fail): void {
  const a = new Set(actual);
  const e = new Set(expected);
  const extra = [...a].filter((n) => !e.has(n));
  const missing = [...e].filter((n) => !a.has(n));
  if (extra.length > 0 || missing.length > 0) {
    fail(`${what} is not the members: extra [${extra.slice(0, 10).join(', ')}], missing [${missing.slice(0, 10).join(', ')}]`);
  }
}

/**
 * Every churner that joined left exactly once, for the reason its behaviour calls for; slow
 * readers were cut as slow; no one else left; every join was announced once; the half lines
 * were relayed.
 */
export function checkDepartures(observer: Member, observed: Observed, plan: SoakPlan, fail: Fail): void {
  for (const [name, reasons] of observed.joined) {
    const leaves = observer.leaves.get(name) ?? [];
    if (leaves.length !== 1) fail(`${name} left ${leaves.length} times (${leaves.join(', ')})`);
    else if (reasons !== undefined && !reasons.includes(leaves[0] as never)) fail(`${name} left as "${leaves[0]}", expected ${reasons.join(' or ')}`);
  }
  for (const name of plan.slowNames) {
    const leaves = observer.leaves.get(name) ?? [];
    if (leaves.join() !== 'slow') fail(`slow reader ${name}: expected one leave as "slow", got [${leaves.join(', ')}]`);
  }
  const slow = new Set(plan.slowNames);
  for (const [name, reasons] of observer.leaves) {
    if (!observed.joined.has(name) && !slow.has(name)) fail(`unexpected leave notice for ${name} (${reasons.join(', ')})`);
  }
  for (const [name, n] of observer.joins) if (n !== 1) fail(`${n} join notices for ${name}`);
  for (const line of observed.seen) if (!observer.watched.has(line)) fail(`the observer never got ${JSON.stringify(line)}`);
}

/** Socket handles exactly as expected; timers no more than expected (when `timers`). */
export function checkHandles(when: string, expected: HandleCounts, actual: HandleCounts, fail: Fail, timers = false): void {
  for (const type of ['TCPServerWrap', 'TCPSocketWrap', 'UDPWrap'] as const) {
    if (actual[type] !== expected[type]) fail(`${when}: ${actual[type]} ${type} handles, expected ${expected[type]}`);
  }
  if (timers && actual.Timeout > expected.Timeout) fail(`${when}: ${actual.Timeout} active timers, ${expected.Timeout} at the start`);
}
