/**
 * The ARQ header: 8 bytes in front of every datagram of a reliable (ARQ) UDP exchange.
 *
 *     byte 0   magic    0xFE. Never the first byte of UTF-8 text (0xFE and 0xFF never occur in
 *                       UTF-8 at all), so a datagram that starts with anything else is the seed's
 *                       plain UDP chat text, and plain clients keep working unchanged.
 *     byte 1   version  1
 *     byte 2   type     1 DATA (a payload follows the header), 2 ACK (nothing follows)
 *     byte 3   protocol 1 stop-and-wait, 2 Go-Back-N, 3 Selective Repeat
 *     byte 4   seqBits  bits of the sequence space, 1..16 (the numbers run 0 .. 2^seqBits - 1)
 *     byte 5   flags    0 (reserved: a receiver ignores bits it does not know)
 *     byte 6-7 number   big-endian: DATA's sequence number; ACK's acknowledged number
 *                       (Go-Back-N: cumulative, "everything up to this one"; stop-and-wait and
 *                       Selective Repeat: this one packet)
 *     byte 8-  payload  DATA only: the application's bytes, as they are
 *
 * Pure: `encodeArq` builds the bytes, `decodeArq` checks every field and returns undefined for
 * anything else (too short, another magic or version, an unknown type or protocol, a number
 * outside the sequence space, an ACK with a payload). Garbage never throws.
 */

/** First byte of every ARQ datagram. */
export const ARQ_MAGIC = 0xfe;
/** The header's version. */
export const ARQ_VERSION = 1;
/** Bytes of the header. */
export const ARQ_HEADER_BYTES = 8;
/** Sequence-space bounds (the number field has 16 bits). */
export const MIN_SEQ_BITS = 1;
export const MAX_SEQ_BITS = 16;

export type ArqType = 'data' | 'ack';
/** sw: stop-and-wait (rdt 3.0); gbn: Go-Back-N; sr: Selective Repeat. */
export type ArqProtocol = 'sw' | 'gbn' | 'sr';
export const ARQ_PROTOCOLS: readonly ArqProtocol[] = ['sw', 'gbn', 'sr'];

const TYPE_CODE: Record<ArqType, number> = { data: 1, ack: 2 };
const PROTOCOL_CODE: Record<ArqProtocol, number> = { sw: 1, gbn: 2, sr: 3 };
const TYPES: readonly (ArqType | undefined)[] = [undefined, 'data', 'ack'];
const PROTOCOLS: readonly (ArqProtocol | undefined)[] = [undefined, 'sw', 'gbn', 'sr'];

/** One decoded datagram. `payload` is a view into the datagram (no copy); empty for an ACK. */
export interface ArqPacket {
  type: ArqType;
  protocol: ArqProtocol;
  seqBits: number;
  flags: number;
  /** DATA: sequence number; ACK: acknowledged number. In 0 .. 2^seqBits - 1. */
  number: number;
  payload: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** True when `data` starts as an ARQ datagram does (a cheap test before `decodeArq`). */
export function looksLikeArq(data: Uint8Array): boolean {
  return data.length >= 1 && data[0] === ARQ_MAGIC;
}

/** The datagram for one packet. Throws a RangeError for fields out of bounds (a programming error). */
export function encodeArq(type: ArqType, protocol: ArqProtocol, seqBits: number, number: number, payload: Uint8Array = EMPTY, flags = 0): Uint8Array {
  if (!Number.isInteger(seqBits) || seqBits < MIN_SEQ_BITS || seqBits > MAX_SEQ_BITS) throw new RangeError(`seqBits must be ${MIN_SEQ_BITS}..${MAX_SEQ_BITS}, not ${seqBits}`);
  if (!Number.isInteger(number) || number < 0 || number >= 2 ** seqBits) throw new RangeError(`number ${number} is outside a ${seqBits}-bit sequence space`);
  if (type === 'ack' && payload.length > 0) throw new RangeError('an ACK carries no payload');
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xff) throw new RangeError(`flags must be a byte, not ${flags}`);
  const out = new Uint8Array(ARQ_HEADER_BYTES + payload.length);
  out[0] = ARQ_MAGIC;
  out[1] = ARQ_VERSION;
  out[2] = TYPE_CODE[type];
  out[3] = PROTOCOL_CODE[protocol];
  out[4] = seqBits;
  out[5] = flags;
  out[6] = number >>> 8;
  out[7] = number & 0xff;
  out.set(payload, ARQ_HEADER_BYTES);
  return out;
}

/** The packet in `data`, or undefined when it is not a well-formed ARQ datagram. Never throws. */
export function decodeArq(data: Uint8Array): ArqPacket | undefined {
  if (data.length < ARQ_HEADER_BYTES || data[0] !== ARQ_MAGIC || data[1] !== ARQ_VERSION) return undefined;
  const type = TYPES[data[2] as number];
  const protocol = PROTOCOLS[data[3] as number];
  const seqBits = data[4] as number;
  if (type === undefined || protocol === undefined || seqBits < MIN_SEQ_BITS || seqBits > MAX_SEQ_BITS) return undefined;
  const number = ((data[6] as number) << 8) | (data[7] as number);
  if (number >= 2 ** seqBits) return undefined;
  if (type === 'ack' && data.length !== ARQ_HEADER_BYTES) return undefined;
  return { type, protocol, seqBits, flags: data[5] as number, number, payload: data.length === ARQ_HEADER_BYTES ? EMPTY : data.subarray(ARQ_HEADER_BYTES) };
}
