/**
 * A row shape: the attribute names a held row has values for, in the row's order, with their encodings.
 * Rows of one export share a handful of shapes (which optional columns are empty), so the byte arena stores
 * a shape number per row instead of names, and the batcher maps each shape to its columns once per batch.
 */
import { percentEncode } from '@bulkpipe/core';

export interface RowShape {
  /** Index in the registry, stable for the run. */
  readonly id: number;
  /** Raw attribute names, in the row's order. */
  readonly names: readonly string[];
  /** Parallel to `names`. */
  readonly encodedNames: readonly string[];
  /** Sum of the encoded names' lengths (bytes: encoded text is ASCII). */
  readonly nameBytes: number;
}

export class ShapeRegistry {
  readonly shapes: RowShape[] = [];
  private readonly byKey = new Map<string, RowShape>();
  private readonly encodedName = new Map<string, string>();

  /** The one shape of these names (in this order). */
  intern(names: readonly string[]): RowShape {
    const key = JSON.stringify(names);
    let shape = this.byKey.get(key);
    if (shape === undefined) {
      const encodedNames = names.map((name) => this.encode(name));
      let nameBytes = 0;
      for (const encoded of encodedNames) nameBytes += encoded.length;
      shape = Object.freeze({ id: this.shapes.length, names: Object.freeze([...names]), encodedNames: Object.freeze(encodedNames), nameBytes });
      this.shapes.push(shape);
      this.byKey.set(key, shape);
    }
    return shape;
  }

  private encode(name: string): string {
    let encoded = this.encodedName.get(name);
    if (encoded === undefined) {
      encoded = percentEncode(name);
      this.encodedName.set(name, encoded);
    }
    return encoded;
  }
}
