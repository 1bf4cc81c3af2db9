/** Growing the typed-array indexes the merge, the batcher and the encode worker keep per row. */

type Index = Int32Array | Uint16Array | Float64Array;

/** A new array of the same type and `length` elements: `array`'s values first, zeros after. */
export function widened<T extends Index>(array: T, length: number): T {
  const wider = new (array.constructor as new (length: number) => T)(length);
  wider.set(array);
  return wider;
}
