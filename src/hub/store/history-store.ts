/**
 * Where a room's log outlives the process: the interface a {@link RoomLog} writes through, and
 * the one rule for which room names are the same room.
 *
 * A store holds entries oldest first per room. `load` is synchronous, for startup (and for a room
 * made later); `append` must be cheap and must not block (it runs once per chat message);
 * `flush` and `close` are the only waits.
 */
import type { LogEntry } from '../room-log.js';

export interface HistoryStore {
  /** The room's kept entries, oldest first (what the bounds keep of what was stored). */
  load(room: string): LogEntry[];
  /** Adds an entry, whose id is greater than every id of the room so far. Never blocks, never throws. */
  append(room: string, entry: LogEntry): void;
  /** Resolves when everything appended so far has been handed to the OS (or could not be: see each store). */
  flush(): Promise<void>;
  /** Flushes, then releases what the store holds; later appends are ignored. */
  close(): Promise<void>;
}

/**
 * The key two room names share when they are the same room: NFC, then lower case, then NFC again
 * (lower-casing can decompose). "Sala", "SALA" and "sala" are one room; "sála" is another.
 */
export function roomKey(room: string): string {
  return room.normalize('NFC').toLowerCase().normalize('NFC');
}
