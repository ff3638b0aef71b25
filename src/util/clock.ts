/** Milliseconds on a monotonic clock. Injected wherever time decides behaviour, so tests can move it. */
export type Clock = () => number;

/** The real monotonic clock (immune to wall-clock jumps). */
export const monotonic: Clock = () => performance.now();
