import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * What the soak measures about the process around the server: live handles by type (sockets,
 * timers), the heap after a full collection, and the kernel's counts of dropped packets (to tell
 * a UDP loss on loopback from a loss in the server).
 */

/** Handle types the soak compares before and after. */
export const HANDLE_TYPES = ['TCPServerWrap', 'TCPSocketWrap', 'UDPWrap', 'Timeout'] as const;
export type HandleCounts = Record<(typeof HANDLE_TYPES)[number], number>;

/** Live resources keeping the loop alive, counted by the types the soak follows. */
export function countHandles(): HandleCounts {
  const counts = Object.fromEntries(HANDLE_TYPES.map((type) => [type, 0])) as HandleCounts;
  for (const type of process.getActiveResourcesInfo()) {
    if (type in counts) counts[type as keyof HandleCounts]++;
  }
  return counts;
}

/**
 * Counts handles once those closed in this turn are gone: a closed handle leaves the list in the
 * loop's close phase, after the 'close' event that said it was closed. Re-checks once per loop
 * turn (never a timed wait), at most `turns` times, until `done(counts)` holds.
 */
export async function settledHandles(done: (counts: HandleCounts) => boolean, turns = 20): Promise<HandleCounts> {
  let counts = countHandles();
  for (let i = 0; i < turns && !done(counts); i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    counts = countHandles();
  }
  return counts;
}

let collect: (() => void) | undefined;

/** A full garbage collection (exposing `gc` once if the process was not started with --expose-gc). */
function gc(): void {
  if (collect === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed !== undefined) {
      collect = exposed;
    } else {
      v8.setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    }
  }
  collect();
}

/** Heap bytes in use after collecting twice (with a turn between, for finalizers and weak refs). */
export async function heapAfterGc(): Promise<number> {
  gc();
  await new Promise<void>((resolve) => setImmediate(resolve));
  gc();
  return v8.getHeapStatistics().used_heap_size;
}

/**
 * Packets the kernel has dropped where loopback can lose a datagram, system-wide: UDP receive and
 * send buffers full, UDP memory pressure (/proc/net/snmp), and the per-CPU input backlog that
 * loopback traffic goes through when softirq processing falls behind (/proc/net/softnet_stat,
 * not counted in any UDP counter). Undefined where /proc is not there.
 */
export function kernelDrops(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp: '));
    const [header, values] = lines.map((l) => l.split(/\s+/));
    let drops = 0;
    for (const name of ['RcvbufErrors', 'SndbufErrors', 'MemErrors']) {
      const at = header?.indexOf(name) ?? -1;
      if (at > 0) drops += Number(values?.[at] ?? 0);
    }
    for (const row of readFileSync('/proc/net/softnet_stat', 'utf8').trim().split('\n')) {
      drops += Number.parseInt(row.split(/\s+/)[1] ?? '0', 16);
    }
    return drops;
  } catch {
    return undefined;
  }
}
