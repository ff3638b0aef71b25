/**
 * Awaits `p`, or fails after `ms` with an error naming what was awaited. The error is made
 * before waiting so its stack points at the caller.
 */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  const err = new Error(`timed out after ${ms} ms waiting for ${what}`);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(err), ms);
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}
