/**
 * The fold of rows of one id on encoded bytes (every policy): a held row (`,value` per name of its shape) and a
 * later row of its id (the same, another shape) make the merged row's bytes and shape, with no attributes
 * object and no value strings. Values compare as bytes: the percent-encoding is injective, and encoded
 * values hold no comma, so a row's values are the spans between its commas.
 *
 * Policy `reject` keeps the held values (as `first`) and compares the values of names both rows have, for the
 * first conflict.
 *
 * Which value goes where depends only on the two shapes (values in a shape are never empty): the merged names
 * in the order MergedRow's attributes object would list them (Object.keys: held names, then new incoming
 * names, in insertion order; integer-like names first, ascending; `__proto__` an own key like any other), and
 * for each the index of the value in the held or the incoming row. Pairs of shapes rarely repeat (16k pairs in
 * 20k folds of the reference export), so a fold plans from scratch, on name ids, and finds the merged shape by
 * a hash of its name ids: no strings, objects or JSON keys per fold.
 *
 * Merged shapes live in a registry of their own (one per run's registry, shared by every HeldRows of the run)
 * until the drain: the run's registry must only grow in the order an encode worker interns shapes, which it
 * replays by id (ArenaMerge.addShape), so a merged shape gets its id there once the input is over.
 */
import { copySpan } from '../byte-spans.js';
import { setOwn } from './own-attributes.js';
import { ShapeRegistry } from './row-shape.js';
import type { RowShape } from './row-shape.js';

const COMMA = 0x2c;
/** A canonical integer: Object.keys may list it before the other names (the exact order then comes from an object). */
const INTEGER_LIKE = /^(?:0|[1-9][0-9]*)$/;

export const FoldKind = {
  /** The merged row is the held row as it is (policy `first`, nothing new): only the origins grow. */
  HELD: 0,
  /** The merged row is the incoming row's values as they are (policy `last`, nothing kept from the held row). */
  INCOMING: 1,
  /** Values from both rows: see `picks`. */
  MIXED: 2,
} as const;

/** The plan of one fold. FoldPlanner reuses one object: read it before the next `plan` call. */
export interface FoldPlan {
  kind: number;
  /** The merged row's shape, in the merged registry (see registryShape). */
  shape: number;
  /** Per merged value, `count` of them: `i` for the held row's value i, `~i` (negative) for the incoming row's. */
  picks: Int32Array;
  count: number;
  /** Values in the wider of the two rows. */
  width: number;
  /** Per incoming value, `incomingCount` of them: the index of the held value of its name, or -1 (policy `reject`). */
  common: Int32Array;
  incomingCount: number;
}

/** The names and merged shapes of one run, shared by every FoldPlanner over its registry. */
class RunNames {
  readonly merged = new ShapeRegistry();
  /** Merged shape id → its id in the run's registry once interned there (the drain), else -1. */
  readonly inRun: number[] = [];
  readonly names: string[] = [];
  readonly integerLike: boolean[] = [];
  /** Name ids per shape of the run's registry (made on first use) and per merged shape. */
  readonly runIds: (Int32Array | undefined)[] = [];
  readonly mergedIds: Int32Array[] = [];
  private readonly idOf = new Map<string, number>();
  /** Merged shapes by a hash of their name ids (one lookup per fold), and by the ids as text when hashes collide. */
  private readonly byHash = new Map<number, number>();
  private readonly byText = new Map<string, number>();

  idOfName(name: string): number {
    let id = this.idOf.get(name);
    if (id === undefined) {
      id = this.names.push(name) - 1;
      this.idOf.set(name, id);
      this.integerLike.push(INTEGER_LIKE.test(name));
    }
    return id;
  }

  idsOf(shape: RowShape): Int32Array {
    const runIds = this.runIds;
    let ids = runIds[shape.id];
    if (ids === undefined) {
      ids = Int32Array.from(shape.names, (name) => this.idOfName(name));
      while (runIds.length <= shape.id) runIds.push(undefined); // filled in order: the array stays fast
      runIds[shape.id] = ids;
    }
    return ids;
  }

