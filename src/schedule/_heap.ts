/**
 * A binary min-heap on `due`, in a plain array: the scheduler's one timer
 * always points at the first item.
 *
 * @module
 */

/** Something with a time it is due at. */
export interface Due {
  /** When it is due (ms, monotonic). */
  due: number;
}

/** Adds `item` to `heap`. */
export function pushHeap<T extends Due>(heap: T[], item: T): void {
  heap.push(item);
  let index = heap.length - 1;
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (heap[parent].due <= item.due) break;
    heap[index] = heap[parent];
    index = parent;
  }
  heap[index] = item;
}

/** Removes and returns the item due first; `heap` must not be empty. */
export function popHeap<T extends Due>(heap: T[]): T {
  const top = heap[0];
  const last = heap.pop()!;
  if (last === top) return top;
  let index = 0;
  const size = heap.length;
  for (;;) {
    const left = 2 * index + 1;
    if (left >= size) break;
    const right = left + 1;
    const child = right < size && heap[right].due < heap[left].due
      ? right
      : left;
    if (heap[child].due >= last.due) break;
    heap[index] = heap[child];
    index = child;
  }
  heap[index] = last;
  return top;
}

/** Restores the heap order after many items changed (a sorted array is a heap). */
export function reorderHeap<T extends Due>(heap: T[]): void {
  heap.sort((a, b) => a.due - b.due);
}
