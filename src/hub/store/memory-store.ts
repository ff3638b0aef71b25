/**
 * A {@link HistoryStore} in memory: what a restart would find, for tests of the log (two RoomLogs
 * over one MemoryHistoryStore are a process and the process after it). Keeps at most
 * 2 × maxEntries entries per room (trimmed back to maxEntries when it passes that, so append
 * costs O(1) amortised) and gives back only what the bounds keep.
 */
import { HISTORY_DEFAULTS, keptFrom, type HistoryBounds, type LogEntry } from '../room-log.js';
import { roomKey, type HistoryStore } from './history-store.js';

export class MemoryHistoryStore implements HistoryStore {
  readonly #bounds: HistoryBounds;
  readonly #rooms = new Map<string, LogEntry[]>();
  #closed = false;

  constructor(bounds: Partial<HistoryBounds> = {}) {
    this.#bounds = { ...HISTORY_DEFAULTS, ...bounds };
  }

  load(room: string): LogEntry[] {
    const entries = this.#rooms.get(roomKey(room)) ?? [];
    return entries.slice(keptFrom(entries, this.#bounds));
  }

  append(room: string, entry: LogEntry): void {
    if (this.#closed) return;
    const key = roomKey(room);
    let entries = this.#rooms.get(key);
    if (entries === undefined) {
      entries = [];
      this.#rooms.set(key, entries);
    }
    entries.push(entry);
    if (entries.length > 2 * Math.max(1, this.#bounds.maxEntries)) entries.splice(0, entries.length - this.#bounds.maxEntries);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
