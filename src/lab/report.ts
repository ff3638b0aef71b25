/**
 * `--report DIR`: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched)
 * with the table, the charts and the settings, plus the JSON result beside it. It prints on A4
 * or Letter: sections do not split across pages and the charts stay legible in grey.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ArqSection, arqSectionHtml } from './arq-report.js';
import { cdfChart, esc, timelineChart } from './charts.js';
import { describeImpairment } from './impairment.js';
import type { Proto } from './payload.js';
import type { CaptureReport, CompareResult } from './result.js';
import type { RunAnalysis } from './stats.js';
import { captureRows, formatMs, tableRows } from './table.js';

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 860px; padding: 28px 24px 48px; color: #1a1a1a; background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 2px solid #e5e5e5; padding-bottom: 4px; }
p { margin: 6px 0; }
.sub { color: #444; margin: 0 0 8px; }
.lead { color: #333; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid #e3e3e3; text-align: left; vertical-align: top; }
th { font-weight: 600; }
td.n, th.n { text-align: right; white-space: nowrap; }
thead th { border-bottom: 2px solid #999; }
tr.sub td:first-child { padding-left: 26px; color: #444; }
.tcp { color: #1f4e9c; } .udp { color: #c2410c; }
.settings td:first-child { width: 40%; color: #333; }
figure { margin: 8px 0 16px; }
figcaption { color: #333; font-size: 14px; margin-top: 4px; }
svg.chart { display: block; max-width: 100%; height: auto; }
.notes li { margin: 4px 0; }
table.capture td:first-child { width: 22%; color: #333; }
table.capture td { width: 39%; }
.fine { color: #444; font-size: 13.5px; margin-top: 8px; }
code { font: 0.9em ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; background: #f3f3f3; padding: 0 3px; }
footer { margin-top: 32px; color: #555; font-size: 13px; }
pre.arq-table { font: 12px/1.35 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; overflow-x: auto; }
figure.ladder svg.ladder { max-width: 760px; }
@page { margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  h1 { font-size: 18pt; }
  h2 { font-size: 12.5pt; margin: 14px 0 6px; break-after: avoid; }
  th, td { padding: 2px 8px; }
  figure, table, li { break-inside: avoid; }
  svg.chart { max-height: 105mm; width: auto; margin: 0 auto; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;

/** The page of a run with only ARQ protocols (no chat server: no tcp or udp part). */
export function renderArqReport(arq: ArqSection): string {
  const s = arq.report.settings;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>charla compare: ARQ over UDP (${esc(s.mode)}, ${esc(describeImpairment(s.impairment))})</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Reliability on UDP</h1>
<p class="sub">charla compare · mode <b>${esc(s.mode)}</b> · impairment: <b>${esc(describeImpairment(s.impairment))}</b> on ${s.direction === 'both' ? 'DATA and ACKs' : 'DATA only'}</p>
</header>
${arqSectionHtml(arq)}
<footer>Made by <code>charla compare</code>. The numbers are in result.json beside this page.</footer>
</body>
</html>
`;
}

/** The report page as a string; `arq` adds the ARQ protocols' table, ladders and sweep. */
export function renderReport(result: CompareResult, analyses: Record<Proto, RunAnalysis>, arq?: ArqSection): string {
  const r = result;
  const rows = tableRows(r)
    .map(([label, tcp, udp]) => `<tr${label.startsWith('  ') ? ' class="sub"' : ''}><td>${esc(label.trim())}</td><td class="n">${esc(tcp)}</td><td class="n">${esc(udp)}</td></tr>`)
    .join('\n');
  const imp = r.impairment;
  const setting = (label: string, value: string): string => `<tr><td>${esc(label)}</td><td>${esc(value)}</td></tr>`;
  const settings = [
    setting('mode', r.mode),
    setting('impairment in force', describeImpairment(imp)),
    setting('loss', `${imp.lossPct}%`),
    setting('delay', `${imp.delayMs} ms`),
    setting('jitter', `± ${imp.jitterMs} ms`),
    setting('duplicate', `${imp.duplicatePct}%`),
    setting('reorder', `${imp.reorderPct}%`),
    setting('direction', 'server → clients (one hop: each message crosses it once per receiver)'),
    ...(imp.unavailable.length > 0 ? [setting('asked for but unavailable in this mode', imp.unavailable.join(', '))] : []),
    ...(imp.seed !== null ? [setting('seed', String(imp.seed))] : []),
    setting('messages × receivers', `${r.run.messages} × ${r.run.receivers} per protocol`),
    setting('message size, rate', `${r.run.sizeBytes} bytes, ${r.run.ratePerSec} messages/s`),
    setting('server', r.run.server === 'own' ? "the lab's own (a TCP-only and a UDP-only charla server)" : r.run.server),
    setting('run', `${r.run.runId}, ${r.run.startedAt}, ${(r.run.durationMs / 1000).toFixed(1)} s`),
  ].join('\n');
  const notes = r.notes.map((n) => `<li>${esc(n)}</li>`).join('\n');
  const packets = r.capture === null ? '' : packetSection(r.capture);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>charla compare: TCP vs UDP (${esc(r.mode)}, ${esc(describeImpairment(imp))})</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>TCP vs UDP</h1>
<p class="sub">charla compare · ${esc(r.run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))} · mode <b>${esc(r.mode)}</b> · impairment: <b>${esc(describeImpairment(imp))}</b></p>
<p class="lead">The same ${r.run.messages} numbered messages were sent over <span class="tcp">TCP</span> and over <span class="udp">UDP</span> to ${r.run.receivers} receivers each.
Median latency: <span class="tcp">TCP ${esc(formatMs(r.tcp.latencyMs.p50))}</span>, <span class="udp">UDP ${esc(formatMs(r.udp.latencyMs.p50))}</span>;
delivered: <span class="tcp">TCP ${r.tcp.delivered}/${r.tcp.expected}</span>, <span class="udp">UDP ${r.udp.delivered}/${r.udp.expected}</span>.</p>
</header>
<section id="summary">
<h2>Results</h2>
<table class="results"><thead><tr><th></th><th class="n tcp">TCP</th><th class="n udp">UDP</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</section>
<section id="latency">
<h2>Latency distribution</h2>
<figure>${cdfChart(analyses)}
<figcaption>Share of all (message, receiver) pairs delivered within a given latency. A curve that stops below 100% lost the rest; a curve that reaches 100% late waited for retransmissions.</figcaption></figure>
</section>
<section id="timeline">
<h2>Delivery and order over time</h2>
<figure>${timelineChart(analyses)}
<figcaption>Each receiver's copy of each message. Crosses on top: lost. Triangles: arrived after a higher-numbered message. On TCP a loss shows as a run of late messages that all waited for one retransmission (head-of-line blocking).</figcaption></figure>
</section>
<section id="settings">
<h2>Settings</h2>
<table class="settings"><tbody>
${settings}
</tbody></table>
</section>
${packets}
${arq === undefined ? '' : arqSectionHtml(arq)}
${notes === '' ? '' : `<section id="notes"><h2>Notes</h2><ul class="notes">${notes}</ul></section>`}
<footer>Made by <code>charla compare</code>. The numbers are in result.json beside this page.</footer>
</body>
</html>
`;
}

