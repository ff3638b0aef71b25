/** Codes of the errors a person can act on; the CLI prints them as one line and exits 2. */
export type CharlaErrorCode =
  | 'ERR_BAD_OPTION'
  | 'ERR_PORT_IN_USE'
  | 'ERR_BAD_HOST'
  | 'ERR_PERMISSION'
  | 'ERR_CONNECT'
  | 'ERR_UNAVAILABLE';

/**
 * An error whose message tells the user what to do. The original error, if any, is kept as
 * `cause` for logs and debugging; the CLI shows only the message.
 */
export class CharlaError extends Error {
  readonly code: CharlaErrorCode;

  constructor(code: CharlaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CharlaError';
    this.code = code;
  }
}

/** Maps a listen/bind failure to a CharlaError that says what to do. */
export function listenError(err: unknown, what: string, host: string, port: number, flag: string): unknown {
  const code = (err as { code?: string } | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new CharlaError('ERR_PORT_IN_USE', `${what} port ${port} is in use: stop the other server or choose another with ${flag} (0 = any free port)`, { cause: err });
  }
  if (code === 'EACCES') {
    return new CharlaError('ERR_PERMISSION', `${what} port ${port} needs privileges on this system: use a port above 1023 with ${flag}`, { cause: err });
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EINVAL') {
    return new CharlaError('ERR_BAD_HOST', `cannot listen on ${host}: it is not an address of this machine (use --host 0.0.0.0 for every interface)`, { cause: err });
  }
  return err;
}
