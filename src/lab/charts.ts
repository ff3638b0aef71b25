/**
 * The report's charts as inline SVG strings, drawn here (no library, no network): a latency CDF
 * and a delivery-and-order timeline per protocol. Pure functions of the analyses.
 *
 * Made to survive a black-and-white printer: TCP and UDP differ by line style (solid, dashed)
 * and marker shape as well as colour, text stays dark, and each chart scales with the page
 * through its viewBox.
 */
import type { Proto } from './payload.js';
import type { RunAnalysis } from './stats.js';

/** How each protocol is drawn: colour and dash, so they differ in grey too. */
export const SERIES: Record<Proto, { label: string; color: string; dash: string }> = {
  tcp: { label: 'TCP', color: '#1f4e9c', dash: '' },
  udp: { label: 'UDP', color: '#c2410c', dash: '7 4' },
};

const LOST_COLOR = '#b91c1c';
const LATE_COLOR = '#b45309';
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"';

/** XML-escapes text for SVG and HTML. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function num(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** A latency axis: log10 when the data spans more than ~2 decades, else linear. */
export interface Scale {
  log: boolean;
  min: number;
  max: number;
  /** Value -> 0..1 along the axis. */
  at(v: number): number;
  ticks: number[];
}

/** "0.1", "2", "250", "1 s" style tick labels in ms. */
export function tickLabel(ms: number): string {
  if (ms >= 1000) return `${ms / 1000} s`;
  if (ms >= 1) return `${Number(ms.toPrecision(3))}`;
  return `${Number(ms.toPrecision(2))}`;
}

