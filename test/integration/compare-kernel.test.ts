import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TestContext, test } from 'node:test';
import { findExecutable, kernelModeProblem } from '../../src/lab/netns.js';
import type { CompareResult } from '../../src/lab/result.js';
import { within } from '../helpers/within.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Why kernel mode cannot be proved here (root, ip and nft are needed), or undefined. */
function missing(): string | undefined {
  const problem = kernelModeProblem();
  if (problem !== undefined) return problem;
  // netem may be missing (it is in CI's kernel); nftables then applies the loss.
  if (findExecutable('nft') === undefined) return 'nft is not installed (apt-get install nftables)';
  return undefined;
}

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/** What must not change on the host: its interfaces and its nftables ruleset. */
function hostState(): string {
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).replace(/\s+state \S+|\s+qlen \d+/g, '');
  const nft = findExecutable('nft');
  const rules = nft === undefined ? '' : execFileSync(nft, ['list', 'ruleset'], { encoding: 'utf8' });
  return `${links}\n${rules}`;
}

function spawnCompare(t: TestContext, args: string[]) {
  const child = spawn(process.execPath, [MAIN, 'compare', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
  return { child, out };
}

test('compare-kernel - with loss on a real link UDP loses about that share, TCP retransmits and delivers all in order', async (t) => {
  const why = missing();
  if (why !== undefined) return t.skip(`kernel mode not available here: ${why}`);
  const before = hostState();
  const dir = mkdtempSync(join(tmpdir(), 'charla-kernel-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const capture = findExecutable('tcpdump') !== undefined || findExecutable('tshark') !== undefined;
  const { child, out } = spawnCompare(t, ['--kernel', '--loss', '20', '--messages', '150', '--rate', '300', '--receivers', '2', '--json', '--report', dir, ...(capture ? ['--capture'] : [])]);
  const [code] = (await within(once(child, 'exit'), 40_000, 'the kernel-mode run')) as [number | null];
  assert.equal(code, 0, out.stderr);
  const r = JSON.parse(out.stdout) as CompareResult;
  assert.match(r.mode, /^kernel-(netem|nftables)$/);
  assert.equal(r.impairment.lossPct, 20);
  for (const p of [r.tcp, r.udp]) assert.equal(p.delivered + p.lost, p.expected);
  assert.equal(r.udp.expected, 300);
  assert.ok(Math.abs(r.udp.lossPct - 20) <= 8, `UDP lost ${r.udp.lossPct}% with --loss 20`);
  assert.equal(r.tcp.delivered, r.tcp.expected, 'TCP delivers everything');
  assert.equal(r.tcp.outOfOrder, 0, 'and in order');
  assert.ok((r.tcp.latencyMs.max as number) > (r.udp.latencyMs.p99 as number), `TCP's tail (${r.tcp.latencyMs.max} ms) waits for retransmissions`);
  if (capture) {
    assert.ok(r.capture !== null, 'the capture was summarised');
    const s = r.capture.summary;
    assert.equal(s.tcp.connections, 3, 'one sender and two receivers');
    assert.equal(s.tcp.handshakes, 3);
    assert.ok(s.tcp.retransmissions > 0, 'the kernel retransmitted lost segments');
    assert.ok(s.tcp.fins >= 6, 'each connection closed both ways');
    assert.ok(s.udp.datagrams >= 150 * 3, 'every datagram the server sent was captured before the loss');
    assert.equal(r.tcp.wireBytesEstimated, false);
  } else {
    t.diagnostic('no tcpdump or tshark: the packet view was not checked');
  }
  assert.deepEqual(
    namespaces().filter((n) => n.startsWith(`charla-${child.pid}-`)),
    [],
    'its namespaces were removed',
  );
  assert.equal(hostState(), before, "the host's interfaces and nftables rules are untouched");
});

test('compare-kernel - Ctrl+C in the middle of a run removes its namespaces and processes', async (t) => {
  const why = missing();
  if (why !== undefined) return t.skip(`kernel mode not available here: ${why}`);
  const { child, out } = spawnCompare(t, ['--kernel', '--loss', '5', '--messages', '2000', '--rate', '50']);
  // The run names its namespaces on stderr before it starts sending.
  const started = new Promise<string[]>((resolve) => {
    child.stderr.on('data', () => {
      const m = /\(namespaces (\S+), (\S+)\)/.exec(out.stderr);
      if (m !== null) resolve([m[1] as string, m[2] as string]);
    });
  });
  const names = await within(started, 15_000, 'the run to announce its namespaces');
  assert.deepEqual(
    names.filter((n) => namespaces().includes(n)),
    names,
  );
  process.kill(child.pid as number, 'SIGINT');
  const [code] = (await within(once(child, 'exit'), 15_000, 'the interrupted run to exit')) as [number | null];
  assert.equal(code, 130, out.stderr);
  assert.match(out.stderr, /interrupted; everything the run had set up was removed/);
  assert.deepEqual(
    names.filter((n) => namespaces().includes(n)),
    [],
  );
});

test('compare-kernel - --cleanup removes the namespaces of dead runs and leaves live ones', async (t) => {
  const why = missing();
  if (why !== undefined) return t.skip(`kernel mode not available here: ${why}`);
  const gone = spawn(process.execPath, ['-e', '']);
  await within(once(gone, 'exit'), 5000, 'a short-lived process');
  const dead = `charla-${gone.pid}-zz${Math.floor(Math.random() * 36 ** 2).toString(36)}-s`;
  const alive = `charla-${process.pid}-zz${Math.floor(Math.random() * 36 ** 2).toString(36)}-c`;
  for (const ns of [dead, alive]) {
    execFileSync('ip', ['netns', 'add', ns]);
    t.after(() => {
      if (namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
    });
  }
  const { child, out } = spawnCompare(t, ['--cleanup']);
  const [code] = (await within(once(child, 'exit'), 10_000, 'charla compare --cleanup')) as [number | null];
  assert.equal(code, 0, out.stderr);
  assert.match(out.stdout, new RegExp(`removed .*${dead}`));
  assert.equal(namespaces().includes(dead), false);
  assert.equal(namespaces().includes(alive), true, 'a live run keeps its namespaces');
});
