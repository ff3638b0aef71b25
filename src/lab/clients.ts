/**
 * The lab's chat clients: for one protocol, one sender and R receivers join a charla server as
 * ordinary users, the sender paces K numbered, timestamped messages, and the receivers note
 * when each one arrives. Only the raw record comes out; `stats.ts` does the counting.
 *
 * All of them live in one process, so one monotonic clock stamps and reads every message.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { once } from 'node:events';
import net from 'node:net';
import { LineDecoder } from '../protocol/line-decoder.js';
import { splitDatagram } from '../protocol/datagram.js';
import { CharlaError } from '../util/errors.js';
import { decodeLine, encodePayload, type Proto } from './payload.js';
import type { Arrival } from './stats.js';

/** What one protocol's clients are to do. */
export interface ClientPlan {
  proto: Proto;
  runId: string;
  host: string;
  port: number;
  receivers: number;
  messages: number;
  sizeBytes: number;
  ratePerSec: number;
  /** After the last send, how long to wait for stragglers before counting them lost. */
  graceMs: number;
  /** Every client must have joined within this long. */
  setupTimeoutMs: number;
  /** UDP: ask again when no answer came within this long (the name or its welcome may be lost). */
  udpRetryMs: number;
}

/** What the clients saw: the input of `analyzeRun` plus set-up times. */
export interface ProtocolRecord {
  proto: Proto;
  receivers: number;
  messageBytes: number;
  /** `sentAtMs[seq - 1]`, on the record's clock. */
  sentAtMs: number[];
  arrivals: Arrival[];
  /** Per client (sender first): ms from its first packet to the server's welcome. */
  setupMs: number[];
  /** TCP only: ms from connect() to the established connection (the three-way handshake). */
  handshakeMs: number[];
  /** UDP only: names sent again because no answer came (a lost name or welcome). */
  setupRetries: number;
  /** Lines starting "Error:" that the server sent the sender (a refused or rate-limited message). */
  serverErrors: string[];
}

/** Progress of one protocol, for the progress bar. */
export interface ProtocolProgress {
  proto: Proto;
  phase: 'joining' | 'sending' | 'settling' | 'done';
  sent: number;
  delivered: number;
  expected: number;
}

const now = (): number => performance.now();

/** A client that joined: sends lines, hands received lines to `onLine`, closes. */
interface LabClient {
  send(text: string): void;
  close(): Promise<void>;
}

/** Runs one protocol's clients end to end. Rejects with a CharlaError when they cannot join. */
export async function runClients(plan: ClientPlan, onProgress: (p: ProtocolProgress) => void, signal?: AbortSignal): Promise<ProtocolRecord> {
  const { proto, runId, receivers, messages } = plan;
  const record: ProtocolRecord = {
    proto,
    receivers,
    messageBytes: plan.sizeBytes,
    sentAtMs: [],
    arrivals: [],
    setupMs: [],
    handshakeMs: [],
    setupRetries: 0,
    serverErrors: [],
  };
  const seen = Array.from({ length: receivers }, () => new Set<number>());
  let unique = 0;
  let wake: () => void = () => {};
  const progress = (phase: ProtocolProgress['phase']): void =>
    onProgress({ proto, phase, sent: record.sentAtMs.length, delivered: unique, expected: messages * receivers });

  const onReceiverLine = (receiver: number) => (line: string) => {
    const m = decodeLine(line, runId);
    if (m === undefined || m.proto !== proto) return; // notices, other users, the other protocol
    const atMs = now();
    record.arrivals.push({ seq: m.seq, receiver, atMs });
    const set = seen[receiver] as Set<number>;
    if (!set.has(m.seq)) {
      set.add(m.seq);
      unique++;
      if (unique === messages * receivers) wake();
    }
  };
  const onSenderLine = (line: string): void => {
    if (line.startsWith('Error') && record.serverErrors.length < 100) record.serverErrors.push(line);
  };

  const clients: LabClient[] = [];
  try {
    progress('joining');
    const names = [`${proto}-s-${runId}`, ...Array.from({ length: receivers }, (_, r) => `${proto}-r${r + 1}-${runId}`)];
    const handlers = [onSenderLine, ...Array.from({ length: receivers }, (_, r) => onReceiverLine(r))];
    // One after another, so each set-up time is that client's own and not a queue behind the others.
    for (const [i, name] of names.entries()) {
      clients.push(await join(plan, name, handlers[i] as (l: string) => void, record));
      signal?.throwIfAborted();
    }

    progress('sending');
    const sender = clients[0] as LabClient;
    await pace(plan, (seq) => {
      const sentMs = now();
      sender.send(encodePayload(proto, runId, seq, sentMs, plan.sizeBytes));
      record.sentAtMs.push(sentMs);
      progress('sending');
    }, signal);

    progress('settling');
    const complete = new Promise<void>((resolve) => {
      wake = resolve;
      if (unique === messages * receivers) resolve();
    });
    await waitAtMost(complete, plan.graceMs, signal);
    progress('done');
    return record;
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/** Calls `send(seq)` for seq = 1..messages at `ratePerSec`, catching up (never drifting) when a timer is late. */
async function pace(plan: ClientPlan, send: (seq: number) => void, signal?: AbortSignal): Promise<void> {
  const intervalMs = 1000 / plan.ratePerSec;
  const start = now();
  let next = 1;
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const tick = (): void => {
      const t = now();
      while (next <= plan.messages && start + (next - 1) * intervalMs <= t) send(next++);
      if (next > plan.messages) {
        signal?.removeEventListener('abort', onAbort);
        resolve();
        return;
      }
      timer = setTimeout(tick, Math.max(0, start + (next - 1) * intervalMs - now()));
    };
    tick();
  });
}