  /** The merged shape of names `ids[0, count)`, in that order; `hash` is idsHash of them. */
  mergedShape(ids: Int32Array, count: number, hash: number): number {
    const known = this.byHash.get(hash);
    if (known !== undefined && sameIds(this.mergedIds[known]!, ids, count)) return known;
    const text = ids.subarray(0, count).join(',');
    let shape = this.byText.get(text);
    if (shape === undefined) {
      const own = ids.slice(0, count);
      shape = this.merged.intern(Array.from(own, (id) => this.names[id]!)).id;
      this.mergedIds.push(own); // merged ids are interned in order: index = shape
      this.byText.set(text, shape);
      if (known === undefined) this.byHash.set(hash, shape);
    }
    return shape;
  }
}

function sameIds(held: Int32Array, ids: Int32Array, count: number): boolean {
  if (held.length !== count) return false;
  for (let i = 0; i < count; i++) if (held[i] !== ids[i]) return false;
  return true;
}

/** RunNames per run registry. */
const runNamesOf = new WeakMap<ShapeRegistry, RunNames>();

function runNamesFor(shapes: ShapeRegistry): RunNames {
  let run = runNamesOf.get(shapes);
  if (run === undefined) {
    run = new RunNames();
    runNamesOf.set(shapes, run);
  }
  return run;
}

/** FNV-1a over name ids: the key of a merged shape (FoldPlanner.plan computes it inline as it orders the names). */
function idsHash(ids: Int32Array, count: number): number {
  let hash = 0x811c9dc5;
  for (let k = 0; k < count; k++) hash = Math.imul(hash ^ ids[k]!, 0x01000193);
  return hash;
}

/** The merged shapes of the run whose registry is `shapes`, by names, in id order (what FOLDED spill records refer to). */
export function mergedShapeNames(shapes: ShapeRegistry): string[][] {
  return (runNamesOf.get(shapes)?.merged.shapes ?? []).map((shape) => [...shape.names]);
}

/** Gives the run of `shapes` the merged shapes `names`, ids 0… in order: a partition worker starts from the main thread's. */
export function seedMergedShapes(shapes: ShapeRegistry, names: readonly (readonly string[])[]): void {
  const run = runNamesFor(shapes);
  names.forEach((list, expected) => {
    const ids = Int32Array.from(list, (name) => run.idOfName(name));
    if (run.mergedShape(ids, ids.length, idsHash(ids, ids.length)) !== expected) throw new Error('bulkpipe bug: merged shapes seeded out of order');
  });
}

/** Plans the folds of one policy over one run's registry. */
export class FoldPlanner {
  private readonly run: RunNames;
  private readonly current: FoldPlan = { kind: FoldKind.MIXED, shape: -1, picks: new Int32Array(64), count: 0, width: 0, common: new Int32Array(64), incomingCount: 0 };
  /** Merged name ids of the fold at hand. */
  private order: Int32Array = new Int32Array(64);
  /** Per name id: 1 + its index in the held / incoming row of the fold at hand, else 0 (cleared after each). */
  private heldAt: Int32Array = new Int32Array(64);
  private incomingAt: Int32Array = new Int32Array(64);
  /** Value spans of the two rows being folded (reused; widened for wide shapes). */
  private heldFrom: Int32Array = new Int32Array(64);
  private heldTo: Int32Array = new Int32Array(64);
  private incomingFrom: Int32Array = new Int32Array(64);
  private incomingTo: Int32Array = new Int32Array(64);

  /** `policy` `reject` plans as `first` (held values stay; firstConflict tells when they would not). */
  constructor(
    private readonly shapes: ShapeRegistry,
    private readonly policy: 'last' | 'first' | 'reject',
  ) {
    this.run = runNamesFor(shapes);
  }