function packetSection(c: CaptureReport): string {
  const rows = captureRows(c)
    .map(([label, tcp, udp]) => `<tr><td>${esc(label)}</td><td>${esc(tcp)}</td><td>${esc(udp)}</td></tr>`)
    .join('\n');
  return `<section id="packets">
<h2>Packets</h2>
<table class="capture"><thead><tr><th></th><th class="tcp">TCP</th><th class="udp">UDP</th></tr></thead><tbody>
${rows}
</tbody></table>
<p class="fine">Captured with ${esc(c.tool)} on ${esc(c.where)}. <code>${esc(c.file)}</code> opens in Wireshark; try the display filters
<code>tcp.flags.syn == 1</code>, <code>tcp.analysis.retransmission</code> and <code>udp</code>.</p>
</section>`;
}

/** Writes DIR/index.html and DIR/result.json (`json`: the --json object); returns the page's path. */
export async function writeReport(
  dir: string,
  chat: { result: CompareResult; analyses: Record<Proto, RunAnalysis> } | undefined,
  arq: ArqSection | undefined,
  json: object,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const page = join(dir, 'index.html');
  const html = chat !== undefined ? renderReport(chat.result, chat.analyses, arq) : arq !== undefined ? renderArqReport(arq) : '';
  await writeFile(page, html);
  await writeFile(join(dir, 'result.json'), `${JSON.stringify(json, null, 2)}\n`);
  return page;
}
