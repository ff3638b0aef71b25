import { readFileSync } from 'node:fs';
import { CharlaError } from '../util/errors.js';

/**
 * Options from three places, over a subcommand's parseArgs table, by each option's long name:
 * a JSON file (`--config FILE`, or CHARLA_CONFIG), `CHARLA_*` environment variables
 * (`--tcp-port` is CHARLA_TCP_PORT), and the command line. Flags override the environment,
 * which overrides the file; an option given at one level replaces (never adds to) the levels
 * below, repeatable ones too. A wrong key or value is one CharlaError naming it.
 */

/** The parseArgs option table of a subcommand (the subset this reads). */
export type FlagTable = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly multiple?: boolean }>>;

/** Where an option's value came from: the command line, an environment variable, or the file. */
export type Origin = { readonly from: 'flag' } | { readonly from: 'env'; readonly name: string } | { readonly from: 'file'; readonly file: string };

type Value = string | boolean | string[];

/** Options no file nor variable sets. */
const NOT_LAYERED = new Set(['help', 'config']);

/** The environment variable of a long option: `tcp-port` -> CHARLA_TCP_PORT. */
export function envName(option: string): string {
  return `CHARLA_${option.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * Merges the file named by `flags.config` (or the CHARLA_CONFIG variable) and the environment
 * under `flags` (parseArgs' values). `aliases` gives more variable names for an option (read
 * after its own). Returns the merged values and where each came from.
 */
export function layered<V extends Record<string, unknown>>(
  table: FlagTable,
  flags: V,
  env: NodeJS.ProcessEnv,
  aliases: Readonly<Record<string, readonly string[]>> = {},
): { values: V; origins: Map<string, Origin> } {
  const origins = new Map<string, Origin>();
  const merged: Record<string, unknown> = {};
  const configFile = (flags['config'] as string | undefined) ?? env['CHARLA_CONFIG'];
  if (configFile !== undefined) {
    for (const [key, value] of Object.entries(readConfig(configFile, table))) {
      merged[key] = value;
      origins.set(key, { from: 'file', file: configFile });
    }
  }
  for (const [key, spec] of Object.entries(table)) {
    if (NOT_LAYERED.has(key)) continue;
    for (const name of [envName(key), ...(aliases[key] ?? [])]) {
      const raw = env[name];
      if (raw === undefined) continue;
      merged[key] = envValue(name, raw, spec);
      origins.set(key, { from: 'env', name });
      break;
    }
  }
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    merged[key] = value;
    origins.set(key, { from: 'flag' });
  }
  return { values: merged as V, origins };
}

/** The file's options, checked against `table`: an object of long names to strings, numbers, booleans, or lists. */
export function readConfig(file: string, table: FlagTable): Record<string, Value> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CharlaError('ERR_BAD_OPTION', `--config: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CharlaError('ERR_BAD_OPTION', `--config ${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CharlaError('ERR_BAD_OPTION', `--config ${file}: must be a JSON object of option names, such as {"tcp-port": 5000}`);
  }
  const out: Record<string, Value> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    const spec = Object.hasOwn(table, key) && !NOT_LAYERED.has(key) ? table[key] : undefined;
    if (spec === undefined) throw new CharlaError('ERR_BAD_OPTION', `--config ${file}: unknown option "${key}" (the names are those of charla server --help, without the dashes)`);
    const bad = (what: string): never => {
      throw new CharlaError('ERR_BAD_OPTION', `--config ${file}: "${key}" must be ${what}, not ${JSON.stringify(value)}`);
    };
    const scalar = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : bad(spec.multiple === true ? 'a string or a list of strings' : 'a string or a number'));
    if (spec.type === 'boolean') out[key] = typeof value === 'boolean' ? value : bad('true or false');
    else if (spec.multiple === true) out[key] = Array.isArray(value) ? value.map(scalar) : [scalar(value)];
    else out[key] = scalar(value);
  }
  return out;
}

/** A variable's text as an option's value: booleans are 1/0, true/false, yes/no; lists are comma-separated. */
function envValue(name: string, raw: string, spec: FlagTable[string]): Value {
  if (spec.type === 'boolean') {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes'].includes(v)) return true;
    if (['0', 'false', 'no', ''].includes(v)) return false;
    throw new CharlaError('ERR_BAD_OPTION', `${name} must be 1 or 0 (true or false), not "${raw}"`);
  }
  if (spec.multiple === true) return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return raw;
}

/**
 * An option error (`--tcp-port must be ...`) whose value came from the file or a variable, said
 * with where it came from: `CHARLA_TCP_PORT: --tcp-port must be ...`.
 */
export function attributed(err: unknown, origins: ReadonlyMap<string, Origin>): unknown {
  if (!(err instanceof CharlaError) || err.code !== 'ERR_BAD_OPTION') return err;
  const m = /^--([a-z][a-z0-9-]*)/.exec(err.message);
  const origin = m === null ? undefined : origins.get(m[1] as string);
  if (origin === undefined || origin.from === 'flag') return err;
  const where = origin.from === 'env' ? origin.name : `--config ${origin.file} "${m?.[1]}"`;
  return new CharlaError('ERR_BAD_OPTION', `${where}: ${err.message}`, { cause: err });
}
