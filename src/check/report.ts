/**
 * The outputs of a run: the table for a terminal (colours when it is one), the JSON object,
 * JUnit XML for autograders and CI, and a self-contained HTML page for the teacher. Pure:
 * strings in, strings out.
 */
import { type Lang, type MessageKey, text } from '../hub/messages.js';
import type { Grade } from './rubric.js';
import type { CheckReport, CheckResult } from './run.js';
import type { Framing, Status } from './scenario.js';
import { SCENARIOS } from './scenarios.js';
import { CLIENT_SCENARIO_IDS } from './client.js';

/** One server graded: a file in folder mode, or the target given with --tcp/--udp. */
export interface Graded {
  /** The file, or "HOST:PORT". */
  name: string;
  /** 'ok', or why it could not be (fully) graded, in the run's language. */
  state: 'ok' | 'crashed' | 'never_listened' | 'died';
  stateText: string;
  report: CheckReport | undefined;
  grade: Grade | undefined;
}

const COLOR: Record<Status, string> = { pass: '\u001b[32m', fail: '\u001b[31m', skip: '\u001b[33m' };
const RESET = '\u001b[0m';
const BOLD = '\u001b[1m';
const DIM = '\u001b[2m';

function framingText(lang: Lang, framing: Framing): string {
  return text(lang, `check_framing_${framing}` as MessageKey);
}

/** The JSON object of one run (the issue's shape: results, passed, failed, skipped). */
export function toJson(report: CheckReport, grade?: Grade): Record<string, unknown> {
  const out: Record<string, unknown> = {
    results: report.results.map(({ id, group, status, evidence, explanation }) => ({ id, group, status, evidence, explanation })),
    passed: report.passed,
    failed: report.failed,
    skipped: report.skipped,
  };
  if (report.subject !== 'client') out['framing'] = report.framing;
  if (grade !== undefined) out['grade'] = { points: grade.points, max: grade.max };
  return out;
}

function statusWord(status: Status, color: boolean): string {
  const word = status.toUpperCase();
  return color ? `${COLOR[status]}${BOLD}${word}${RESET}` : word;
}

