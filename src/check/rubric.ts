/**
 * A rubric: points for a scenario or for a whole group, read from a JSON file such as
 * `{ "seed": 60, "robustness": 40, "split_utf8": 10 }`. A group's points are shared equally
 * by its scenarios that have no points of their own. A SKIP earns nothing and counts toward
 * nothing: the grade is over what was run.
 */
import { CharlaError } from '../util/errors.js';
import type { CheckResult } from './run.js';
import type { Group } from './scenario.js';
import { SCENARIOS } from './scenarios.js';
import { CLIENT_SCENARIO_IDS } from './client.js';

const ALL: ReadonlyArray<{ id: string; group: Group }> = [...SCENARIOS, ...CLIENT_SCENARIO_IDS.map((id) => ({ id, group: 'client' as const }))];

export type Rubric = Record<string, number>;

export interface Grade {
  points: number;
  max: number;
  /** Points for each scenario id. */
  weights: Record<string, number>;
}

/** Checks a parsed rubric: every key a scenario id or a group, every value a number ≥ 0. */
export function parseRubric(json: string, source: string): Rubric {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (err) {
    throw new CharlaError('ERR_BAD_OPTION', `--rubric ${source} is not JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new CharlaError('ERR_BAD_OPTION', `--rubric ${source} must be an object like {"seed": 60, "robustness": 40}`);
  }
  const ids = new Set<string>([...ALL.map((s) => s.id), 'seed', 'robustness', 'client']);
  const rubric: Rubric = {};
  for (const [key, value] of Object.entries(data)) {
    if (!ids.has(key)) throw new CharlaError('ERR_BAD_OPTION', `--rubric ${source}: "${key}" is neither a scenario id nor a group (seed, robustness, client)`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new CharlaError('ERR_BAD_OPTION', `--rubric ${source}: the points for "${key}" must be a number of at least 0`);
    }
    rubric[key] = value;
  }
  return rubric;
}

/** Each scenario's points under `rubric`. */
export function weights(rubric: Rubric): Record<string, number> {
  const out: Record<string, number> = {};
  for (const group of ['seed', 'robustness', 'client'] as Group[]) {
    const members = ALL.filter((s) => s.group === group);
    const own = members.filter((s) => rubric[s.id] !== undefined);
    const shared = members.filter((s) => rubric[s.id] === undefined);
    for (const s of own) out[s.id] = rubric[s.id] as number;
    const groupPoints = rubric[group] ?? 0;
    for (const s of shared) out[s.id] = shared.length > 0 ? groupPoints / shared.length : 0;
  }
  return out;
}

export function grade(rubric: Rubric, results: readonly CheckResult[]): Grade {
  const w = weights(rubric);
  let points = 0;
  let max = 0;
  for (const r of results) {
    if (r.status === 'skip') continue;
    const p = w[r.id] ?? 0;
    max += p;
    if (r.status === 'pass') points += p;
  }
  const round = (n: number): number => Math.round(n * 100) / 100;
  return { points: round(points), max: round(max), weights: w };
}