  /**
   * The plan for a held row of shape `held` (of the run's registry, or a merged shape when `heldFolded`) and an
   * incoming row of shape `incoming` (the run's registry).
   */
  plan(held: number, heldFolded: boolean, incoming: number): FoldPlan {
    const run = this.run;
    const heldIds = heldFolded ? run.mergedIds[held]! : run.idsOf(this.shapes.shapes[held]!);
    const incomingIds = run.idsOf(this.shapes.shapes[incoming]!);
    const heldCount = heldIds.length;
    const incomingCount = incomingIds.length;
    const plan = this.current;
    if (heldCount + incomingCount > plan.picks.length) {
      plan.picks = new Int32Array(2 * (heldCount + incomingCount));
      plan.common = new Int32Array(plan.picks.length);
      this.order = new Int32Array(plan.picks.length);
    }
    if (run.names.length > this.heldAt.length) {
      this.heldAt = new Int32Array(2 * run.names.length);
      this.incomingAt = new Int32Array(2 * run.names.length);
    }
    const heldAt = this.heldAt;
    const incomingAt = this.incomingAt;
    const order = this.order;
    let integerLike = false;
    for (let j = 0; j < heldCount; j++) {
      const id = heldIds[j]!;
      heldAt[id] = j + 1;
      order[j] = id;
      if (run.integerLike[id]) integerLike = true;
    }
    let count = heldCount;
    const common = plan.common;
    for (let i = 0; i < incomingCount; i++) {
      const id = incomingIds[i]!;
      incomingAt[id] = i + 1;
      common[i] = heldAt[id]! - 1;
      if (heldAt[id] === 0) order[count++] = id;
      if (run.integerLike[id]) integerLike = true;
    }
    if (integerLike) this.objectOrder(count);
    const picks = plan.picks;
    const last = this.policy === 'last';
    let asHeld = count === heldCount;
    let asIncoming = count === incomingCount;
    let hash = 0x811c9dc5; // idsHash, as the names are ordered
    for (let k = 0; k < count; k++) {
      const id = order[k]!;
      hash = Math.imul(hash ^ id, 0x01000193);
      const h = heldAt[id]!;
      const i = incomingAt[id]!;
      const pick = (last ? i === 0 : h !== 0) ? h - 1 : ~(i - 1);
      picks[k] = pick;
      if (pick !== k) asHeld = false;
      if (pick !== ~k) asIncoming = false;
    }
    for (let j = 0; j < heldCount; j++) heldAt[heldIds[j]!] = 0;
    for (let i = 0; i < incomingCount; i++) incomingAt[incomingIds[i]!] = 0;
    plan.kind = asHeld ? FoldKind.HELD : asIncoming ? FoldKind.INCOMING : FoldKind.MIXED;
    plan.shape = run.mergedShape(order, count, hash);
    plan.count = count;
    plan.width = Math.max(heldCount, incomingCount);
    plan.incomingCount = incomingCount;
    return plan;
  }

  /**
   * Policy `reject`: the first incoming value (in the incoming row's order, as MergedRow.fold looks) whose name has
   * another value in the held row, or -1. Rows as for `write`.
   */
  firstConflict(plan: FoldPlan, heldBuf: Buffer, heldStart: number, heldEnd: number, idBytes: number, incomingBuf: Buffer, incomingValues: number, incomingEnd: number): number {
    this.locateValues(plan, heldBuf, heldStart + idBytes, heldEnd, incomingBuf, incomingValues, incomingEnd);
    const heldFrom = this.heldFrom;
    const heldTo = this.heldTo;
    const incomingFrom = this.incomingFrom;
    const incomingTo = this.incomingTo;
    const common = plan.common;
    for (let i = 0; i < plan.incomingCount; i++) {
      const j = common[i]!;
      if (j < 0) continue;
      const from = incomingFrom[i]!;
      const length = incomingTo[i]! - from;
      const heldAt = heldFrom[j]!;
      if (heldTo[j]! - heldAt !== length) return i;
      for (let b = 0; b < length; b++) if (heldBuf[heldAt + b] !== incomingBuf[from + b]) return i;
    }
    return -1;
  }

