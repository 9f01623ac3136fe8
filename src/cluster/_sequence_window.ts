/**
 * Which sequence numbers of one sender were seen, over the last
 * {@linkcode SequenceWindow.SIZE} of them: a sliding bitmap, as IPsec uses
 * against replays. Copies of a message re-sent after a connection drop are
 * recognised, in whatever order they come.
 *
 * @module
 */

/** The sequence numbers seen from one sender. */
export class SequenceWindow {
  /** How far back copies are recognised; older numbers count as seen. */
  static readonly SIZE = 65_536;
  /** When a number was last offered, in epoch ms. */
  lastUsed = Date.now();
  #max = 0;
  readonly #bits = new Uint8Array(SequenceWindow.SIZE / 8);

  /**
   * Records `sequence` (a positive integer).
   *
   * @returns `true` the first time a number is offered, `false` for a copy
   *   (or one more than `SIZE` behind the highest seen).
   */
  accept(sequence: number): boolean {
    this.lastUsed = Date.now();
    const size = SequenceWindow.SIZE;
    if (sequence > this.#max) {
      if (sequence - this.#max >= size) this.#bits.fill(0);
      else {
        // The slots now entering the window still hold numbers SIZE older.
        for (let s = this.#max + 1; s < sequence; s++) this.#clear(s);
      }
      this.#set(sequence);
      this.#max = sequence;
      return true;
    }
    if (sequence <= this.#max - size || this.#has(sequence)) return false;
    this.#set(sequence);
    return true;
  }

  #has(sequence: number): boolean {
    const slot = sequence % SequenceWindow.SIZE;
    return (this.#bits[slot >> 3] & (1 << (slot & 7))) !== 0;
  }

  #set(sequence: number): void {
    const slot = sequence % SequenceWindow.SIZE;
    this.#bits[slot >> 3] |= 1 << (slot & 7);
  }

  #clear(sequence: number): void {
    const slot = sequence % SequenceWindow.SIZE;
    this.#bits[slot >> 3] &= ~(1 << (slot & 7));
  }
}
