/**
 * The Prometheus text exposition format, version 0.0.4, as `/metrics` writes it: each metric
 * family once, as `# HELP`, `# TYPE`, then its samples (`name{label="value"} number`). Pure: no
 * I/O. Label values and help texts are escaped as the format says (backslash, quote in label
 * values, newline).
 */

/** The Content-Type of the format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge';

/** One sample: its labels (in order) and value. */
export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Builds one exposition; `text()` gives it. */
export class Exposition {
  readonly #lines: string[] = [];
  readonly #names = new Set<string>();

  /** A counter family: its name must end in `_total` (as the format's conventions say). */
  counter(name: string, help: string, samples: number | readonly Sample[]): this {
    if (!name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
    return this.#family(name, 'counter', help, samples);
  }

  gauge(name: string, help: string, samples: number | readonly Sample[]): this {
    return this.#family(name, 'gauge', help, samples);
  }

  #family(name: string, type: MetricType, help: string, samples: number | readonly Sample[]): this {
    if (!METRIC_NAME.test(name)) throw new Error(`bad metric name ${name}`);
    if (this.#names.has(name)) throw new Error(`metric ${name} written twice`);
    this.#names.add(name);
    this.#lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    for (const sample of typeof samples === 'number' ? [{ value: samples }] : samples) {
      this.#lines.push(`${name}${labelText(sample.labels)} ${formatValue(sample.value)}`);
    }
    return this;
  }

  text(): string {
    return this.#lines.length === 0 ? '' : `${this.#lines.join('\n')}\n`;
  }
}

function labelText(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(key) || key.startsWith('__')) throw new Error(`bad label name ${key}`);
    parts.push(`${key}="${escapeLabelValue(value)}"`);
  }
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** A label value as the format writes it between quotes. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample value: integers as such, NaN and infinities by the format's names. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
