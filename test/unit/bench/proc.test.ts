import assert from 'node:assert/strict';
import test from 'node:test';
import { parseCpuSeconds, parseOpenFilesLimit, parseVmRssKb, readCpuSeconds, readRssKb } from '../../../src/bench/proc.js';
import { parseListeningLine } from '../../../src/bench/server-process.js';

test('proc - VmRSS from /proc/PID/status', () => {
  assert.equal(parseVmRssKb('Name:\tnode\nVmPeak:\t  99 kB\nVmRSS:\t   52312 kB\nRssAnon:\t 1 kB\n'), 52312);
  assert.equal(parseVmRssKb('Name:\tzombie\n'), -1);
});

test('proc - utime + stime from /proc/PID/stat, whatever the command name holds', () => {
  const rest = 'S 1 2 3 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 1234 5678 99';
  assert.equal(parseCpuSeconds(`42 (node) ${rest}`), 3);
  assert.equal(parseCpuSeconds(`42 (a) (b c) ${rest}`), 3);
  assert.equal(parseCpuSeconds('garbage'), -1);
});

test('proc - the soft open-files limit from /proc/self/limits', () => {
  const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                20000                files\n';
  assert.equal(parseOpenFilesLimit(limits), 20000);
  assert.equal(parseOpenFilesLimit('Max open files            unlimited            unlimited            files\n'), Number.MAX_SAFE_INTEGER);
});

test('proc - reading this very process works on Linux, and -1 for no pid', { skip: process.platform !== 'linux' }, () => {
  assert.ok(readRssKb(process.pid) > 0);
  assert.ok(readCpuSeconds(process.pid) >= 0);
  assert.equal(readRssKb(0), -1);
  assert.equal(readCpuSeconds(-5), -1);
});

test('server process - the port is read from the listening line in either language', () => {
  assert.equal(parseListeningLine('charla: TCP escuchando en 127.0.0.1:40877'), 40877);
  assert.equal(parseListeningLine('charla: TCP listening on [::1]:5000'), 5000);
  assert.equal(parseListeningLine('charla: UDP escuchando en 127.0.0.1:5001'), undefined);
  assert.equal(parseListeningLine('Desde esta máquina:'), undefined);
});
