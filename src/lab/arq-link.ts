/**
 * The lab's impaired link for the ARQ protocols, in user space: the ARQ sender sends to the
 * link, the link forwards to the receiver; the receiver's ACKs come back the same way. DATA
 * datagrams are impaired as `--loss --delay --jitter --duplicate --reorder` say, and so are the
 * ACKs with `--direction both` (the default for ARQ: rdt 3.0 exists to survive a lost ACK).
 * `--drop data:3,ack:5` drops chosen datagrams deterministically, counted per direction from 1
 * in the order they reach the link (retransmissions included).
 *
 * Every datagram's fate is recorded (bounded), for the packet ladder.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { decodeArq } from '../protocol/arq/header.js';
import { Holds } from './hold.js';
import { type Impairment, planDatagram, seededRandom } from './impairment.js';

/** Which packets the link impairs: the DATA only, or the ACKs too. */
export type ArqDirection = 'data' | 'both';

/** Datagrams to drop on purpose: the k-th DATA, the k-th ACK (from 1). */
export interface DropScript {
  data: ReadonlySet<number>;
  ack: ReadonlySet<number>;
}

export const NO_DROPS: DropScript = { data: new Set(), ack: new Set() };

/** One datagram as the link saw it. */
export interface LinkRecord {
  type: 'data' | 'ack';
  /** k-th of its type through the link (from 1). */
  k: number;
  /** Sequence or ACK number. */
  number: number;
  /** When it reached the link (ms, performance.now()). */
  atMs: number;
  /** Delays of the copies forwarded: [] when lost. */
  delaysMs: number[];
  /** Lost by the script (`--drop`) rather than by chance. */
  scripted: boolean;
}

export interface ArqLinkOptions {
  receiverPort: number;
  impairment: Impairment;
  direction: ArqDirection;
  drops: DropScript;
  seed: number;
  /** Records kept for the ladder (the first ones). */
  maxRecords?: number;
}

export interface ArqLink {
  readonly port: number;
  readonly records: LinkRecord[];
  readonly counters: { data: number; ack: number; dataLost: number; ackLost: number };
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Parses `--drop data:3,ack:5,ack:7-9`. Throws an Error whose message names the bad part. */
export function parseDropScript(text: string): DropScript {
  const data = new Set<number>();
  const ack = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^(data|ack):(\d{1,7})(?:-(\d{1,7}))?$/.exec(part);
    const from = Number(m?.[2]);
    const to = m?.[3] === undefined ? from : Number(m[3]);
    if (m === null || from < 1 || to < from || to - from > 10_000) throw new Error(`"${part}" is not data:K, ack:K or ack:K-L (K from 1)`);
    for (let k = from; k <= to; k++) (m[1] === 'data' ? data : ack).add(k);
  }
  return { data, ack };
}

/** Starts the link in front of a receiver listening on 127.0.0.1:`receiverPort`. */
export async function startArqLink(opts: ArqLinkOptions): Promise<ArqLink> {
  const random = seededRandom(opts.seed);
  const maxRecords = opts.maxRecords ?? 2000;
  const front = dgram.createSocket('udp4');
  const back = dgram.createSocket('udp4');
  front.on('error', () => {});
  back.on('error', () => {});
  front.bind(0, HOST);
  back.bind(0, HOST);
  await Promise.all([once(front, 'listening'), once(back, 'listening')]);
  const records: LinkRecord[] = [];
  const counters = { data: 0, ack: 0, dataLost: 0, ackLost: 0 };
  const holds = new Holds();
  let senderPort: number | undefined;

  const carry = (msg: Buffer, type: 'data' | 'ack', out: dgram.Socket, port: number): void => {
    const packet = decodeArq(msg);
    const k = ++counters[type];
    const scripted = opts.drops[type].has(k);
    const impaired = type === 'data' || opts.direction === 'both';
    const delays = scripted ? [] : impaired ? planDatagram(opts.impairment, random) : [0];
    if (delays.length === 0) counters[type === 'data' ? 'dataLost' : 'ackLost']++;
    if (records.length < maxRecords) records.push({ type, k, number: packet?.number ?? -1, atMs: performance.now(), delaysMs: delays, scripted });
    for (const delay of delays) holds.after(delay, () => out.send(msg, port, HOST));
  };
  front.on('message', (msg, rinfo) => {
    senderPort = rinfo.port;
    carry(msg, 'data', back, opts.receiverPort);
  });
  back.on('message', (msg, rinfo) => {
    if (rinfo.port !== opts.receiverPort || senderPort === undefined) return;
    carry(msg, 'ack', front, senderPort);
  });
  return {
    port: front.address().port,
    records,
    counters,
    async close() {
      holds.close();
      await Promise.all([new Promise<void>((r) => front.close(() => r())), new Promise<void>((r) => back.close(() => r()))]);
    },
  };
}
