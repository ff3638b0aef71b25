/**
 * The report's ARQ part (`--report` with sw, gbn or sr): the ARQ table, a packet ladder per
 * protocol (and TCP's, from the capture), and with `--sweep` the goodput chart against the
 * formula. HTML and inline SVG strings; pure.
 */
import type { ArqProtocolResult, ArqReport } from './arq-result.js';
import { formatArqTable } from './arq-result.js';
import type { SweepReport } from './arq-sweep.js';
import { esc } from './charts.js';
import { type Ladder, ladderSvg } from './ladder.js';

/** What the ARQ part of the page shows. */
export interface ArqSection {
  report: ArqReport;
  results: ArqProtocolResult[];
  ladders: Ladder[];
  sweep: SweepReport | undefined;
  notes: string[];
}

const PROTOCOL_NAMES: Record<string, string> = { sw: 'Stop-and-wait', gbn: 'Go-Back-N', sr: 'Selective Repeat', tcp: 'TCP' };
const SWEEP_STYLE: Record<string, { color: string; marker: string }> = {
  sw: { color: '#7c3aed', marker: 'circle' },
  gbn: { color: '#1f4e9c', marker: 'square' },
  sr: { color: '#c2410c', marker: 'diamond' },
};

/** The full name of a protocol id, for titles. */
export function protocolName(id: string): string {
  return PROTOCOL_NAMES[id] ?? id.toUpperCase();
}

/** The `<section>`s of the ARQ part. */
export function arqSectionHtml(a: ArqSection): string {
  const table = a.results.length === 0 ? '' : `<pre class="arq-table">${esc(formatArqTable(a.results, a.report))}</pre>`;
  const ladders = a.ladders
    .map((l) => `<figure class="ladder">${ladderSvg(l)}<figcaption>${esc(l.title)}: ${esc(l.caption)}, as ${l.id === 'tcp' ? 'the capture saw them' : 'the two ends sent and received them'}.</figcaption></figure>`)
    .join('\n');
  const sweep = a.sweep === undefined ? '' : `<section id="sweep"><h2>Sweep of ${esc(a.sweep.parameter)}</h2><figure>${sweepChart(a.sweep)}
<figcaption>Goodput measured (solid, markers) and the formula's U = N·(L/R)/(RTT+L/R) as goodput (dashed), at each ${a.sweep.parameter === 'window' ? 'window' : 'one-way delay (ms)'}.</figcaption></figure></section>`;
  const notes = a.notes.length === 0 ? '' : `<ul class="notes">${a.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`;
  const head =
    a.results.length === 0 && a.sweep === undefined
      ? ''
      : `<section id="arq">
<h2>Reliability on UDP (${esc(a.report.settings.mode)} mode)</h2>
${table}
${notes}
</section>`;
  return `${head}
${sweep}
${ladders === '' ? '' : `<section id="ladders"><h2>Packet ladders</h2>\n${ladders}\n</section>`}`;
}

