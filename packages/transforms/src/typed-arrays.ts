/** Growing the typed-array indexes the merge, the batcher and the encode worker keep per row. */

type Index = Int32Array | Uint16Array | Uint32Array | Float64Array;

/** A new array of the same type and `length` elements: `array`'s values first, zeros after. */
export function widened<T extends Index>(array: T, length: number): T {
  const wider = new (array.constructor as new (length: number) => T)(length);
  wider.set(array);
  return wider;
}

/** The same values in an array of a wider element type (a value outgrew the narrow one). */
export function retyped<T extends Index>(array: Index, type: new (length: number) => T): T {
  const wider = new type(array.length);
  wider.set(array);
  return wider;
}
