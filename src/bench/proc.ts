/**
 * A server's memory and CPU from Linux's /proc, as the reference generator reads them: VmRSS
 * from /proc/PID/status, utime + stime (every thread) from /proc/PID/stat. The parsers are pure;
 * the readers return -1 when the process or /proc is not there (another OS, a dead pid).
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/PID/stat (USER_HZ: 100 on every Linux the kernel ships). */
export const USER_HZ = 100;

/** VmRSS in KiB from the text of /proc/PID/status; -1 when absent. */
export function parseVmRssKb(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s*kB/m.exec(status);
  return m === null ? -1 : Number(m[1]);
}

/**
 * utime + stime in seconds from the text of /proc/PID/stat; -1 when malformed. Fields are
 * counted after the last ')' because the command name (field 2) may hold spaces and parentheses.
 */
export function parseCpuSeconds(stat: string, hz = USER_HZ): number {
  const close = stat.lastIndexOf(')');
  if (close === -1) return -1;
  const fields = stat.slice(close + 2).split(' '); // fields[0] is field 3 (state)
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return -1;
  return (utime + stime) / hz;
}

/** The soft "Max open files" from the text of /proc/self/limits; -1 when absent. */
export function parseOpenFilesLimit(limits: string): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  if (m === null) return -1;
  return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** The RSS of `pid` in KiB, or -1. */
export function readRssKb(pid: number): number {
  if (!(pid > 0)) return -1;
  const text = readProc(`/proc/${pid}/status`);
  return text === undefined ? -1 : parseVmRssKb(text);
}

/** The CPU time of `pid` (all threads) in seconds, or -1. */
export function readCpuSeconds(pid: number): number {
  if (!(pid > 0)) return -1;
  const text = readProc(`/proc/${pid}/stat`);
  return text === undefined ? -1 : parseCpuSeconds(text);
}

/** This process's soft limit on open files, or -1 when unknown. */
export function openFilesLimit(): number {
  const text = readProc('/proc/self/limits');
  return text === undefined ? -1 : parseOpenFilesLimit(text);
}
