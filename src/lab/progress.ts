/**
 * The progress bar `charla compare` draws on stderr while a run goes on (only on a terminal, so
 * pipes and `--json` consumers get clean output). `renderProgress` is pure.
 */
import type { ProtocolProgress } from './clients.js';

/** One line: a bar for the messages sent, and each protocol's counts. */
export function renderProgress(states: readonly ProtocolProgress[], messages: number, width = 24): string {
  const sent = states.length > 0 ? Math.min(...states.map((s) => s.sent)) : 0;
  const fraction = messages > 0 ? Math.min(1, sent / messages) : 0;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%`;
  const parts = states.map((s) => {
    const name = s.proto.toUpperCase();
    if (s.phase === 'joining') return `${name} joining`;
    const tail = s.phase === 'settling' ? ' (waiting for late ones)' : '';
    return `${name} sent ${s.sent}/${messages} delivered ${s.delivered}/${s.expected}${tail}`;
  });
  return `${bar}  ${parts.join(' · ')}`;
}

/** Redraws the line at most 10 times a second; `clear()` removes it. */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #messages: number;
  readonly #states = new Map<string, ProtocolProgress>();
  #lastDrawMs = 0;
  #drawn = false;

  constructor(stream: NodeJS.WriteStream, messages: number) {
    this.#stream = stream;
    this.#messages = messages;
  }

  update(p: ProtocolProgress): void {
    this.#states.set(p.proto, p);
    const t = performance.now();
    if (t - this.#lastDrawMs < 100 && p.phase !== 'done') return;
    this.#lastDrawMs = t;
    const columns = this.#stream.columns ?? 100;
    const text = renderProgress([...this.#states.values()], this.#messages).slice(0, Math.max(20, columns - 1));
    this.#stream.write(`\r\x1b[2K${text}`);
    this.#drawn = true;
  }

  clear(): void {
    if (this.#drawn) this.#stream.write('\r\x1b[2K');
    this.#drawn = false;
  }
}
