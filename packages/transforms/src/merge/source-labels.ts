/**
 * Input labels numbered in order of first appearance, so that held rows carry a small number instead of a
 * string. Rows come in long runs from one input: the label asked for last is checked first.
 */
export class SourceLabels {
  /** Every label, at its number. */
  readonly labels: string[] = [];
  private last = -1;

  /** The number of `label`, given one now if it has none. */
  indexOf(label: string): number {
    if (this.labels[this.last] === label) return this.last;
    let index = this.labels.indexOf(label);
    if (index < 0) index = this.labels.push(label) - 1;
    this.last = index;
    return index;
  }
}
