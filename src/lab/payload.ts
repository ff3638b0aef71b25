/**
 * The lab's chat messages: an ordinary chat line that carries what the statistics need.
 *
 *     cmp udp 3f9a 17 1234.567 xxxxxxxx...
 *     |   |   |    |  |        padding up to the chosen size
 *     |   |   |    |  send time, ms on the client process's monotonic clock (µs precision)
 *     |   |   |    message number, from 1
 *     |   |   run id (a run never counts another run's messages)
 *     |   protocol of the sender (TCP and UDP users share one room on a normal server)
 *     tag
 *
 * The server relays it as `NAME: cmp udp ...`; receivers find the payload after the first ": ".
 * Sender and receivers live in one process, so one clock stamps and reads every message.
 */

/** The two protocols compared. */
export type Proto = 'tcp' | 'udp';

/** One lab message as a receiver decodes it. */
export interface LabMessage {
  proto: Proto;
  runId: string;
  seq: number;
  sentMs: number;
}

/** Smallest `--size`: the header with a 7-digit number and a long timestamp still fits. */
export const MIN_PAYLOAD_BYTES = 48;

/** Encodes message `seq`, padded with "x" to `sizeBytes` (the header alone if it is longer). */
export function encodePayload(proto: Proto, runId: string, seq: number, sentMs: number, sizeBytes: number): string {
  const header = `cmp ${proto} ${runId} ${seq} ${sentMs.toFixed(3)} `;
  return sizeBytes > header.length ? header + 'x'.repeat(sizeBytes - header.length) : header.trimEnd();
}

const PAYLOAD = /^cmp (tcp|udp) ([0-9a-z]+) (\d+) (\d+(?:\.\d+)?)(?: |$)/;

/**
 * The lab message in a chat line as relayed (`NAME: payload`) or bare (`payload`); undefined for
 * anything else (notices, other users' chat, a message of another run when `runId` is given).
 */
export function decodeLine(line: string, runId?: string): LabMessage | undefined {
  const colon = line.indexOf(': cmp ');
  const payload = colon >= 0 ? line.slice(colon + 2) : line;
  const m = PAYLOAD.exec(payload);
  if (m === null) return undefined;
  if (runId !== undefined && m[2] !== runId) return undefined;
  return { proto: m[1] as Proto, runId: m[2] as string, seq: Number(m[3]), sentMs: Number(m[4]) };
}

/** A short random run id: 4 base-36 characters. */
export function newRunId(random: () => number = Math.random): string {
  return Math.floor(random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0');
}
