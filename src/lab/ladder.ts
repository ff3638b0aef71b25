/**
 * The packet ladder (a sequence diagram, as Wireshark's flow graph draws it): two vertical time
 * lines, sender and receiver, and an arrow between them for each datagram of the first seconds,
 * labelled with its number; a lost one ends in a cross, retransmissions are dashed, timeouts are
 * marked on the sender's line. Pure: built from what each end stamped (arq-ends.ts) or from a
 * capture's TCP packets (pcap.ts), drawn as an inline SVG string.
 *
 * Time runs down, one row per event in time order (the gaps are not to scale, the order is), with
 * each event's time in ms beside it: bursts stay readable and a 200 ms timeout does not push the
 * rest off the page.
 */
import type { Stamp } from './arq-ends.js';
import type { LinkRecord } from './arq-link.js';
import type { ArqTrace } from './arq-run.js';
import { esc } from './charts.js';
import { type Packet, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './pcap.js';

/** One datagram or segment between the two lines. */
export interface LadderArrow {
  /** Which line it leaves from. */
  from: 'left' | 'right';
  kind: 'data' | 'ack' | 'control';
  label: string;
  sentMs: number;
  /** null: lost on the way. */
  arrivedMs: number | null;
  retransmission: boolean;
  /** Lost on purpose (`--drop`). */
  scripted: boolean;
}

export interface LadderMark {
  side: 'left' | 'right';
  atMs: number;
  label: string;
}

export interface Ladder {
  id: string;
  title: string;
  left: string;
  right: string;
  arrows: LadderArrow[];
  marks: LadderMark[];
  /** What the picture leaves out ("the first 40 of 300 datagrams"). */
  caption: string;
}

/** Arrows drawn per ladder, and the first seconds they are taken from. */
export const LADDER_MAX_ARROWS = 40;
export const LADDER_MAX_MS = 3000;
/** Two ends' clocks (kernel mode: two processes) may disagree by this much. */
const CLOCK_SLACK_MS = 1;

type Pair = { sent: Stamp; arrivedMs: number | null };

/**
 * Kernel mode: pairs what one end put on the wire with what the other took off. Each arrival
 * belongs to the earliest copy of that number not yet paired that was sent within
 * `maxTransitMs` before it (a burst of equal ACKs pairs in order; a copy sent a timeout earlier
 * is the lost one, not this one); failing that, the latest sent before it. A send nothing
 * arrived for was lost; a second arrival of one send (the link duplicated it) is another arrow.
 */
export function pairStamps(sent: readonly Stamp[], received: readonly Stamp[], maxTransitMs: number): Pair[] {
  const pairs: Pair[] = sent.map((s) => ({ sent: s, arrivedMs: null }));
  const extra: Pair[] = [];
  const byNumber = new Map<number, number[]>();
  pairs.forEach((p, i) => {
    if (p.sent.dropped === true) return;
    const list = byNumber.get(p.sent.number) ?? [];
    list.push(i);
    byNumber.set(p.sent.number, list);
  });
  for (const r of received) {
    const candidates = (byNumber.get(r.number) ?? []).filter((i) => (pairs[i] as Pair).sent.atMs <= r.atMs + CLOCK_SLACK_MS);
    if (candidates.length === 0) continue;
    const fresh = candidates.find((i) => (pairs[i] as Pair).arrivedMs === null && (pairs[i] as Pair).sent.atMs >= r.atMs - maxTransitMs);
    const latest = candidates.at(-1) as number;
    const p = pairs[fresh ?? latest] as Pair;
    if (p.arrivedMs === null) p.arrivedMs = r.atMs;
    else extra.push({ sent: p.sent, arrivedMs: r.atMs });
  }
  return [...pairs, ...extra];
}

/**
 * Relay mode: the link recorded every datagram's fate, k-th of each type in the order it reached
 * the link (the order sent, on loopback): the k-th send arrives after each of its copies' delays.
 */
export function pairWithLink(sent: readonly Stamp[], link: readonly LinkRecord[]): Pair[] {
  const pairs: Pair[] = [];
  sent.forEach((s, i) => {
    const rec = link[i];
    const delays = rec === undefined ? [] : rec.delaysMs;
    if (delays.length === 0) pairs.push({ sent: s, arrivedMs: null });
    for (const d of delays) pairs.push({ sent: s, arrivedMs: (rec as LinkRecord).atMs + d });
  });
  return pairs;
}

/** The ladder of one ARQ run, from its two ends' stamps. */
export function arqLadder(id: string, title: string, trace: ArqTrace): Ladder {
  const link = trace.link;
  const data = link !== undefined ? pairWithLink(trace.sent, link.filter((r) => r.type === 'data')) : pairStamps(trace.sent, trace.received, trace.maxTransitMs);
  const acks = link !== undefined ? pairWithLink(trace.acksSent, link.filter((r) => r.type === 'ack')) : pairStamps(trace.acksSent, trace.acksReceived, trace.maxTransitMs);
  const all: LadderArrow[] = [
    ...data.map(({ sent, arrivedMs }): LadderArrow => ({
      from: 'left',
      kind: 'data',
      label: `DATA ${sent.number}${sent.retransmission === true ? ' (retx)' : ''}`,
      sentMs: sent.atMs,
      arrivedMs,
      retransmission: sent.retransmission === true,
      scripted: sent.dropped === true,
    })),
    ...acks.map(({ sent, arrivedMs }): LadderArrow => ({
      from: 'right',
      kind: 'ack',
      label: `ACK ${sent.number}`,
      sentMs: sent.atMs,
      arrivedMs,
      retransmission: false,
      scripted: sent.dropped === true,
    })),
  ];
  const marks = trace.timeouts.map((t): LadderMark => ({ side: 'left', atMs: t.atMs, label: `timeout ${t.number}` }));
  return firstSeconds({ id, title, left: 'sender', right: 'receiver', arrows: all, marks, caption: '' }, trace.startMs, 'datagrams');
}

/** Keeps the first arrows (by send time) and the marks among them; says what was left out. */
function firstSeconds(l: Ladder, startMs: number, what: string): Ladder {
  const sorted = [...l.arrows].sort((a, b) => a.sentMs - b.sentMs);
  const kept = sorted.filter((a) => a.sentMs - startMs <= LADDER_MAX_MS).slice(0, LADDER_MAX_ARROWS);
  const lastMs = kept.at(-1)?.sentMs ?? startMs;
  const marks = l.marks.filter((m) => m.atMs <= lastMs);
  const caption = kept.length === sorted.length ? `all ${sorted.length} ${what}` : `the first ${kept.length} of ${sorted.length} ${what}`;
  // Times from the first event, so the labels read "0.0, 0.1, ... ms".
  const shift = (ms: number): number => ms - startMs;
  return {
    ...l,
    arrows: kept.map((a) => ({ ...a, sentMs: shift(a.sentMs), arrivedMs: a.arrivedMs === null ? null : shift(a.arrivedMs) })),
    marks: marks.map((m) => ({ ...m, atMs: shift(m.atMs) })),
    caption,
  };
}

/**
 * TCP's ladder from a capture: the first connection to `serverPort` (the side that sent the SYN
 * on the left), every segment with its flags, relative sequence numbers and lengths, and the
 * retransmissions (data that repeats bytes already sent). The capture saw each packet at one
 * point, so an arrow is drawn at that one time; a segment lost after that point is not known to
 * be lost, only its retransmission shows. Undefined when the capture has no such connection.
 */
export function tcpLadder(packets: readonly Packet[], serverPort: number): Ladder | undefined {
  const syn = packets.find((p) => p.proto === 'tcp' && p.dstPort === serverPort && (p.flags & TCP_SYN) !== 0 && (p.flags & TCP_ACK) === 0);
  if (syn === undefined) return undefined;
  const isClient = (p: Packet): boolean => p.src === syn.src && p.srcPort === syn.srcPort && p.dstPort === serverPort;
  const isServer = (p: Packet): boolean => p.dst === syn.src && p.dstPort === syn.srcPort && p.srcPort === serverPort;
  const conn = packets.filter((p) => p.proto === 'tcp' && (isClient(p) || isServer(p)) && p.timeMs >= syn.timeMs);
  const isn = { left: syn.seq, right: conn.find((p) => isServer(p) && (p.flags & TCP_SYN) !== 0)?.seq ?? 0 };
  const highest = { left: 0, right: 0 };
  const arrows: LadderArrow[] = conn.map((p) => {
    const from = isClient(p) ? 'left' : 'right';
    const other = from === 'left' ? 'right' : 'left';
    const seq = (p.seq - isn[from]) >>> 0;
    const ack = (p.ack - isn[other]) >>> 0;
    const f = p.flags;
    let label: string;
    let kind: LadderArrow['kind'] = 'control';
    let retransmission = false;
    if ((f & TCP_SYN) !== 0) label = (f & TCP_ACK) !== 0 ? 'SYN-ACK' : 'SYN';
    else if ((f & TCP_RST) !== 0) label = 'RST';
    else if ((f & TCP_FIN) !== 0) label = `FIN seq=${seq}`;
    else if (p.payloadBytes > 0) {
      kind = 'data';
      retransmission = seq + p.payloadBytes <= highest[from];
      label = `${retransmission ? 'retransmission ' : ''}seq=${seq} len=${p.payloadBytes}`;
    } else {
      kind = 'ack';
      label = `ACK ack=${ack}`;
    }
    if (p.payloadBytes > 0) highest[from] = Math.max(highest[from], seq + p.payloadBytes);
    return { from, kind, label, sentMs: p.timeMs, arrivedMs: p.timeMs, retransmission, scripted: false };
  });
  return firstSeconds({ id: 'tcp', title: 'TCP (from the capture)', left: 'client', right: 'server', arrows, marks: [], caption: '' }, syn.timeMs, 'segments of its first connection');
}

const ROW = 13;
const TOP = 58;
const WIDTH = 760;
const LINE_X = { left: 150, right: 610 };
const LOST_COLOR = '#b91c1c';
const COLORS = { data: '#1f4e9c', ack: '#0f766e', control: '#444' } as const;

function num(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

function ms(v: number): string {
  return v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : v.toFixed(0);
}

/** The ladder as an inline SVG: `g.arrow` per arrow (a `path.cross` on the lost ones), `g.mark` per timeout. */
export function ladderSvg(l: Ladder): string {
  // One row per event: a send, an arrival (or the point of loss), a mark.
  type Ev = { t: number; order: number; key: string };
  const events: Ev[] = [];
  l.arrows.forEach((a, i) => {
    events.push({ t: a.sentMs, order: 0, key: `s${i}` });
    events.push({ t: a.arrivedMs ?? a.sentMs, order: 1, key: `a${i}` });
  });
  l.marks.forEach((m, i) => events.push({ t: m.atMs, order: -1, key: `m${i}` }));
  events.sort((a, b) => a.t - b.t || a.order - b.order);
  const row = new Map<string, number>();
  events.forEach((e, i) => row.set(e.key, TOP + 10 + i * ROW));
  const bottom = TOP + 20 + events.length * ROW;
  const height = bottom + 16;
  const out: string[] = [
    `<svg class="chart ladder" data-ladder="${esc(l.id)}" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="${esc(`${l.title}: packet ladder`)}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif" font-size="10.5">`,
    `<title>${esc(`${l.title}: ${l.caption}`)}</title>`,
    `<text x="8" y="16" font-size="13" font-weight="700" fill="#222">${esc(l.title)}</text>`,
    `<text x="8" y="32" fill="#333">→ DATA n (sequence number) · ← ACK n · dashed: retransmission · ✕ lost (bright red: --drop) · red bar: timeout · ms</text>`,
  ];
  for (const side of ['left', 'right'] as const) {
    const x = LINE_X[side];
    out.push(`<text x="${x}" y="${TOP - 6}" text-anchor="middle" font-weight="700" fill="#222">${esc(side === 'left' ? l.left : l.right)}</text>`);
    out.push(`<line x1="${x}" x2="${x}" y1="${TOP}" y2="${bottom}" stroke="#222" stroke-width="2"/>`);
  }
  const span = LINE_X.right - LINE_X.left;
  l.arrows.forEach((a, i) => {
    const x0 = LINE_X[a.from];
    const dir = a.from === 'left' ? 1 : -1;
    const y0 = row.get(`s${i}`) as number;
    const y1 = row.get(`a${i}`) as number;
    const lost = a.arrivedMs === null;
    const x1 = lost ? x0 + dir * span * 0.55 : LINE_X[a.from === 'left' ? 'right' : 'left'];
    const color = COLORS[a.kind];
    const parts = [
      `<g class="arrow" data-kind="${a.kind}" data-lost="${lost ? 1 : 0}"${a.retransmission ? ' data-retransmission="1"' : ''}>`,
      `<line x1="${x0}" y1="${num(y0)}" x2="${num(x1)}" y2="${num(y1)}" stroke="${color}" stroke-width="1.4"${a.retransmission ? ' stroke-dasharray="5 3"' : ''}/>`,
    ];
    if (lost) {
      const c = a.scripted ? LOST_COLOR : '#7f1d1d';
      parts.push(`<path class="cross" d="M${num(x1 - 5)},${num(y1 - 5)}l10,10m0,-10l-10,10" stroke="${c}" stroke-width="2.2" fill="none"/>`);
    } else {
      // The arrowhead, along the line.
      const ang = Math.atan2(y1 - y0, x1 - x0);
      const hx = (d: number, s: number): string => num(x1 - 8 * Math.cos(ang + s * d));
      const hy = (d: number, s: number): string => num(y1 - 8 * Math.sin(ang + s * d));
      parts.push(`<path d="M${num(x1)},${num(y1)}L${hx(0.4, 1)},${hy(0.4, 1)}L${hx(0.4, -1)},${hy(0.4, -1)}z" fill="${color}"/>`);
    }
    const tx = x0 + dir * 8;
    parts.push(`<text x="${tx}" y="${num(y0 - 2)}" text-anchor="${dir > 0 ? 'start' : 'end'}" fill="${lost ? LOST_COLOR : color}">${esc(a.label)}${lost ? ' ✕ lost' : ''}</text>`);
    const timeX = a.from === 'left' ? LINE_X.left - 8 : LINE_X.right + 8;
    parts.push(`<text x="${timeX}" y="${num(y0 + 3)}" text-anchor="${a.from === 'left' ? 'end' : 'start'}" fill="#555">${ms(a.sentMs)}</text>`);
    parts.push('</g>');
    out.push(parts.join(''));
  });
  l.marks.forEach((m, i) => {
    const y = row.get(`m${i}`) as number;
    const x = LINE_X[m.side];
    out.push(
      `<g class="mark" data-kind="timeout"><line x1="${x - 10}" x2="${x + 10}" y1="${num(y)}" y2="${num(y)}" stroke="${LOST_COLOR}" stroke-width="2"/>` +
        `<text x="${x - 14}" y="${num(y + 3)}" text-anchor="end" fill="${LOST_COLOR}">${esc(m.label)} (${ms(m.atMs)})</text></g>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}