  /** The id in the run's registry of merged shape `merged`: only once the input is over (see above). */
  registryShape(merged: number): number {
    const run = this.run;
    while (run.inRun.length <= merged) run.inRun.push(-1);
    let id = run.inRun[merged]!;
    if (id < 0) {
      id = this.shapes.intern(run.merged.shapes[merged]!.names).id;
      run.inRun[merged] = id;
    }
    return id;
  }

  /** Puts `order[0, count)` (insertion order) in the order Object.keys lists those names of an attributes object. */
  private objectOrder(count: number): void {
    const run = this.run;
    const probe: Record<string, string> = {};
    for (let k = 0; k < count; k++) setOwn(probe, run.names[this.order[k]!]!, '');
    let k = 0;
    for (const name of Object.keys(probe)) this.order[k++] = run.idOfName(name);
  }

  /**
   * Writes the merged row at `dst[at...)`: the id `heldBuf[heldStart, +idBytes)`, then `,value` per name of
   * `plan.shape`, from the held row `heldBuf[heldStart, heldEnd)` (of shape `held`) and the incoming row's values
   * `incomingBuf[incomingValues, incomingEnd)` (after its id). `dst` must not overlap either row and must have
   * room for the id and both rows' values. Returns the write end.
   */
  write(plan: FoldPlan, dst: Buffer, at: number, heldBuf: Buffer, heldStart: number, heldEnd: number, idBytes: number, incomingBuf: Buffer, incomingValues: number, incomingEnd: number): number {
    if (plan.kind === FoldKind.HELD) return copySpan(heldBuf, heldStart, heldEnd, dst, at);
    let o = copySpan(heldBuf, heldStart, heldStart + idBytes, dst, at);
    if (plan.kind === FoldKind.INCOMING) return copySpan(incomingBuf, incomingValues, incomingEnd, dst, o);
    this.locateValues(plan, heldBuf, heldStart + idBytes, heldEnd, incomingBuf, incomingValues, incomingEnd);
    const heldFrom = this.heldFrom;
    const heldTo = this.heldTo;
    const incomingFrom = this.incomingFrom;
    const incomingTo = this.incomingTo;
    const picks = plan.picks;
    for (let i = 0; i < plan.count; i++) {
      const pick = picks[i]!;
      dst[o++] = COMMA;
      o = pick >= 0 ? copySpan(heldBuf, heldFrom[pick]!, heldTo[pick]!, dst, o) : copySpan(incomingBuf, incomingFrom[~pick]!, incomingTo[~pick]!, dst, o);
    }
    return o;
  }

  /** Where each value of both rows starts and ends (after its comma), into heldFrom/heldTo and incomingFrom/incomingTo. */
  private locateValues(plan: FoldPlan, heldBuf: Buffer, heldValues: number, heldEnd: number, incomingBuf: Buffer, incomingValues: number, incomingEnd: number): void {
    if (plan.width > this.heldFrom.length) this.widen(plan.width);
    spans(heldBuf, heldValues, heldEnd, this.heldFrom, this.heldTo);
    spans(incomingBuf, incomingValues, incomingEnd, this.incomingFrom, this.incomingTo);
  }

  private widen(width: number): void {
    this.heldFrom = new Int32Array(width);
    this.heldTo = new Int32Array(width);
    this.incomingFrom = new Int32Array(width);
    this.incomingTo = new Int32Array(width);
  }
}

/** The value spans of `buf[from, to)` (`,value` per name) into `starts` / `ends`, which are wide enough. */
function spans(buf: Buffer, from: number, to: number, starts: Int32Array, ends: Int32Array): void {
  let i = -1;
  for (let p = from; p < to; p++) {
    if (buf[p] === COMMA) {
      if (i >= 0) ends[i] = p;
      starts[++i] = p + 1;
    }
  }
  if (i >= 0) ends[i] = to;
}