/** A scale covering `values` (ms), with readable ticks. */
export function latencyScale(values: readonly number[]): Scale {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  let lo = positive.length > 0 ? Math.min(...positive) : 0.1;
  let hi = positive.length > 0 ? Math.max(...positive) : 1;
  if (hi <= lo) hi = lo * 2;
  if (hi / lo > 100) {
    lo = 10 ** Math.floor(Math.log10(lo));
    hi = 10 ** Math.ceil(Math.log10(hi));
    const ticks: number[] = [];
    for (let d = lo; d <= hi * 1.0001; d *= 10) for (const m of [1, 2, 5]) if (d * m <= hi * 1.0001) ticks.push(d * m);
    const span = Math.log10(hi) - Math.log10(lo);
    return { log: true, min: lo, max: hi, at: (v) => (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span, ticks };
  }
  const step = niceStep((hi - 0) / 6);
  const max = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) ticks.push(Number(v.toPrecision(6)));
  return { log: false, min: 0, max, at: (v) => v / max, ticks };
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function plotBox(f: Frame): { x0: number; x1: number; y0: number; y1: number } {
  return { x0: f.left, x1: f.width - f.right, y0: f.height - f.bottom, y1: f.top };
}

function svgOpen(f: Frame, id: string, label: string): string {
  return `<svg class="chart" data-chart="${id}" viewBox="0 0 ${f.width} ${f.height}" width="100%" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg" ${FONT} font-size="12"><title>${esc(label)}</title>`;
}

/**
 * Latency CDF: for each latency x, the share of all expected (message, receiver) pairs that had
 * arrived within x. A protocol that lost messages never reaches 100 %: its curve stops at the
 * delivered share, which shows loss and latency on one picture.
 */
export function cdfChart(analyses: Record<Proto, RunAnalysis>): string {
  const f: Frame = { width: 760, height: 380, left: 64, right: 24, top: 20, bottom: 56 };
  const { x0, x1, y0, y1 } = plotBox(f);
  const scale = latencyScale([...analyses.tcp.latencies, ...analyses.udp.latencies]);
  const X = (v: number): number => x0 + scale.at(v) * (x1 - x0);
  const Y = (share: number): number => y0 - share * (y0 - y1);
  const parts: string[] = [svgOpen(f, 'cdf', 'Latency distribution (CDF) per protocol')];
  parts.push(grid(f, scale, X, Y));
  for (const proto of ['tcp', 'udp'] as const) {
    const a = analyses[proto];
    const s = SERIES[proto];
    if (a.latencies.length === 0 || a.expected === 0) continue;
    let d = `M${num(X(scale.log ? scale.min : 0))},${num(Y(0))}`;
    a.latencies.forEach((v, i) => {
      d += `H${num(X(v))}V${num(Y((i + 1) / a.expected))}`;
    });
    d += `H${num(x1)}`;
    parts.push(
      `<path class="series" data-series="${proto}" data-points="${a.latencies.length}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2.2" stroke-dasharray="${s.dash}" stroke-linejoin="round"/>`,
    );
  }
  parts.push(`<text x="${num((x0 + x1) / 2)}" y="${f.height - 12}" text-anchor="middle" fill="#222">latency (ms${scale.log ? ', log scale' : ''})</text>`);
  parts.push(`<text transform="translate(16 ${num((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle" fill="#222">delivered within x</text>`);
  parts.push(legend(x0 + 12, y1 + 8, [lineKey('tcp', analyses.tcp), lineKey('udp', analyses.udp)]));
  parts.push('</svg>');
  return parts.join('');
}

function grid(f: Frame, scale: Scale, X: (v: number) => number, Y: (s: number) => number): string {
  const { x0, x1, y0, y1 } = plotBox(f);
  const out: string[] = [`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#444" stroke-width="1"/>`];
  for (const share of [0, 0.25, 0.5, 0.75, 1]) {
    const y = num(Y(share));
    out.push(`<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" stroke="#bbb" stroke-width="0.6"/>`);
    out.push(`<text x="${x0 - 6}" y="${y}" dy="4" text-anchor="end" fill="#222">${share * 100}%</text>`);
  }
  for (const t of scale.ticks) {
    const x = num(X(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${y0}" y2="${y1}" stroke="#ddd" stroke-width="0.6"/>`);
    out.push(`<text x="${x}" y="${y0 + 16}" text-anchor="middle" fill="#222">${tickLabel(t)}</text>`);
  }
  return out.join('');
}

type Key = { draw: (x: number, y: number) => string; label: string };

function lineKey(proto: Proto, a: RunAnalysis): Key {
  const s = SERIES[proto];
  const share = a.expected > 0 ? (100 * a.delivered) / a.expected : 0;
  return {
    label: `${s.label}: ${share === 100 ? '100' : share.toFixed(1)}% delivered`,
    draw: (x, y) => `<line x1="${x}" x2="${x + 28}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2.4" stroke-dasharray="${s.dash}"/>`,
  };
}

function legend(x: number, y: number, keys: Key[]): string {
  const h = 18 * keys.length + 8;
  const w = 14 + 36 + Math.max(...keys.map((k) => k.label.length)) * 7 + 8;
  const out = [`<g class="legend"><rect x="${x}" y="${y}" width="${w}" height="${h}" fill="#fff" fill-opacity="0.9" stroke="#999" stroke-width="0.6"/>`];
  keys.forEach((k, i) => {
    const cy = y + 14 + i * 18;
    out.push(k.draw(x + 8, cy));
    out.push(`<text x="${x + 44}" y="${cy + 4}" fill="#222">${esc(k.label)}</text>`);
  });
  out.push('</g>');
  return out.join('');
}

/** Keys in one row, ending at `right` (outside the plot, so it never hides a point). */
function rowLegend(right: number, y: number, keys: Key[]): string {
  const widths = keys.map((k) => 18 + k.label.length * 6.6 + 16);
  let x = right - widths.reduce((a, b) => a + b, 0);
  const out = ['<g class="legend">'];
  keys.forEach((k, i) => {
    out.push(k.draw(x, y - 4));
    out.push(`<text x="${num(x + 18)}" y="${y}" fill="#222">${esc(k.label)}</text>`);
    x += widths[i] as number;
  });
  out.push('</g>');
  return out.join('');
}

/**
 * Delivery and order over time, one panel per protocol on a shared latency axis: each arrival is
 * a point at (message number, latency); a message that came after a later one is a triangle; a
 * lost one is a cross in the band on top. TCP's losses show as runs of delayed messages (each
 * waits for the retransmission: head-of-line blocking); UDP's as isolated crosses.
 */
export function timelineChart(analyses: Record<Proto, RunAnalysis>): string {
  const panels: string[] = [];
  const scale = latencyScale([...analyses.tcp.latencies, ...analyses.udp.latencies]);
  for (const proto of ['tcp', 'udp'] as const) panels.push(timelinePanel(proto, analyses[proto], scale));
  return panels.join('');
}

const MAX_MARKS = 20_000;

function timelinePanel(proto: Proto, a: RunAnalysis, scale: Scale): string {
  const f: Frame = { width: 760, height: 300, left: 64, right: 24, top: 34, bottom: 46 };
  const { x0, x1, y0 } = plotBox(f);
  const lostBand = f.top;
  const y1 = lostBand + 22;
  const sent = a.fates.reduce((m, x) => Math.max(m, x.seq), 0);
  const X = (seq: number): number => x0 + (sent <= 1 ? 0.5 : (seq - 1) / (sent - 1)) * (x1 - x0);
  const Y = (ms: number): number => y0 - scale.at(ms) * (y0 - y1);
  const s = SERIES[proto];
  const parts: string[] = [svgOpen(f, `timeline-${proto}`, `${s.label}: latency of each message, lost and late ones marked`)];
  parts.push(`<text x="${x0}" y="18" font-weight="700" font-size="14" fill="${s.color}">${s.label}</text>`);
  parts.push(`<rect x="${x0}" y="${lostBand - 8}" width="${x1 - x0}" height="16" fill="#fbeaea"/>`);
  parts.push(`<text x="${x0 - 6}" y="${lostBand + 4}" text-anchor="end" fill="${LOST_COLOR}">lost</text>`);
  parts.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#444" stroke-width="1"/>`);
  for (const t of scale.ticks) {
    const y = num(Y(t));
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" stroke="#ddd" stroke-width="0.6"/>`);
    parts.push(`<text x="${x0 - 6}" y="${y}" dy="4" text-anchor="end" fill="#222">${tickLabel(t)}</text>`);
  }
  for (const seq of seqTicks(sent)) {
    const x = num(X(seq));
    parts.push(`<text x="${x}" y="${y0 + 16}" text-anchor="middle" fill="#222">${seq}</text>`);
  }
  parts.push(`<text x="${num((x0 + x1) / 2)}" y="${f.height - 8}" text-anchor="middle" fill="#222">message number (in the order sent)</text>`);
  parts.push(`<text transform="translate(16 ${num((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle" fill="#222">latency (ms)</text>`);
  const dots: string[] = [];
  const late: string[] = [];
  const lost: string[] = [];
  const dups: string[] = [];
  let marks = 0;
  for (const fate of a.fates) {
    if (marks++ > MAX_MARKS) break;
    const x = X(fate.seq);
    if (fate.latencyMs === undefined) {
      lost.push(`M${num(x - 3.5)},${lostBand - 3.5}l7,7m0,-7l-7,7`);
      continue;
    }
    const y = Y(fate.latencyMs);
    if (fate.late) late.push(`M${num(x)},${num(y - 4.5)}l4.5,8h-9z`);
    else dots.push(`M${num(x - 1.8)},${num(y)}a1.8,1.8 0 1,0 3.6,0a1.8,1.8 0 1,0 -3.6,0`);
    if (fate.copies > 1) dups.push(`M${num(x - 4)},${num(y - 7)}h8m-4,-4v8`);
  }
  parts.push(`<path class="marks" data-kind="delivered" data-count="${dots.length}" d="${dots.join('')}" fill="${s.color}" fill-opacity="0.75"/>`);
  parts.push(`<path class="marks" data-kind="late" data-count="${late.length}" d="${late.join('')}" fill="#fff" stroke="${LATE_COLOR}" stroke-width="1.6"/>`);
  parts.push(`<path class="marks" data-kind="duplicated" data-count="${dups.length}" d="${dups.join('')}" stroke="#222" stroke-width="1.4" fill="none"/>`);
  parts.push(`<path class="marks" data-kind="lost" data-count="${lost.length}" d="${lost.join('')}" stroke="${LOST_COLOR}" stroke-width="1.8" fill="none"/>`);
  parts.push(
    rowLegend(x1, 18, [
      { label: 'arrived in order', draw: (x, y) => `<circle cx="${x + 6}" cy="${y}" r="3" fill="${s.color}"/>` },
      { label: 'arrived after a later one', draw: (x, y) => `<path d="M${x + 6},${y - 5}l5,9h-10z" fill="#fff" stroke="${LATE_COLOR}" stroke-width="1.6"/>` },
      { label: 'lost', draw: (x, y) => `<path d="M${x + 2},${y - 4}l8,8m0,-8l-8,8" stroke="${LOST_COLOR}" stroke-width="1.8"/>` },
      ...(dups.length > 0 ? [{ label: 'also came twice', draw: (x: number, y: number) => `<path d="M${x + 2},${y}h8m-4,-4v8" stroke="#222" stroke-width="1.4"/>` }] : []),
    ]),
  );
  parts.push('</svg>');
  return parts.join('');
}

/** Up to ~10 round message numbers from 1 to `sent`. */
export function seqTicks(sent: number): number[] {
  if (sent <= 1) return [1];
  const step = niceStep(sent / 10);
  const ticks = [1];
  for (let v = step; v <= sent; v += step) ticks.push(v);
  return ticks;
}
