/**
 * UDP address validation, as QUIC does it (RFC 9000 §8.1): a source address is taken to receive
 * what is sent to it only once it has echoed a token that the server sent there. Until then the
 * server sends it at most three times the bytes it received from it (the anti-amplification
 * limit, enforced by the UDP transport), so a datagram with a forged source cannot make the
 * server send much to a victim.
 *
 * The exchange is two control lines that only charla's own client sends (README "Wire protocol"):
 *
 *     client -> server   /token charla/1                 (asks for a token)
 *     server -> client   /token 3q2-7wEAqfY1m0Yw    (one datagram)
 *     client -> server   /token 3q2-7wEAqfY1m0Yw    (the first line of its next datagram,
 *                        ana                               usually the one with its name)
 *
 * The token is a MAC of the source address and port and a time window: the server keeps no state
 * for a request, so forged requests cost it nothing to remember, and a token is good only for the
 * address it was sent to, for 2 to 4 minutes. The seed's client, which knows nothing of this,
 * simply stays unvalidated.
 *
 * Pure: no sockets; the time comes in as an argument.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The request line. Long enough that its answer fits three times its size. */
export const TOKEN_REQUEST = '/token charla/1';
/** The prefix of the answer and of the echo: `/token <token>`. */
export const TOKEN_PREFIX = '/token ';
/** A token is valid in the window it was made in and the next one. */
export const TOKEN_WINDOW_MS = 120_000;
/** Bytes of MAC in a token (96 bits: never guessed, short enough for any budget). */
const MAC_BYTES = 12;
/** A token as written: the base64url of MAC_BYTES bytes. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16}$/;

/** Makes and checks the tokens of one server run. */
export class AddressTokens {
  readonly #secret: Buffer;

  constructor(secret: Buffer = randomBytes(32)) {
    this.#secret = secret;
  }

  /** The token for `address`:`port` at `nowMs` (wall or monotonic: only differences matter). */
  make(address: string, port: number, nowMs: number): string {
    return this.#mac(address, port, Math.floor(nowMs / TOKEN_WINDOW_MS)).toString('base64url');
  }

  /** True when `token` was made for `address`:`port` in this window or the one before. */
  check(token: string, address: string, port: number, nowMs: number): boolean {
    // The exact spelling, not just what decodes: Buffer's base64url decoder skips stray characters.
    if (!TOKEN_PATTERN.test(token)) return false;
    const given = Buffer.from(token, 'base64url');
    const window = Math.floor(nowMs / TOKEN_WINDOW_MS);
    // Both are compared, whichever matches, so the time taken says nothing of which window.
    const current = timingSafeEqual(given, this.#mac(address, port, window));
    const previous = timingSafeEqual(given, this.#mac(address, port, window - 1));
    return current || previous;
  }

  #mac(address: string, port: number, window: number): Buffer {
    return createHmac('sha256', this.#secret).update(`${address}\n${port}\n${window}`).digest().subarray(0, MAC_BYTES);
  }
}

/** What a line means to address validation: a request, an echoed token, or neither. */
export type TokenLine = { kind: 'request' } | { kind: 'echo'; token: string } | undefined;

/** Reads a line as a validation control line (exact spellings only: a user can always type "//token"). */
export function parseTokenLine(line: string): TokenLine {
  if (!line.startsWith(TOKEN_PREFIX)) return undefined;
  if (line === TOKEN_REQUEST) return { kind: 'request' };
  const token = line.slice(TOKEN_PREFIX.length);
  return TOKEN_PATTERN.test(token) ? { kind: 'echo', token } : undefined;
}
