/**
 * Node 20 aborts at exit (SIGABRT and a core dump) when a standard descriptor was a terminal at
 * start and that terminal has hung up since (its window closed under a server started with `&`
 * or nohup): restoring the terminal's mode fails with EIO and a CHECK fires in ResetStdio
 * (nodejs/node#51519; Node 24 ignores the error, nodejs/node#58200). A closed descriptor is
 * skipped there, so a process that outlived its terminal closes those descriptors on its way out.
 */
import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';

const STDIO = [0, 1, 2] as const;
/** Which standard descriptors were terminals when this module was loaded (at start-up). */
const WAS_TERMINAL = STDIO.map((fd) => isatty(fd));

/**
 * Closes every standard descriptor that was a terminal and no longer is one (a hung-up terminal
 * answers EIO to the TCGETS behind isatty). Meant for the 'exit' event.
 */
export function closeHungUpTerminals(): void {
  for (const fd of STDIO) {
    if (!WAS_TERMINAL[fd] || isatty(fd)) continue;
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}
