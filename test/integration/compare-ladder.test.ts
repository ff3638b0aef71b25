import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import type { ArqProtocolResult } from '../../src/lab/arq-result.js';
import { within } from '../helpers/within.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface LadderProbe {
  id: string;
  width: number;
  height: number;
  arrows: number;
  crosses: number;
  retransmissions: number;
  timeouts: number;
  lost: string[];
}

/** Runs in the page: each ladder's laid-out size, and its arrows, crosses, dashed arrows and timeout marks. */
const PROBE = `[...document.querySelectorAll('svg.ladder')].map((svg) => {
  const box = svg.getBoundingClientRect();
  const q = (sel) => [...svg.querySelectorAll(sel)];
  return {
    id: svg.getAttribute('data-ladder'),
    width: box.width,
    height: box.height,
    arrows: q('g.arrow').filter((g) => g.querySelector('line').getTotalLength() > 50).length,
    crosses: q('g.arrow path.cross').filter((p) => p.getBBox().width > 5).length,
    retransmissions: q('g.arrow line[stroke-dasharray]').length,
    timeouts: q('g.mark[data-kind=timeout]').length,
    lost: q('g.arrow[data-lost="1"] text:first-of-type').map((t) => t.textContent),
  };
})`;

test('compare-ladder - the packet ladders of a scripted run (--drop data:3,ack:5) render in Chromium with the arrows and crosses the script implies', async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'charla-ladder-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(
    process.execPath,
    [MAIN, 'compare', '--protocols', 'sw,gbn,sr', '--relay', '--messages', '5', '--rate', 'max', '--rto', '100', '--drop', 'data:3,ack:5', '--report', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await within(once(child, 'exit'), 20_000, 'the scripted run')) as [number | null];
  assert.equal(code, 0, stderr);
  const json = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as Record<'sw' | 'gbn' | 'sr', ArqProtocolResult>;

  const browser = await within(chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }), 20_000, 'Chromium to start');
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  const requests: string[] = [];
  page.on('request', (req) => requests.push(req.url()));
  await within(page.goto(pathToFileURL(join(dir, 'index.html')).href), 10_000, 'the report to load');
  assert.deepEqual(errors, []);
  assert.deepEqual(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')), [], 'nothing fetched');

  const ladders = (await page.evaluate(PROBE)) as LadderProbe[];
  assert.deepEqual(
    ladders.map((l) => l.id),
    ['sw', 'gbn', 'sr'],
  );
  // Stop-and-wait: DATA 1 2 [3 lost] 3' 4 5 5' and ACKs 1 2 3 4 [5 lost] 6.
  // Go-Back-N: DATA 0-4 (2 lost), timeout, 2' 3' 4'; ACKs 0 1 1 1 [2 lost] 3 4.
  // Selective Repeat: DATA 0-4 (2 lost), timeout, 2'; ACKs 0 1 3 4 [2 lost]; timeout, 2''; ACK 2.
  const expected = {
    sw: { arrows: 13, crosses: 2, retransmissions: 2, timeouts: 2, lost: ['DATA 0 ✕ lost', 'ACK 0 ✕ lost'] },
    gbn: { arrows: 15, crosses: 2, retransmissions: 3, timeouts: 1, lost: ['DATA 2 ✕ lost', 'ACK 2 ✕ lost'] },
    sr: { arrows: 13, crosses: 2, retransmissions: 2, timeouts: 2, lost: ['DATA 2 ✕ lost', 'ACK 2 ✕ lost'] },
  };
  for (const l of ladders) {
    const id = l.id as keyof typeof expected;
    assert.ok(l.width > 500 && l.height > 150, `${id} is laid out (${l.width}×${l.height})`);
    const { width: _w, height: _h, id: _id, ...counts } = l;
    assert.deepEqual(counts, expected[id], id);
    assert.equal(l.arrows, json[id].dataPackets + json[id].ackPackets, `${id}: one arrow per datagram the link carried`);
    assert.equal(l.crosses, json[id].dataLost + json[id].ackLost, `${id}: one cross per datagram lost`);
  }
});
