/**
 * The fold of policies `last` and `first` on encoded bytes: a held row (`,value` per name of its shape) and a
 * later row of its id (the same, another shape) make the merged row's bytes and shape, with no attributes
 * object and no value strings. Values compare as bytes: the percent-encoding is injective, and encoded
 * values hold no comma, so a row's values are the spans between its commas.
 *
 * Which value goes where depends only on the two shapes (values in a shape are never empty), so it is planned
 * once per pair of shapes: the merged names in the order MergedRow's attributes object would list them
 * (Object.keys: integer-like names first, then insertion order; `__proto__` an own key like any other), and
 * for each, the index of the value in the held or the incoming row.
 *
 * Merged shapes live in a registry of their own (one per run's registry, shared by every HeldRows of the run)
 * until the drain: the run's registry must only grow in the order an encode worker interns shapes, which it
 * replays by id (ArenaMerge.addShape), so a merged shape gets its id there once the input is over.
 */
import { setOwn } from './own-attributes.js';
import { ShapeRegistry } from './row-shape.js';
import type { RowShape } from './row-shape.js';

const COMMA = 0x2c;
/** Shape ids below this make a plan key held * 2^32 + incoming that stays an exact integer. */
const MAX_KEYED_SHAPES = 2 ** 21;
/** Values at most this long are copied byte by byte (cheaper than a Buffer.copy call for short spans). */
const SHORT_COPY_BYTES = 24;

export const FoldKind = {
  /** The merged row is the held row as it is (policy `first`, nothing new): only the origins grow. */
  HELD: 0,
  /** The merged row is the incoming row's values as they are (policy `last`, nothing kept from the held row). */
  INCOMING: 1,
  /** Values from both rows: see `picks`. */
  MIXED: 2,
} as const;

export interface FoldPlan {
  readonly kind: number;
  /** The merged row's shape, in the merged registry (see registryShape). */
  readonly shape: RowShape;
  /** Per merged value, in order: `i` for the held row's value i, `~i` (negative) for the incoming row's value i. */
  readonly picks: Int32Array;
  /** Values in the wider of the two rows. */
  readonly width: number;
}

/** Merged shapes per run registry. */
const mergedRegistries = new WeakMap<ShapeRegistry, MergedShapes>();

interface MergedShapes {
  readonly shapes: ShapeRegistry;
  /** Merged shape id → its id in the run's registry, once interned there (the drain). */
  readonly inRun: number[];
}

/** Fold plans of one policy over one shape registry, made on first use of each pair of shapes. */
export class FoldPlanner {
  /** Plans for a held row of the run's registry, and for one already folded (a merged shape). */
  private readonly plans = new Map<number, FoldPlan>();
  private readonly foldedPlans = new Map<number, FoldPlan>();
  private readonly merged: MergedShapes;
  /** Value spans of the two rows being folded (reused; widened for wide shapes). */
  private heldFrom: Int32Array = new Int32Array(64);
  private heldTo: Int32Array = new Int32Array(64);
  private incomingFrom: Int32Array = new Int32Array(64);
  private incomingTo: Int32Array = new Int32Array(64);

  constructor(
    private readonly shapes: ShapeRegistry,
    private readonly policy: 'last' | 'first',
  ) {
    let merged = mergedRegistries.get(shapes);
    if (merged === undefined) {
      merged = { shapes: new ShapeRegistry(), inRun: [] };
      mergedRegistries.set(shapes, merged);
    }
    this.merged = merged;
  }

  /**
   * The plan for a held row of shape `held` (of the run's registry, or a merged shape when `heldFolded`) and an
   * incoming row of shape `incoming` (the run's registry).
   */
  plan(held: number, heldFolded: boolean, incoming: number): FoldPlan {
    const plans = heldFolded ? this.foldedPlans : this.plans;
    const key = held < MAX_KEYED_SHAPES && incoming < MAX_KEYED_SHAPES ? held * 2 ** 32 + incoming : -1;
    let plan = key >= 0 ? plans.get(key) : undefined;
    if (plan === undefined) {
      const heldShape = (heldFolded ? this.merged.shapes : this.shapes).shapes[held]!;
      plan = makePlan(this.merged.shapes, heldShape, this.shapes.shapes[incoming]!, this.policy);
      if (key >= 0) plans.set(key, plan);
    }
    return plan;
  }

  /** The id in the run's registry of merged shape `merged`: only once the input is over (see above). */
  registryShape(merged: number): number {
    let id = this.merged.inRun[merged];
    if (id === undefined) {
      id = this.shapes.intern(this.merged.shapes.shapes[merged]!.names).id;
      this.merged.inRun[merged] = id;
    }
    return id;
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
    if (plan.width > this.heldFrom.length) this.widen(plan.width);
    const heldFrom = this.heldFrom;
    const heldTo = this.heldTo;
    const incomingFrom = this.incomingFrom;
    const incomingTo = this.incomingTo;
    spans(heldBuf, heldStart + idBytes, heldEnd, heldFrom, heldTo);
    spans(incomingBuf, incomingValues, incomingEnd, incomingFrom, incomingTo);
    const picks = plan.picks;
    for (let i = 0; i < picks.length; i++) {
      const pick = picks[i]!;
      dst[o++] = COMMA;
      o = pick >= 0 ? copySpan(heldBuf, heldFrom[pick]!, heldTo[pick]!, dst, o) : copySpan(incomingBuf, incomingFrom[~pick]!, incomingTo[~pick]!, dst, o);
    }
    return o;
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

function copySpan(src: Buffer, from: number, to: number, dst: Buffer, at: number): number {
  if (to - from > SHORT_COPY_BYTES) return at + src.copy(dst, at, from, to);
  for (let p = from; p < to; p++) dst[at++] = src[p]!;
  return at;
}

/** What MergedRow.fold then writeMergedRow make of two rows of these shapes, as a plan (its shape in `shapes`). */
function makePlan(shapes: ShapeRegistry, held: RowShape, incoming: RowShape, policy: 'last' | 'first'): FoldPlan {
  // The attributes object MergedRow holds: the held row's names, then the incoming row's, set with setOwn.
  const probe: Record<string, string> = {};
  const heldIndex = new Map<string, number>();
  const incomingIndex = new Map<string, number>();
  held.names.forEach((name, i) => {
    setOwn(probe, name, '');
    heldIndex.set(name, i);
  });
  incoming.names.forEach((name, i) => {
    setOwn(probe, name, '');
    incomingIndex.set(name, i);
  });
  const names = Object.keys(probe);
  const picks = new Int32Array(names.length);
  names.forEach((name, i) => {
    const fromHeld = heldIndex.get(name);
    const fromIncoming = incomingIndex.get(name);
    picks[i] = (policy === 'last' ? fromIncoming === undefined : fromHeld !== undefined) ? fromHeld! : ~fromIncoming!;
  });
  const shape = shapes.intern(names);
  let kind: number = FoldKind.MIXED;
  if (picks.every((pick, i) => pick === i) && picks.length === held.names.length) kind = FoldKind.HELD;
  else if (picks.every((pick, i) => pick === ~i) && picks.length === incoming.names.length) kind = FoldKind.INCOMING;
  return Object.freeze({ kind, shape, picks, width: Math.max(held.names.length, incoming.names.length) });
}
