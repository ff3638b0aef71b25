import assert from 'node:assert/strict';
import test from 'node:test';
import { AnsiStripper, escapeBytes, showBytes, showText } from '../../../src/check/escape.js';
import { fillCommand, splitCommand } from '../../../src/check/launch.js';
import { grade, parseRubric, weights } from '../../../src/check/rubric.js';
import type { CheckResult } from '../../../src/check/run.js';
import { SCENARIOS } from '../../../src/check/scenarios.js';

test('check evidence - a UTF-8 character cut in two shows as its bytes, whole ones as text', () => {
  const bytes = Buffer.from('café\n', 'utf8');
  assert.equal(escapeBytes(bytes.subarray(0, 4)), 'caf\\xc3');
  assert.equal(escapeBytes(bytes.subarray(4)), '\\xa9\\n');
  assert.equal(escapeBytes(bytes), 'café\\n');
  assert.equal(showText('a\r\n\u001b[31m"\ufffd'), '"a\\r\\n\\x1b[31m\\"\\ufffd"');
});

test('check evidence - a megabyte is shortened to one line that says how much was left out', () => {
  const shown = showBytes(Buffer.alloc(1024 * 1024, 'x'));
  assert.ok(shown.length < 120, shown);
  assert.match(shown, /\(1048576 bytes\)/);
  assert.match(showText('y'.repeat(500)), /^"y+…\(\+\d+\)…y+"$/);
});

test('check evidence - colours are stripped from a stream even when a sequence is cut between chunks', () => {
  const s = new AnsiStripper();
  assert.equal(s.push('\u001b[1;3'), '');
  assert.equal(s.push('1mana\u001b[0m: hola\u001b'), 'ana: hola');
  assert.equal(s.push('[0m\n'), '\n');
  assert.equal(s.push('\u001b]0;title\u0007ok'), 'ok');
});

test('check launch - the command is split into words and its placeholders filled, with no shell', () => {
  const words = splitCommand(`python3 "{dir}/mi servidor.py" 127.0.0.1 {port} --udp={udp_port} 'a b'`);
  assert.deepEqual(words, ['python3', '{dir}/mi servidor.py', '127.0.0.1', '{port}', '--udp={udp_port}', 'a b']);
  assert.deepEqual(fillCommand(words, { file: '/c/ana/s.py', port: 4000, udpPort: 4001, host: '127.0.0.1' }), [
    'python3', '/c/ana/mi servidor.py', '127.0.0.1', '4000', '--udp=4001', 'a b',
  ]);
  assert.throws(() => splitCommand('python3 "x'), /unclosed/);
});

test('check rubric - a group shares its points among its scenarios without their own; SKIP counts toward nothing', () => {
  const rubric = parseRubric('{"seed": 90, "utf8": 10, "robustness": 12}', 'r.json');
  const w = weights(rubric);
  assert.equal(w['utf8'], 10);
  assert.equal(w['join_notice'], 10); // 90 shared by the 9 other seed scenarios
  assert.equal(w['lf_lines'], 1); // 12 shared by the 12 robustness scenarios
  const results: CheckResult[] = SCENARIOS.map((s) => ({
    id: s.id,
    group: s.group,
    status: s.id === 'utf8' ? 'fail' : s.transport === 'udp' ? 'skip' : 'pass',
    evidence: '',
    explanation: '',
  }));
  // Ran: 8 seed TCP (utf8 failed: 7 × 10 earned of 70 + 10) and 11 robustness TCP (11 of 11).
  assert.deepEqual({ ...grade(rubric, results), weights: undefined }, { points: 81, max: 91, weights: undefined });
  assert.throws(() => parseRubric('{"seeds": 1}', 'r.json'), /"seeds" is neither a scenario id nor a group/);
  assert.throws(() => parseRubric('{"seed": -1}', 'r.json'), /at least 0/);
  assert.throws(() => parseRubric('nope', 'r.json'), /not JSON/);
});

test('check scenarios - ids are unique and every one has a title and an explanation in both languages', async () => {
  const { text } = await import('../../../src/hub/messages.js');
  const ids = SCENARIOS.map((s) => s.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) {
    for (const lang of ['es', 'en'] as const) {
      for (const kind of ['title', 'explain']) {
        const key = `check_${kind}_${id}` as Parameters<typeof text>[1];
        assert.notEqual(text(lang, key), undefined, `${key} ${lang}`);
      }
    }
  }
});
