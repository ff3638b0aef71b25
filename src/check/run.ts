/**
 * Runs the scenarios against one server, one after the other, each with its own deadline and
 * all within the run's deadline, and turns what they found into results: PASS/FAIL/SKIP, the
 * evidence and the explanation in the chosen language.
 */
import { setMaxListeners } from 'node:events';
import { type Lang, type MessageKey, text } from '../hub/messages.js';
import type { Endpoint } from './probe.js';
import { Ctx, type Finding, type Framing, type Group, type RunState, type Status, TIMING_DEFAULTS, type Timing } from './scenario.js';
import { SCENARIOS } from './scenarios.js';

export interface CheckOptions {
  tcp: Endpoint | undefined;
  udp: Endpoint | undefined;
  lang: Lang;
  /** Scenario ids to run (the others are SKIP); all when undefined. */
  only: readonly string[] | undefined;
  /** The whole run's deadline (ms). */
  runDeadlineMs: number;
  timing: Timing;
  /** Called as each result comes in (progress). */
  onResult?: (result: CheckResult) => void;
}

export const CHECK_DEFAULTS: Omit<CheckOptions, 'tcp' | 'udp'> = {
  lang: 'es',
  only: undefined,
  runDeadlineMs: 180_000,
  timing: TIMING_DEFAULTS,
};

/** One scenario's result, as `--json` prints it. */
export interface CheckResult {
  id: string;
  group: Group;
  status: Status;
  evidence: string;
  explanation: string;
}

/** A whole run. */
export interface CheckReport {
  results: CheckResult[];
  passed: number;
  failed: number;
  skipped: number;
  framing: Framing;
  /** How long each scenario took (ms), by id; not part of the JSON. */
  durations: Record<string, number>;
  /** What was checked: a server (the default) or a client (`--client`). */
  subject?: 'server' | 'client';
}

export async function runCheck(options: Partial<CheckOptions> & Pick<CheckOptions, 'tcp' | 'udp'>): Promise<CheckReport> {
  const opts: CheckOptions = { ...CHECK_DEFAULTS, ...options };
  const t = (key: MessageKey, params?: Finding['params']): string => text(opts.lang, key, params);
  const state: RunState = { framing: 'unknown' };
  const results: CheckResult[] = [];
  const durations: Record<string, number> = {};
  const runEnds = performance.now() + opts.runDeadlineMs;
  for (const scenario of SCENARIOS) {
    const started = performance.now();
    const result = await (async (): Promise<CheckResult> => {
      const base = { id: scenario.id, group: scenario.group };
      const skip = (reason: string): CheckResult => ({ ...base, status: 'skip', evidence: '', explanation: reason });
      if (opts.only !== undefined && !opts.only.includes(scenario.id)) return skip(t('check_skip_not_selected'));
      const target = scenario.transport === 'tcp' ? opts.tcp : opts.udp;
      if (target === undefined) return skip(t(scenario.transport === 'tcp' ? 'check_skip_no_tcp' : 'check_skip_no_udp'));
      const left = runEnds - performance.now();
      if (left <= 0) return skip(t('check_skip_run_deadline', { seconds: Math.round(opts.runDeadlineMs / 1000) }));
      const controller = new AbortController();
      setMaxListeners(1000, controller.signal);
      const budget = Math.min(scenario.deadlineMs, left);
      const timer = setTimeout(() => controller.abort(), budget);
      const ctx = new Ctx(opts.tcp, opts.udp, controller.signal, opts.timing, state);
      let finding: Finding | undefined;
      try {
        finding = await scenario.run(ctx);
        if (controller.signal.aborted) finding = { key: 'check_found_deadline', params: { seconds: Math.round(budget / 100) / 10 } };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        finding = controller.signal.aborted
          ? { key: 'check_found_deadline', params: { seconds: Math.round(budget / 100) / 10 } }
          : { key: 'check_found_connect', params: { target: `${target.host}:${target.port}`, error: message } };
      } finally {
        clearTimeout(timer);
      }
      // The server lets this scenario's clients go before the next one's come (at most 2 pauses).
      await ctx.close(opts.timing.pauseMs * 2);
      const evidence = ctx.evidence.join('\n');
      if (finding === undefined) return { ...base, status: 'pass', evidence, explanation: '' };
      const explainKey = `check_explain_${scenario.id}` as MessageKey;
      return { ...base, status: 'fail', evidence, explanation: `${t(finding.key, finding.params)} ${t(explainKey)}` };
    })();
    durations[scenario.id] = Math.round(performance.now() - started);
    results.push(result);
    opts.onResult?.(result);
  }
  const count = (s: Status): number => results.filter((r) => r.status === s).length;
  return { results, passed: count('pass'), failed: count('fail'), skipped: count('skip'), framing: state.framing, durations };
}

/** The most a run sends: said before running against a host that is not this machine. */
export function trafficBound(opts: { tcp: boolean; udp: boolean; only: readonly string[] | undefined }): { bytes: number; connections: number; datagrams: number } {
  const total = { bytes: 0, connections: 0, datagrams: 0 };
  for (const s of SCENARIOS) {
    if (opts.only !== undefined && !opts.only.includes(s.id)) continue;
    if (!(s.transport === 'tcp' ? opts.tcp : opts.udp)) continue;
    total.bytes += s.traffic.bytes;
    total.connections += s.traffic.connections;
    total.datagrams += s.traffic.datagrams;
  }
  return total;
}