function num(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** Goodput against the swept value: measured and formula per protocol. */
export function sweepChart(s: SweepReport): string {
  const W = 760;
  const H = 360;
  const x0 = 80;
  const x1 = W - 24;
  const y0 = H - 56;
  const y1 = 24;
  const ys = s.points.flatMap((p) => [p.goodputBytesPerSec, p.goodputTheoryBytesPerSec ?? 0]).filter((v) => v > 0);
  const lo = Math.min(...ys, 1);
  const hi = Math.max(...ys, 10);
  const log = hi / lo > 20;
  const lmin = Math.log10(lo) - 0.1;
  const lmax = Math.log10(hi) + 0.1;
  const Y = (v: number): number => (log ? y0 - ((Math.log10(Math.max(v, lo)) - lmin) / (lmax - lmin)) * (y0 - y1) : y0 - (v / (hi * 1.1)) * (y0 - y1));
  const X = (i: number): number => (s.values.length <= 1 ? (x0 + x1) / 2 : x0 + 30 + (i / (s.values.length - 1)) * (x1 - x0 - 60));
  const out: string[] = [
    `<svg class="chart" data-chart="sweep" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="goodput against ${esc(s.parameter)}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#444"/>`,
  ];
  const ticks = log ? decadeTicks(lo, hi) : [0, 0.25, 0.5, 0.75, 1].map((f) => f * hi * 1.1);
  for (const t of ticks) {
    out.push(`<line x1="${x0}" x2="${x1}" y1="${num(Y(t))}" y2="${num(Y(t))}" stroke="#ddd"/><text x="${x0 - 6}" y="${num(Y(t) + 4)}" text-anchor="end" fill="#222">${rate(t)}</text>`);
  }
  s.values.forEach((v, i) => out.push(`<text x="${num(X(i))}" y="${y0 + 18}" text-anchor="middle" fill="#222">${v}</text>`));
  out.push(`<text x="${(x0 + x1) / 2}" y="${H - 14}" text-anchor="middle" fill="#222">${s.parameter === 'window' ? 'window N (packets)' : 'delay each way (ms)'}</text>`);
  out.push(`<text transform="translate(16 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" fill="#222">goodput${log ? ' (log scale)' : ''}</text>`);
  let ky = y1 + 16;
  for (const proto of [...new Set(s.points.map((p) => p.protocol))]) {
    const style = SWEEP_STYLE[proto] ?? { color: '#222', marker: 'circle' };
    const pts = s.values.map((v, i) => ({ i, p: s.points.find((q) => q.protocol === proto && q.value === v) }));
    const measured = pts.filter((q) => q.p !== undefined && q.p.goodputBytesPerSec > 0);
    const formula = pts.filter((q) => q.p?.goodputTheoryBytesPerSec != null);
    const d = (list: typeof pts, f: (q: (typeof pts)[number]) => number): string => list.map((q, k) => `${k === 0 ? 'M' : 'L'}${num(X(q.i))},${num(Y(f(q)))}`).join('');
    out.push(`<path class="series" data-series="${proto}-formula" data-points="${formula.length}" d="${d(formula, (q) => q.p?.goodputTheoryBytesPerSec ?? 0)}" fill="none" stroke="${style.color}" stroke-width="1.6" stroke-dasharray="6 4"/>`);
    out.push(`<path class="series" data-series="${proto}" data-points="${measured.length}" d="${d(measured, (q) => q.p?.goodputBytesPerSec ?? 0)}" fill="none" stroke="${style.color}" stroke-width="2.4"/>`);
    for (const q of measured) out.push(marker(style.marker, X(q.i), Y(q.p?.goodputBytesPerSec ?? 0), style.color));
    out.push(`<line x1="${x0 + 12}" x2="${x0 + 40}" y1="${ky}" y2="${ky}" stroke="${style.color}" stroke-width="2.4"/>${marker(style.marker, x0 + 26, ky, style.color)}<text x="${x0 + 46}" y="${ky + 4}" fill="#222">${esc(protocolName(proto))} measured; dashed: formula</text>`);
    ky += 18;
  }
  out.push('</svg>');
  return out.join('');
}

function marker(kind: string, x: number, y: number, color: string): string {
  if (kind === 'square') return `<rect x="${num(x - 3.5)}" y="${num(y - 3.5)}" width="7" height="7" fill="${color}"/>`;
  if (kind === 'diamond') return `<path d="M${num(x)},${num(y - 5)}l5,5l-5,5l-5,-5z" fill="${color}"/>`;
  return `<circle cx="${num(x)}" cy="${num(y)}" r="3.8" fill="${color}"/>`;
}

function decadeTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let d = 10 ** Math.floor(Math.log10(lo)); d <= hi * 1.0001; d *= 10) if (d >= lo / 1.3) out.push(d);
  return out;
}

function rate(v: number): string {
  if (v >= 1e6) return `${Number((v / 1e6).toPrecision(2))} MB/s`;
  if (v >= 1e3) return `${Number((v / 1e3).toPrecision(2))} kB/s`;
  return `${Number(v.toPrecision(2))} B/s`;
}
