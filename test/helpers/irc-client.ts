import { once } from 'node:events';
import net from 'node:net';
import type { TestContext } from 'node:test';
import { LineClient } from './line-client.js';
import { within } from './within.js';

/**
 * A raw IRC test client (irctest's style): bytes in, CR LF-stripped lines out. It is a LineClient
 * (the server's lines end in CR LF; the CR is dropped here).
 */
export class RawIrcClient extends LineClient {
  override async next(ms = 3000): Promise<string> {
    return (await super.next(ms)).replace(/\r$/, '');
  }

  /** Skips lines until one matches (CR dropped); returns it. At most 1,000 lines and `ms` in all. */
  override async waitFor(match: string | RegExp, ms = 3000): Promise<string> {
    const ok = (l: string): boolean => (typeof match === 'string' ? l === match : match.test(l));
    const deadline = Date.now() + ms;
    for (let i = 0; i < 1000; i++) {
      const line = await this.next(Math.max(1, deadline - Date.now()));
      if (ok(line)) return line;
    }
    throw new Error(`no line matching ${String(match)} in 1,000 lines`);
  }

  send(line: string): void {
    this.write(`${line}\r\n`);
  }

  /** NICK/USER, then waits for 001 and the end of the welcome (422). */
  async register(nick: string): Promise<void> {
    this.send(`NICK ${nick}`);
    this.send(`USER ${nick} 0 * :${nick}`);
    await this.waitFor(/^:\S+ 001 /);
    await this.waitFor(/^:\S+ 422 /);
  }
}

/** Connects to the IRC port; destroyed after the test. */
export async function connectIrc(t: TestContext, port: number): Promise<RawIrcClient> {
  const socket = net.connect({ host: '127.0.0.1', port });
  t.after(() => socket.destroy());
  await within(once(socket, 'connect'), 3000, `connecting to IRC port ${port}`);
  return new RawIrcClient(socket);
}
