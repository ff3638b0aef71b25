import type { AddressInfo } from 'node:net';
import type { Hub } from '../hub/hub.js';
import type { Timers } from '../util/clock.js';

/**
 * What a server runs its transports through: each one listens on its own port, turns its
 * sockets into hub peers (src/hub/peer.ts) rendered by its encoder (src/encode/), and is started
 * and shut down the same way as every other. A new transport is one module here exporting a
 * `TransportFactory` (and its Transport), plus its encoder; `startServer` lists the factories.
 */
export interface Transport {
  /** Which one it is: 'tcp' (plain or TLS, see TcpTransport.secure), 'udp'. */
  readonly kind: string;
  /** The address it is bound to (the port read back when it was asked for port 0). */
  readonly address: AddressInfo;
  /**
   * What it serves now, read when asked (a fresh object each time). Every transport counts its
   * `peers`; each adds its own counters (UDP: withheld bytes, refused sources, validations).
   * Nothing in the server reads it; tests, and later a status command, do.
   */
  readonly stats: TransportStats;
  /**
   * Stops taking new connections; the ones it has are left to the hub's shutdown notice. The
   * promise may resolve only once they have all closed (a TCP listener's does): a caller that
   * needs to go on starts it and does not wait.
   */
  stopAccepting(): Promise<void>;
  /**
   * After the hub's shutdown notice: lets the goodbyes already queued leave, then closes every
   * socket, destroying those that have not finished within `graceMs`.
   */
  close(graceMs: number): Promise<void>;
}

/** The counters every transport has; each transport's own stats extend it. */
export interface TransportStats {
  /** Peers served now, named or not (a TLS socket counts once its handshake is done). */
  peers: number;
}

/** What every transport of a server is started with, besides its own options. */
export interface TransportSetup {
  /** The server's `--host`. */
  readonly host: string;
  /** The port to bind (0: any free one; `address` tells which). */
  readonly port: number;
  /**
   * The clock and timers of every timeout and rate limit, shared by all the server's transports
   * and its hub (a fake clock in tests moves all of them).
   */
  readonly timers: Timers;
  /** `charla server --bench`: no per-user rate limit. */
  readonly bench: boolean;
  /** Loopback counts as exempt / validated (`ServerOptions.exemptLoopback`). */
  readonly trustLoopback: boolean;
}

/** How a server starts one kind of transport. */
export interface TransportFactory<Options> {
  readonly kind: string;
  /** What a listen error calls it ("TCP port 5000 is in use ...") ... */
  readonly label: string;
  /** ... and the flag that moves it to another port. */
  readonly portFlag: string;
  /**
   * Binds it for `hub` and resolves once it is listening; rejects with the bind error (the
   * server turns it into a CharlaError). `options` are its own, over its defaults and `setup`.
   */
  listen(hub: Hub, setup: TransportSetup, options: Partial<Options>): Promise<Transport>;
}
