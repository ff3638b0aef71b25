/**
 * The rooms one user is in. A line user is in one room, an IRC user perhaps in several: the
 * one room is held inline and a Set is made only for a second, so the common user costs one
 * small object instead of a Set and its hash table (about 120 bytes less per user; a server
 * holds tens of thousands). Iterates in the order rooms were added, as a Set does.
 */
export class RoomSet<T> implements Iterable<T> {
  #one: T | undefined = undefined;
  #many: Set<T> | undefined = undefined;

  get size(): number {
    return this.#many !== undefined ? this.#many.size : this.#one === undefined ? 0 : 1;
  }

  has(item: T): boolean {
    return this.#many !== undefined ? this.#many.has(item) : this.#one === item;
  }

  add(item: T): this {
    if (this.#many !== undefined) this.#many.add(item);
    else if (this.#one === undefined) this.#one = item;
    else if (this.#one !== item) {
      this.#many = new Set([this.#one, item]);
      this.#one = undefined;
    }
    return this;
  }

  delete(item: T): boolean {
    if (this.#many !== undefined) {
      const gone = this.#many.delete(item);
      if (this.#many.size <= 1) {
        this.#one = this.#many.values().next().value;
        this.#many = undefined;
      }
      return gone;
    }
    if (this.#one !== item || item === undefined) return false;
    this.#one = undefined;
    return true;
  }

  *[Symbol.iterator](): Iterator<T> {
    if (this.#many !== undefined) yield* this.#many;
    else if (this.#one !== undefined) yield this.#one;
  }
}