/** Resolves when `p` does or after `ms`, whichever is first; rejects if `signal` aborts. */
function waitAtMost(p: Promise<void>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    void p.then(done);
  });
}

function join(plan: ClientPlan, name: string, onLine: (line: string) => void, record: ProtocolRecord): Promise<LabClient> {
  return plan.proto === 'tcp' ? joinTcp(plan, name, onLine, record) : joinUdp(plan, name, onLine, record);
}

/** A TCP user: connect (the handshake), send the name, wait for the welcome. */
async function joinTcp(plan: ClientPlan, name: string, onLine: (line: string) => void, record: ProtocolRecord): Promise<LabClient> {
  const t0 = now();
  const socket = net.connect({ host: plan.host, port: plan.port, noDelay: true });
  socket.on('error', () => {}); // reported through the promises below, or irrelevant after close
  const decoder = new LineDecoder(Math.max(4096, plan.sizeBytes + 256));
  let welcomed: (line: string) => void = () => {};
  const firstLine = new Promise<string>((resolve) => (welcomed = resolve));
  let joined = false;
  socket.on('data', (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) {
      if (event.kind !== 'line') continue;
      if (joined) onLine(event.text);
      else {
        joined = true;
        welcomed(event.text);
      }
    }
  });
  const closed = once(socket, 'close');
  const fail = (why: string, cause?: unknown): never => {
    socket.destroy();
    throw new CharlaError('ERR_CONNECT', `cannot join ${plan.host}:${plan.port} over TCP as ${name}: ${why}`, { cause });
  };
  try {
    await bounded(Promise.race([once(socket, 'connect'), closed.then(() => Promise.reject(new Error('connection closed')))]), plan.setupTimeoutMs, 'the TCP handshake');
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err), err);
  }
  record.handshakeMs.push(now() - t0);
  socket.write(`${name}\n`);
  const answer = await bounded(Promise.race([firstLine, closed.then(() => 'Error: the server closed the connection')]), plan.setupTimeoutMs, 'the welcome').catch(
    (err: unknown) => fail(err instanceof Error ? err.message : String(err), err),
  );
  if (!answer.startsWith('***')) fail(`the server answered "${answer}"`);
  record.setupMs.push(now() - t0);
  return {
    send: (text) => void socket.write(`${text}\n`),
    async close() {
      // A FIN, as a well-behaved client ends (the capture shows the teardown).
      socket.end();
      await bounded(closed, 2000, 'the TCP close').catch(() => socket.destroy());
    },
  };
}

/**
 * A UDP user: send the name, wait for any answer. UDP has no handshake and no retransmission, so
 * the client does it: when nothing comes back within `udpRetryMs`, it sends its name again plus
 * "/listar" (a registered user gets the list back; a stranger's "/listar" is refused and the name
 * registers it). Only registered users ever get a datagram that does not start with "Error", so
 * the first such datagram means "joined", whichever of them got through.
 */
async function joinUdp(plan: ClientPlan, name: string, onLine: (line: string) => void, record: ProtocolRecord): Promise<LabClient> {
  const t0 = now();
  // A name ("localhost") may resolve to IPv6 or IPv4: the socket's family must match it.
  const { address, family } = await lookup(plan.host).catch((err: unknown) => {
    throw new CharlaError('ERR_CONNECT', `cannot resolve ${plan.host}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  });
  const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  socket.on('error', () => {}); // ICMP unreachable and the like: UDP reports nothing reliably
  let joined = false;
  let answered: () => void = () => {};
  const welcome = new Promise<void>((resolve) => (answered = resolve));
  socket.on('message', (msg) => {
    for (const line of splitDatagram(msg)) {
      if (joined) onLine(line);
      else if (!line.startsWith('Error')) {
        joined = true;
        answered();
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(plan.port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    socket.close();
    throw new CharlaError('ERR_CONNECT', `cannot reach ${plan.host}:${plan.port} over UDP: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  });
  const send = (text: string): void => socket.send(Buffer.from(text, 'utf8'), () => {});
  send(name);
  const deadline = t0 + plan.setupTimeoutMs;
  while (!joined) {
    const left = deadline - now();
    if (left <= 0) {
      socket.close();
      throw new CharlaError('ERR_CONNECT', `no answer from ${plan.host}:${plan.port} over UDP within ${plan.setupTimeoutMs} ms: is a charla server there?`);
    }
    await bounded(welcome, Math.min(plan.udpRetryMs, left), 'the UDP welcome').catch(() => {
      if (joined) return;
      record.setupRetries++;
      send(name);
      send('/listar');
    });
  }
  record.setupMs.push(now() - t0);
  return {
    send,
    async close() {
      // Best effort: the server also forgets silent UDP users.
      await new Promise<void>((resolve) => socket.send(Buffer.from('/quitar'), () => resolve()));
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

/** `p`, or a rejection naming `what` after `ms`. */
async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}