function indent(block: string, prefix: string): string {
  return block
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

/** The table of one run, with each failure's evidence and explanation under it. */
export function formatTable(report: CheckReport, opts: { lang: Lang; color: boolean; target: string; grade?: Grade }): string {
  const t = (key: MessageKey, params?: Record<string, string | number>): string => text(opts.lang, key, params);
  const idW = Math.max(...report.results.map((r) => r.id.length), t('check_col_scenario').length);
  const groupW = Math.max('robustness'.length, t('check_col_group').length);
  const lines: string[] = [];
  lines.push(t('check_heading', { targets: opts.target }));
  if (report.subject !== 'client') lines.push(framingText(opts.lang, report.framing));
  lines.push('');
  const head = `${t('check_col_scenario').padEnd(idW)}  ${t('check_col_group').padEnd(groupW)}  ${t('check_col_result').padEnd(6)}  ${t('check_col_what')}`;
  lines.push(opts.color ? `${BOLD}${head}${RESET}` : head);
  for (const r of report.results) {
    const title = t(`check_title_${r.id}` as MessageKey);
    const note = r.status === 'skip' ? ` (${r.explanation})` : '';
    const rest = `${title}${note}`;
    lines.push(`${r.id.padEnd(idW)}  ${r.group.padEnd(groupW)}  ${statusWord(r.status, opts.color)}${' '.repeat(6 - r.status.length)}  ${opts.color && r.status === 'skip' ? DIM + rest + RESET : rest}`);
  }
  const failures = report.results.filter((r) => r.status === 'fail');
  for (const r of failures) {
    lines.push('');
    lines.push(`${statusWord('fail', opts.color)} ${opts.color ? BOLD + r.id + RESET : r.id}`);
    lines.push(indent(wrap(r.explanation, 96), '  '));
    if (r.evidence !== '') {
      lines.push(`  ${t('check_evidence')}:`);
      lines.push(indent(r.evidence, '    '));
    }
  }
  lines.push('');
  lines.push(t('check_summary', { passed: report.passed, failed: report.failed, skipped: report.skipped }));
  if (opts.grade !== undefined) lines.push(gradeLine(opts.lang, opts.grade));
  return lines.join('\n');
}

export function gradeLine(lang: Lang, g: Grade): string {
  const percent = g.max > 0 ? Math.round((g.points / g.max) * 1000) / 10 : 0;
  return text(lang, 'check_grade', { points: g.points, max: g.max, percent });
}

/** Folds a paragraph at spaces to `width` columns. */
export function wrap(paragraph: string, width: number): string {
  const out: string[] = [];
  let line = '';
  for (const word of paragraph.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(line);
  return out.join('\n');
}

const MARK: Record<Status, string> = { pass: '✓', fail: '✗', skip: '·' };

/** Folder mode: one row per file, one column per scenario (numbered, with a legend). */
export function formatSummary(graded: readonly Graded[], opts: { lang: Lang; color: boolean }): string {
  const t = (key: MessageKey, params?: Record<string, string | number>): string => text(opts.lang, key, params);
  const nameW = Math.max(t('check_col_file').length, ...graded.map((g) => g.name.length));
  const cols = SCENARIOS.map((_, i) => String(i + 1).padStart(2));
  const lines: string[] = [];
  const hasGrade = graded.some((g) => g.grade !== undefined);
  lines.push(`${t('check_col_file').padEnd(nameW)}  ${cols.join(' ')}  ${'✓/✗'.padEnd(5)}${hasGrade ? '  ' + t('check_col_grade').padEnd(12) : ''}  ${t('check_col_state')}`);
  for (const g of graded) {
    const cells = SCENARIOS.map((s) => {
      const r = g.report?.results.find((x) => x.id === s.id);
      const status: Status | undefined = r?.status;
      const mark = status === undefined ? '-' : MARK[status];
      return ` ${opts.color && status !== undefined ? COLOR[status] + mark + RESET : mark}`;
    });
    const counts = g.report === undefined ? '-' : `${g.report.passed}/${g.report.failed}`;
    const gradeCell = hasGrade ? `  ${(g.grade === undefined ? '-' : `${g.grade.points}/${g.grade.max}`).padEnd(12)}` : '';
    lines.push(`${g.name.padEnd(nameW)}  ${cells.join(' ')}  ${counts.padEnd(5)}${gradeCell}  ${g.stateText}`);
  }
  lines.push('');
  lines.push(t('check_legend', { legend: SCENARIOS.map((s, i) => `${i + 1} ${s.id}`).join(', ') }));
  return lines.join('\n');
}

function xml(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JUnit XML: one testsuite per server graded, one testcase per scenario (classname = group). */
export function toJunit(graded: readonly Graded[]): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  for (const g of graded) {
    const cases: string[] = [];
    if (g.report === undefined) {
      errors += 1;
      tests += 1;
      suites.push(`  <testsuite name="${xml(g.name)}" tests="1" failures="0" errors="1" skipped="0">\n    <testcase classname="server" name="start"><error message="${xml(g.stateText)}">${xml(g.stateText)}</error></testcase>\n  </testsuite>`);
      continue;
    }
    const r = g.report;
    for (const res of r.results) {
      const time = ((r.durations[res.id] ?? 0) / 1000).toFixed(3);
      const open = `    <testcase classname="${res.group}" name="${xml(res.id)}" time="${time}"`;
      if (res.status === 'pass') cases.push(`${open}>${res.evidence === '' ? '' : `<system-out>${xml(res.evidence)}</system-out>`}</testcase>`);
      else if (res.status === 'skip') cases.push(`${open}><skipped message="${xml(res.explanation)}"/></testcase>`);
      else cases.push(`${open}><failure message="${xml(res.explanation)}">${xml(`${res.explanation}\n\n${res.evidence}`)}</failure></testcase>`);
    }
    tests += r.results.length;
    failures += r.failed;
    skipped += r.skipped;
    const props = g.grade === undefined ? '' : `    <properties><property name="points" value="${g.grade.points}"/><property name="max" value="${g.grade.max}"/></properties>\n`;
    const stateProp = g.state === 'ok' ? '' : `    <system-err>${xml(g.stateText)}</system-err>\n`;
    suites.push(`  <testsuite name="${xml(g.name)}" tests="${r.results.length}" failures="${r.failed}" errors="0" skipped="${r.skipped}">\n${props}${cases.join('\n')}\n${stateProp}  </testsuite>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="charla check" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}">\n${suites.join('\n')}\n</testsuites>\n`;
}

function html(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A self-contained page (inline CSS, no scripts, no external assets): summary, then each server. */
export function toHtml(graded: readonly Graded[], lang: Lang): string {
  const t = (key: MessageKey, params?: Record<string, string | number>): string => text(lang, key, params);
  const cell = (r: CheckResult | undefined): string =>
    r === undefined ? '<td>-</td>' : `<td class="${r.status}" title="${html(r.id)}">${MARK[r.status]}</td>`;
  // The scenarios that were run (a server's, or a client's with --client), in their order.
  const ran = new Set(graded.flatMap((g) => (g.report?.results ?? []).map((r) => r.id)));
  const ids = [...SCENARIOS.map((s) => s.id).filter((id) => ran.has(id) || ran.size === 0), ...CLIENT_SCENARIO_IDS.filter((id) => ran.has(id))];
  const summary = [
    '<table class="grid"><tr><th>' + html(t('check_col_file')) + '</th>',
    ...ids.map((id) => ({ id })).map((s) => `<th class="v"><a href="#s-${s.id}">${html(s.id)}</a></th>`),
    '<th>✓/✗</th><th>' + html(t('check_col_state')) + '</th></tr>',
    ...graded.map(
      (g, i) =>
        `<tr><td><a href="#f${i}">${html(g.name)}</a></td>${ids.map((id) => cell(g.report?.results.find((r) => r.id === id))).join('')}` +
        `<td>${g.report === undefined ? '-' : `${g.report.passed}/${g.report.failed}`}${g.grade === undefined ? '' : ` · ${g.grade.points}/${g.grade.max}`}</td><td>${html(g.stateText)}</td></tr>`,
    ),
    '</table>',
  ].join('\n');
  const sections = graded.map((g, i) => {
    const rows = (g.report?.results ?? []).map(
      (r) =>
        `<tr class="${r.status}"><td><code>${html(r.id)}</code></td><td>${r.group}</td><td class="${r.status}">${r.status.toUpperCase()}</td><td>${html(t(`check_title_${r.id}` as MessageKey))}` +
        (r.explanation === '' ? '' : `<p>${html(r.explanation)}</p>`) +
        (r.evidence === '' ? '' : `<details${r.status === 'fail' ? ' open' : ''}><summary>${html(t('check_evidence'))}</summary><pre>${html(r.evidence)}</pre></details>`) +
        '</td></tr>',
    );
    const framing = g.report === undefined || g.report.subject === 'client' ? '' : `${framingText(lang, g.report.framing)}. `;
    const head = g.report === undefined ? '' : `<p>${html(framing)}${html(t('check_summary', { passed: g.report.passed, failed: g.report.failed, skipped: g.report.skipped }))}${g.grade === undefined ? '' : ` ${html(gradeLine(lang, g.grade))}`}</p>`;
    return `<section id="f${i}"><h2>${html(g.name)}</h2><p>${html(g.stateText)}</p>${head}<table class="results"><tr><th>${html(t('check_col_scenario'))}</th><th>${html(t('check_col_group'))}</th><th>${html(t('check_col_result'))}</th><th>${html(t('check_col_what'))}</th></tr>${rows.join('\n')}</table></section>`;
  });
  const concepts = ids.map((id) => ({ id })).map((s) => `<dt id="s-${s.id}"><code>${s.id}</code> — ${html(t(`check_title_${s.id}` as MessageKey))}</dt><dd>${html(t(`check_explain_${s.id}` as MessageKey))}</dd>`).join('\n');
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>charla check</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2em;color:#222;max-width:80em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}
.grid td{text-align:center}.grid td:first-child{text-align:left}th.v{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal}
td.pass{color:#176b2c;background:#e6f4ea}td.fail{color:#a11;background:#fde8e8;font-weight:bold}td.skip{color:#8a6d00;background:#fff7d6}
pre{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:.5em;margin:.3em 0}p{margin:.3em 0}dt{margin-top:.6em;font-weight:bold}
</style></head><body>
<h1>charla check</h1>
${summary}
${sections.join('\n')}
<h2>${html(t('check_explanation'))}</h2><dl>${concepts}</dl>
</body></html>
`;
}
