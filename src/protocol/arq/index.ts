/**
 * ARQ over UDP: stop-and-wait (rdt 3.0), Go-Back-N and Selective Repeat as pure state machines
 * (no sockets; time and timers injected), for the lab, the server and the client alike.
 *
 * A sender takes payloads (`send`) and ACK datagrams (`onDatagram`) and calls `transmit` with
 * the datagrams to put on the wire; a receiver takes DATA datagrams and calls `transmit` with its
 * ACKs and `deliver` with each payload, exactly once and in order. See header.ts for the bytes.
 */
import { GbnReceiver, GbnSender } from './gbn.js';
import type { ArqConfig, ArqReceiver, ArqReceiverHooks, ArqSender, ArqSenderHooks, ArqTimers } from './options.js';
import { SrReceiver, SrSender } from './sr.js';

export * from './header.js';
export * from './options.js';
export * from './rto.js';
export { GbnReceiver, GbnSender } from './gbn.js';
export { SrReceiver, SrSender } from './sr.js';

/** A sender for `config.protocol`. Throws an ArqConfigError for an unsafe window (unless `unsafeWindow`). */
export function createArqSender(config: ArqConfig, timers: ArqTimers, hooks: ArqSenderHooks): ArqSender {
  return config.protocol === 'sr' ? new SrSender(config, timers, hooks) : new GbnSender(config, timers, hooks);
}

/** A receiver for `config.protocol`. */
export function createArqReceiver(config: ArqConfig, timers: ArqTimers, hooks: ArqReceiverHooks): ArqReceiver {
  return config.protocol === 'sr' ? new SrReceiver(config, timers, hooks) : new GbnReceiver(config, timers, hooks);
}
