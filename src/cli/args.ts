import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CharlaError } from '../util/errors.js';
import { type Lang, parseLang } from '../hub/messages.js';

/** Shared flag parsers: each names its flag in the error, so the user knows what to fix. */

export function parsePort(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new CharlaError('ERR_BAD_OPTION', `${flag} must be a port number from 0 to 65535 (0 = any free port), not "${value}"`);
  }
  return port;
}

export function parseCount(value: string | undefined, flag: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || !Number.isSafeInteger(n)) {
    throw new CharlaError('ERR_BAD_OPTION', `${flag} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, not "${value}"`);
  }
  return n;
}

export function parseNumber(value: string | undefined, flag: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new CharlaError('ERR_BAD_OPTION', `${flag} must be a number from ${min} to ${max}, not "${value}"`);
  }
  return n;
}

/** Seconds on the command line, milliseconds inside. */
export function parseSeconds(value: string | undefined, flag: string, fallbackMs: number): number {
  return value === undefined ? fallbackMs : Math.round(parseNumber(value, flag, 0) * 1000);
}

export function parseLangFlag(value: string | undefined, fallback: Lang = 'es'): Lang {
  if (value === undefined) return fallback;
  const lang = parseLang(value);
  if (lang === undefined) throw new CharlaError('ERR_BAD_OPTION', `--lang must be "es" or "en", not "${value}"`);
  return lang;
}

/** Wraps parseArgs's own errors (unknown flag, missing value) as a one-line CharlaError. */
export function badArgs(command: string, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  throw new CharlaError('ERR_BAD_OPTION', `${message.replace(/\. To specify.*$/s, '')} (see charla ${command} --help)`, { cause: err });
}

/**
 * `parseArgs` as every subcommand uses it: flags only (`strict`, no positionals), and its errors
 * (an unknown flag, a missing value) turned into a one-line CharlaError naming the command.
 */
export function parseFlags<const O extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options }).values;
  } catch (err) {
    return badArgs(command, err);
  }
}
