import net from 'node:net';
import { Hub, noLog } from '../hub/hub.js';
import { closed } from '../util/closed.js';
import { listenTcp } from './tcp.js';

/** Every relayed warm-up line has exactly one ": " (after the sender's name). */
const MARK = Buffer.from(': ');

/** How much traffic the warm-up pushes through, and for how long at most. */
export interface WarmUpOptions {
  clients: number;
  messagesPerClient: number;
  /** Lines a client writes per write() (a chat burst), and at most that many in flight. */
  linesPerWrite: number;
  timeoutMs: number;
}

export const WARM_UP_DEFAULTS: WarmUpOptions = { clients: 12, messagesPerClient: 400, linesPerWrite: 8, timeoutMs: 3000 };

/**
 * Runs the chat's hot path for a moment before the real server opens: a private hub on an
 * ephemeral loopback port, a few clients that join (room notices) and exchange messages through
 * real sockets (decoder, hub, batching, Node's own socket write path), then leave. V8 compiles
 * those functions with the shapes real traffic has, so the first users get optimised code
 * instead of paying for the JIT — a fresh Node server is several times slower for its first
 * fraction of a second. The private hub shares nothing with the real one but the code.
 *
 * Best effort and bounded: it stops after `timeoutMs` whatever happened, and never throws.
 * Returns the deliveries seen and the time taken.
 */
export async function warmUp(options: Partial<WarmUpOptions> = {}): Promise<{ deliveries: number; ms: number }> {
  const opts = { ...WARM_UP_DEFAULTS, ...options };
  const started = performance.now();
  const hub = new Hub({ log: noLog });
  const transport = await listenTcp(hub, {
    host: '127.0.0.1',
    port: 0,
    rateLimit: undefined,
    registrationTimeoutMs: 0,
    keepAliveMs: 0,
  }).catch(() => undefined);
  if (transport === undefined) return { deliveries: 0, ms: 0 };
  const sockets: net.Socket[] = [];
  let deliveries = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  try {
    const expected = opts.clients * (opts.clients - 1) * opts.messagesPerClient;
    const payload = 'x'.repeat(48);
    const done = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, opts.timeoutMs);
      let welcomed = 0;
      const startSending = (socket: net.Socket): void => {
        let sent = 0;
        const sendSome = (err?: Error | null): void => {
          if (err || socket.destroyed || stopped) return;
          let chunk = '';
          for (let i = 0; i < opts.linesPerWrite && sent < opts.messagesPerClient; i++) chunk += `${sent++} ${payload}\n`;
          if (chunk !== '') socket.write(chunk, sendSome); // the next burst once this one is taken
        };
        sendSome();
      };
      for (let c = 0; c < opts.clients; c++) {
        const socket = net.connect({ host: '127.0.0.1', port: transport.address.port, noDelay: true });
        sockets.push(socket);
        socket.on('error', () => {});
        let registered = false;
        socket.on('data', (data: Buffer) => {
          if (!registered) {
            // The welcome: once everyone is in, everyone talks (so every message has N-1 readers).
            registered = true;
            if (++welcomed === opts.clients) for (const s of sockets) startSending(s);
            return;
          }
          for (let i = data.indexOf(MARK); i !== -1; i = data.indexOf(MARK, i + 1)) deliveries++;
          if (deliveries >= expected) resolve();
        });
        socket.write(`calentando${c}\n`);
      }
    });
    await done;
  } finally {
    stopped = true;
    clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
    hub.shutdown();
    const finished = Promise.all([transport.stopAccepting(), transport.drain(500), ...sockets.map(closed)]);
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((resolve) => (bound = setTimeout(resolve, 1000)))]);
    clearTimeout(bound);
  }
  return { deliveries, ms: Math.round(performance.now() - started) };
}
