/**
 * A full garbage collection, on purpose, once per spilling run. When the merge spills, the ~256 MB of arena
 * buffers it drops are external memory that V8 frees only at its next full collection — and nothing in the
 * rest of the read triggers one, so the process kept the old arena (RSS flat at the budget's peak for the whole
 * read) and then peaked ~40 MB higher when the partition merge began allocating beside it (10M-row run).
 * `gc` is exposed in a fresh vm context only: the program's own globals are untouched.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

/** Runs a full collection when the runtime allows it; does nothing otherwise. */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null; // a runtime that refuses: the memory goes at V8's next collection instead
    }
  }
  gc?.();
}
