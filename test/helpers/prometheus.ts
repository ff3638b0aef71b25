/**
 * A small, strict reader of the Prometheus text exposition format (0.0.4), for tests: it throws
 * on any line that is not a `# HELP`, a `# TYPE` or a sample `name{label="value",...} number`,
 * on a sample whose family has no TYPE before it, on a family written twice or split, on a
 * counter not ending in `_total`, and on a duplicate sample.
 */

export interface Family {
  readonly name: string;
  readonly type: string;
  help: string | undefined;
  readonly samples: { labels: Record<string, string>; value: number }[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheus(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  let current: Family | undefined;
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, i) => {
    const where = `line ${i + 1} (${JSON.stringify(line)})`;
    if (line.startsWith('# HELP ')) {
      const m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
      if (m === null) throw new Error(`bad HELP at ${where}`);
      const pending = families.get(m[1] as string);
      if (pending !== undefined) throw new Error(`HELP after the family ${m[1]} began, at ${where}`);
      helps.set(m[1] as string, m[2] as string);
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const m = new RegExp(`^# TYPE (${NAME}) (\\w+)$`).exec(line);
      if (m === null || !TYPES.has(m[2] as string)) throw new Error(`bad TYPE at ${where}`);
      const name = m[1] as string;
      if (families.has(name)) throw new Error(`family ${name} declared twice, at ${where}`);
      if (m[2] === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} does not end in _total, at ${where}`);
      current = { name, type: m[2] as string, help: helps.get(name), samples: [] };
      families.set(name, current);
      return;
    }
    if (line.startsWith('#') || line.trim() === '') throw new Error(`unexpected comment or blank at ${where}`);
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`not a sample at ${where}`);
    const [, name, rawLabels, rawValue] = m as unknown as [string, string, string | undefined, string];
    if (current === undefined || current.name !== name) throw new Error(`sample ${name} outside its family (no TYPE just before), at ${where}`);
    const value = rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : rawValue === 'NaN' ? NaN : Number(rawValue);
    if (!/^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/.test(rawValue)) throw new Error(`bad value at ${where}`);
    const labels: Record<string, string> = {};
    let rest = rawLabels ?? '';
    for (let n = 0; rest.length > 0 && n < 100; n++) {
      const l = LABEL.exec(rest);
      if (l === null) throw new Error(`bad labels at ${where}`);
      if (Object.hasOwn(labels, l[1] as string)) throw new Error(`label ${l[1]} twice at ${where}`);
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(l[0].length);
    }
    if (rest.length > 0) throw new Error(`too many labels at ${where}`);
    const key = JSON.stringify(labels);
    if (current.samples.some((s) => JSON.stringify(s.labels) === key)) throw new Error(`duplicate sample at ${where}`);
    current.samples.push({ labels, value });
  });
  for (const family of families.values()) if (family.help === undefined) throw new Error(`family ${family.name} has no HELP`);
  return families;
}

/** The value of `name`'s sample with exactly `labels` (none: the unlabelled sample); throws when missing. */
export function sample(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  if (family === undefined) throw new Error(`no metric ${name} (have: ${[...families.keys()].join(', ')})`);
  const key = JSON.stringify(labels);
  const found = family.samples.find((s) => JSON.stringify(s.labels) === key);
  if (found === undefined) throw new Error(`no sample ${name}${key} (have: ${JSON.stringify(family.samples)})`);
  return found.value;
}
