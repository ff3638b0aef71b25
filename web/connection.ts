/**
 * The page's WebSocket: JSON frames in and out, and reconnection by itself with a backoff
 * (0.5 s, 1 s, 2 s ... up to 10 s, with jitter, back to the start once a join is taken). A
 * page that becomes visible again (`wake`) retries at once instead of waiting out the backoff.
 */
import type { ClientFrame, ServerFrame } from '../src/protocol/ws-frames.js';

export interface ConnectionEvents {
  /** A frame from the server (already parsed; anything that is not a JSON object with a type is dropped). */
  frame(frame: ServerFrame): void;
  /** The socket closed; `retryMs` until the next attempt, or undefined when stopped. */
  closed(retryMs: number | undefined): void;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

export class Connection {
  private ws: WebSocket | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private stopped = true;

  constructor(
    private readonly url: string,
    private readonly on: ConnectionEvents,
  ) {}

  /** Connected or trying to (not stopped). */
  get running(): boolean {
    return !this.stopped;
  }

  get isOpen(): boolean {
    return this.ws !== undefined && this.ws.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.stopped = false;
    this.attempt = 0;
    this.open();
  }

  /** No more reconnecting (the user quit). */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }


  /** Sends one frame; false when there is no open socket to send it on. */
  send(frame: ClientFrame): boolean {
    if (!this.isOpen) return false;
    (this.ws as WebSocket).send(JSON.stringify(frame));
    return true;
  }

  /** A join was taken: the next drop starts the backoff again from its first step. */
  settled(): void {
    this.attempt = 0;
  }

  /** Retry now if there is no socket (the phone woke the page up, the network came back). */
  wake(): void {
    if (this.stopped || this.ws !== undefined) return;
    this.clearTimer();
    this.open();
  }

  /** Drop this socket, which looks dead (no answer), and open another at once. */
  restart(): void {
    const old = this.ws;
    if (old !== undefined) {
      this.ws = undefined;
      old.onclose = old.onmessage = old.onerror = null;
      old.close();
    }
    this.clearTimer();
    if (!this.stopped) this.open();
  }

  private open(): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onmessage = (event: MessageEvent): void => {
      if (typeof event.data !== 'string') return;
      let frame: unknown;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (typeof frame === 'object' && frame !== null && typeof (frame as { type?: unknown }).type === 'string') {
        this.on.frame(frame as ServerFrame);
      }
    };
    ws.onclose = (): void => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) {
      this.on.closed(undefined);
      return;
    }
    const base = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(this.attempt, 10));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt++;
    this.on.closed(delay);
    if (this.stopped) return; // the listener stopped it
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped && this.ws === undefined) this.open();
    }, delay);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
