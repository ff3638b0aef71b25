/**
 * The client's side of the chat protocol, over any `ClientConnection`: giving a name (and the
 * password), telling a welcome from a refusal, leaving cleanly, and saying in the user's
 * language why a connection failed. Shared by the interactive and the pipe front ends.
 */
import type { MessageKey, Translate } from '../hub/messages.js';
import { CharlaError } from '../util/errors.js';
import { classify } from './classify.js';
import { type ClientConnection, type ConnectionEvent, ERR_ARQ_NO_ACK } from './connection.js';

/**
 * Exit codes of `charla client` (docs/client.md). 2, a bad option or nothing to connect to, is
 * a CharlaError that cli/main.ts turns into one line.
 */
export const EXIT = { ok: 0, serverGone: 1, nameRefused: 3 } as const;

/** What the server said to a name. */
export type NameAnswer =
  /** Accepted. `line` is the welcome; undefined in bare mode (the seed sends none). */
  | { kind: 'welcome'; line: string | undefined }
  /** Refused ("Error: ..."); another name may be tried unless the server then closes. */
  | { kind: 'refused'; line: string }
  /** The connection ended before any answer. */
  | { kind: 'gone'; error: (Error & { code?: string }) | undefined }
  /** No answer within the bound: probably not a charla server. */
  | { kind: 'no_answer' };

/**
 * Sends `name` (after `/pass PASSWORD` when a password is given) and waits, at most `answerMs`,
 * for the answer: one line, "Error: ..." or the welcome. In bare mode it does not wait.
 */
export async function offerName(conn: ClientConnection, name: string, password: string | undefined, answerMs: number): Promise<NameAnswer> {
  if (password !== undefined) conn.send(`/pass ${password}`); // the server answers nothing when it is right
  conn.send(name); // seed: the first line is the name
  if (conn.bare) return { kind: 'welcome', line: undefined };
  const event = await conn.next(answerMs);
  if (event === undefined) return { kind: 'no_answer' };
  if (event.kind === 'gone') return event;
  if (event.text.startsWith('Error: ')) return { kind: 'refused', line: event.text };
  return { kind: 'welcome', line: event.text };
}

/** True for the event that ends a /quitar: the connection closing, or (UDP) the goodbye line. */
function endsQuit(event: ConnectionEvent): boolean {
  return event.kind === 'gone' || classify(event.text).key === 'goodbye';
}

/**
 * Leaves: sends /quitar and waits, at most `ms`, for the server to close the connection (TCP)
 * or to say goodbye (UDP; /quitar is sent again a few times, in case a datagram is lost or the
 * server's rate limit drops it). Then closes our side. Lines that arrive meanwhile still reach
 * the connection's listener.
 */
export async function quit(conn: ClientConnection, ms: number): Promise<void> {
  if (conn.transport === 'udp' && conn.bare) {
    // seed: its UDP server answers /quitar with nothing; once the datagram is out, we are done.
    conn.send('/quitar');
    await conn.drained();
    conn.close();
    return;
  }
  const bye = conn.waitFor(endsQuit, ms);
  conn.send('/quitar'); // understood by charla in either language, and by the seed
  const retry = conn.transport === 'udp' ? setInterval(() => conn.send('/quitar'), Math.max(100, Math.floor(ms / 3))) : undefined;
  await bye;
  clearInterval(retry);
  conn.close();
}

const CONNECT_REASONS: Record<string, MessageKey> = {
  ECONNREFUSED: 'client_error_refused',
  ENOTFOUND: 'client_error_host',
  EAI_AGAIN: 'client_error_host',
  EAI_NONAME: 'client_error_host',
  ETIMEDOUT: 'client_error_timeout',
  EHOSTUNREACH: 'client_error_unreachable',
  ENETUNREACH: 'client_error_unreachable',
  EHOSTDOWN: 'client_error_unreachable',
};

/** OpenSSL's words for "what came back was not TLS". */
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);

/**
 * A connection failure as one line the user can act on: "nothing is listening on that port",
 * or for TLS the certificate problem with how to trust it. The original error is the cause.
 */
export function connectFailure(t: Translate, target: string, err: unknown, tls: boolean): CharlaError {
  const code = (err as { code?: string } | undefined)?.code ?? '';
  const known = CONNECT_REASONS[code];
  // OpenSSL's messages run over several lines with file names: the first line says it.
  const detail = (err instanceof Error ? err.message : String(err)).split('\n')[0]?.replace(/^[0-9A-F]+:error:[0-9A-F]+:/, '').trim() ?? '';
  if (tls && NOT_TLS.has(code)) return new CharlaError('ERR_CONNECT', t('client_not_tls', { target }), { cause: err });
  const message =
    known !== undefined || !tls
      ? t('client_connect_failed', { target, error: known !== undefined ? t(known) : detail })
      : t('client_tls_failed', { target, error: detail });
  return new CharlaError('ERR_CONNECT', message, { cause: err });
}

/**
 * Why the session ended, for the user: the server closed it, nobody answers at its address
 * (UDP), or (reliable UDP) it stopped acknowledging what we send.
 */
export function goneNote(t: Translate, conn: ClientConnection, error: (Error & { code?: string; retries?: number }) | undefined): string {
  if (error?.code === ERR_ARQ_NO_ACK) return t('client_arq_gave_up', { target: conn.target, retries: error.retries ?? 0 });
  return conn.transport === 'udp' && isUnreachable(error) ? t('client_server_gone', { target: conn.target }) : t('client_server_closed');
}

/** True when `error` means nobody is at the other end (UDP: an ICMP port unreachable). */
export function isUnreachable(error: (Error & { code?: string }) | undefined): boolean {
  const code = error?.code;
  return code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH';
}
