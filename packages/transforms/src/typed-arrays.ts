/** Growing the typed-array indexes the merge, the batcher and the encode worker keep per row. */

type Index = Int32Array | Uint16Array | Uint32Array | Float64Array;

/** A new array of the same type and `length` elements: `array`'s values first, zeros after. */
export function widened<T extends Index>(array: T, length: number): T {
  return retyped(array, array.constructor as new (length: number) => T, length);
}

/** `array`'s values in a new array of element type `type` (a value outgrew the narrow one), `length` long. */
export function retyped<T extends Index>(array: Index, type: new (length: number) => T, length = array.length): T {
  const copy = new type(length);
  copy.set(array);
  return copy;
}
