/**
 * rejects.csv is opened in spreadsheets, which run a cell starting with `=`, `+`, `-` or `@` as a formula
 * (and strip a leading TAB or CR before doing so): CSV injection. Such cells get a leading `'`, which
 * spreadsheets show as text. The cost: a value like `-5` reads `'-5` in the file.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseCell(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}
