import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import type { CompareResult } from '../../src/lab/result.js';
import { launchChromium, noChromium } from '../helpers/chromium.js';
import { within } from '../helpers/within.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** What the page's charts look like to the browser, measured inside it. */
interface ChartProbe {
  id: string;
  width: number;
  height: number;
  /** Pixels that are not white once the SVG is rasterised on a canvas. */
  inked: number;
  paths: Array<{ series: string | null; kind: string | null; count: number; length: number; width: number }>;
}

/**
 * Runs in the page (a string: the test is compiled without the DOM's types). For each chart:
 * its laid-out size, its marks, and how many pixels it inks once rasterised onto a canvas.
 */
const PROBE_CHARTS = `Promise.all([...document.querySelectorAll('svg.chart')].map(async (svg) => {
  const box = svg.getBoundingClientRect();
  const paths = [...svg.querySelectorAll('path.series, path.marks')].map((p) => ({
    series: p.getAttribute('data-series'),
    kind: p.getAttribute('data-kind'),
    count: Number(p.getAttribute('data-points') ?? p.getAttribute('data-count')),
    length: p.getTotalLength(),
    width: p.getBBox().width,
  }));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(box.width);
  canvas.height = Math.round(box.height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const img = new Image();
  img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(new XMLSerializer().serializeToString(svg));
  await img.decode();
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] < 600) inked++;
  return { id: svg.getAttribute('data-chart') ?? '', width: box.width, height: box.height, inked, paths };
}))`;

test('compare-report - the HTML report renders its charts in headless Chromium, on screen and in print', async (t) => {
  const missing = noChromium();
  if (missing !== undefined) return t.skip(missing);
  const dir = mkdtempSync(join(tmpdir(), 'charla-report-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const child = spawn(
    process.execPath,
    [MAIN, 'compare', '--relay', '--loss', '15', '--delay', '5', '--reorder', '20', '--duplicate', '5', '--messages', '80', '--rate', '400', '--receivers', '2', '--report', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await within(once(child, 'exit'), 20_000, 'the run that writes the report')) as [number | null];
  assert.equal(code, 0, stderr);
  const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as CompareResult;

  const browser = await launchChromium(t);
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const requests: string[] = [];
  page.on('request', (req) => requests.push(req.url()));
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  await within(page.goto(pathToFileURL(join(dir, 'index.html')).href), 10_000, 'the report to load');

  assert.deepEqual(
    requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')),
    [],
    'the page fetches nothing from the network',
  );
  assert.deepEqual(errors, []);
  assert.match(await page.title(), /TCP vs UDP/);
  assert.equal(await page.locator('table.results tbody tr').count(), 13);

  const charts = (await page.evaluate(PROBE_CHARTS)) as ChartProbe[];
  assert.deepEqual(
    charts.map((c) => c.id),
    ['cdf', 'timeline-tcp', 'timeline-udp'],
  );
  for (const c of charts) {
    assert.ok(c.width > 500 && c.height > 150, `${c.id} is laid out (${c.width}×${c.height})`);
    assert.ok(c.inked > 2000, `${c.id} has ink (${c.inked} dark pixels)`);
  }
  const cdf = charts[0] as ChartProbe;
  for (const proto of ['tcp', 'udp'] as const) {
    const line = cdf.paths.find((p) => p.series === proto);
    assert.ok(line !== undefined && line.length > 100 && line.width > 50, `the ${proto} CDF line is drawn`);
    assert.equal(line.count, result[proto].delivered);
  }
  const marks = (id: string, kind: string): ChartProbe['paths'][number] | undefined => charts.find((c) => c.id === id)?.paths.find((p) => p.kind === kind);
  assert.equal(marks('timeline-udp', 'lost')?.count, result.udp.lost, 'one cross per lost UDP message');
  assert.ok((marks('timeline-udp', 'lost')?.length ?? 0) > 0);
  assert.equal(marks('timeline-udp', 'late')?.count, result.udp.outOfOrder);
  assert.equal(marks('timeline-tcp', 'lost')?.count, 0);
  assert.equal((marks('timeline-tcp', 'delivered')?.count ?? 0) + (marks('timeline-tcp', 'late')?.count ?? 0), result.tcp.delivered);

  // In print the charts keep their size and stay inside an A4 page.
  await page.emulateMedia({ media: 'print' });
  const printed = (await page.evaluate(`[...document.querySelectorAll('svg.chart')].map((s) => s.getBoundingClientRect().width)`)) as number[];
  for (const w of printed) assert.ok(w > 300 && w <= 1000, `printed chart width ${w}`);
  const pdf = await within(page.pdf({ format: 'A4' }), 15_000, 'the report to print');
  assert.ok(pdf.length > 10_000 && pdf.subarray(0, 5).toString() === '%PDF-');
});
