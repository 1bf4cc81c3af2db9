/** Copying short spans of bytes between buffers, as the byte fold and the upload's row index do per row. */

/** Spans at most this long are copied byte by byte: a Buffer `copy` call costs more than that for short spans. */
const SHORT_COPY_BYTES = 24;

/** Copies `src[from, to)` to `dst` at `at`; returns the write end. */
export function copySpan(src: Buffer, from: number, to: number, dst: Buffer, at: number): number {
  if (to - from > SHORT_COPY_BYTES) return at + src.copy(dst, at, from, to);
  for (let p = from; p < to; p++) dst[at++] = src[p]!;
  return at;
}
