/**
 * A batch's attribute columns, prepared once per batch so that the common row — a new v2 profile — gets
 * its stored attribute JSON straight from the row's cells: no (name, value) tuples, no Map, no flat array.
 * The result is exactly what `profiles.ts` writes through its Map for the same row (a fast-check test holds
 * the two together); the emulator's ingest speed depends on this path (bench/ingest.ts).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The stored attribute JSON of a new profile and the UTF-8 bytes of its names and values (the 64 KB cap). */
export interface NewProfileAttrs {
  readonly json: string;
  readonly bytes: number;
}

export class AttributeColumns {
  /** Attribute names by column (index 0, the key column, unused). */
  readonly #names: readonly string[];
  /** `"name",` as JSON, by column; '' for an ignored (empty) name. */
  readonly #quoted: readonly string[];
  readonly #nameBytes: readonly number[];

  private constructor(names: readonly string[]) {
    this.#names = names;
    this.#quoted = names.map((name) => (name === '' ? '' : `${JSON.stringify(name)},`));
    this.#nameBytes = names.map((name) => Buffer.byteLength(name, 'utf8'));
  }

  /**
   * The columns of a batch header, or undefined when a non-empty name repeats: then a later value replaces
   * an earlier one in place, which only the general Map path reproduces.
   */
  static fromHeader(names: readonly string[]): AttributeColumns | undefined {
    const seen = new Set<string>();
    for (let column = 1; column < names.length; column++) {
      const name = names[column]!;
      if (name === '') continue;
      if (seen.has(name)) return undefined;
      seen.add(name);
    }
    return new AttributeColumns(names);
  }

  /** The row's (name, value) pairs with empty values and ignored columns left out, in column order. */
  pairs(cells: readonly string[]): Array<readonly [string, string]> {
    const pairs: Array<readonly [string, string]> = [];
    const names = this.#names;
    const end = Math.min(cells.length, names.length);
    for (let column = 1; column < end; column++) {
      const name = names[column]!;
      const value = cells[column]!;
      if (value !== '' && name !== '') pairs.push([name, value]);
    }
    return pairs;
  }

  /**
   * The attribute JSON a new profile stores for this row — `[name, value, fromPendingV2, 0]…`, every
   * timestamp being the profile's own — or undefined when the row carries no value at all.
   */
  newProfileAttrs(cells: readonly string[], fromPendingV2: boolean): NewProfileAttrs | undefined {
    const names = this.#names;
    const quoted = this.#quoted;
    const flag = fromPendingV2 ? ',1,0' : ',0,0';
    const end = Math.min(cells.length, names.length);
    let json = '';
    let bytes = 0;
    for (let column = 1; column < end; column++) {
      const value = cells[column]!;
      const name = quoted[column]!;
      if (value === '' || name === '') continue;
      // one pass over the value: its UTF-8 length, and whether JSON needs anything but the two quotes
      let valueBytes = 0;
      let plain = true;
      for (let i = 0; i < value.length; i++) {
        const code = value.charCodeAt(i);
        if (code < 0x80) {
          valueBytes += 1;
          if (code < 0x20 || code === QUOTE || code === BACKSLASH) plain = false;
        } else if (code < 0x800) valueBytes += 2;
        else {
          // three-byte characters and surrogates (JSON.stringify escapes a lone one): the general route
          plain = false;
          valueBytes = Buffer.byteLength(value, 'utf8');
          break;
        }
      }
      bytes += this.#nameBytes[column]! + valueBytes;
      json += `${json === '' ? '[' : ','}${name}${plain ? `"${value}"` : JSON.stringify(value)}${flag}`;
    }
    return json === '' ? undefined : { json: `${json}]`, bytes };
  }
}
